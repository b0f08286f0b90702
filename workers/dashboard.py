"""The operator dashboard's throughput plot: an inline SVG drawn on the server."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH = 720
HEIGHT = 220
PAD_LEFT = 40
PAD_BOTTOM = 28
PAD_TOP = 12


def throughput_svg(points: Sequence[tuple[datetime, int]]) -> SafeString:
    """Return an accessible bar chart of ``(hour, count)`` as escaped SVG markup.

    Every value is formatted through ``format_html``; there is no script and
    no external resource, so it is safe in the admin's page.
    """
    if not points:
        return format_html("<p>{}</p>", "No data.")
    peak = max(max(count for _, count in points), 1)
    plot_w = WIDTH - PAD_LEFT - 8
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    slot = plot_w / len(points)
    bar_w = max(slot * 0.7, 1)
    bars = []
    labels = []
    for i, (hour, count) in enumerate(points):
        x = PAD_LEFT + i * slot + (slot - bar_w) / 2
        h = plot_h * count / peak
        y = PAD_TOP + plot_h - h
        local = timezone.localtime(hour) if timezone.is_aware(hour) else hour
        bars.append(
            (
                f"{x:.1f}",
                f"{y:.1f}",
                f"{bar_w:.1f}",
                f"{h:.1f}",
                f"{local:%H}:00",
                count,
            )
        )
        if i % 3 == 0 or i == len(points) - 1:
            labels.append((f"{x + bar_w / 2:.1f}", HEIGHT - 8, f"{local:%H}h"))
    total = sum(count for _, count in points)
    grid = [
        (PAD_LEFT, f"{PAD_TOP + plot_h * (1 - f):.1f}", WIDTH - 8, round(peak * f))
        for f in (0, 0.5, 1)
    ]
    return format_html(
        '<svg class="throughput-chart" role="img" aria-labelledby="tp-title tp-desc" '
        'viewBox="0 0 {} {}" width="100%" preserveAspectRatio="xMinYMin meet">'
        '<title id="tp-title">Summaries generated per hour</title>'
        '<desc id="tp-desc">{} summaries in the last {} hours; at most {} in one hour.</desc>'
        "{}{}{}</svg>",
        WIDTH,
        HEIGHT,
        total,
        len(points),
        peak,
        format_html_join(
            "",
            '<line x1="{}" y1="{}" x2="{}" y2="{}" class="tp-grid"/>'
            '<text x="{}" y="{}" class="tp-axis" text-anchor="end">{}</text>',
            ((x1, y, x2, y, x1 - 6, float(y) + 4, value) for x1, y, x2, value in grid),
        ),
        format_html_join(
            "",
            '<rect x="{}" y="{}" width="{}" height="{}" class="tp-bar" rx="2">'
            "<title>{}: {}</title></rect>",
            bars,
        ),
        format_html_join(
            "",
            '<text x="{}" y="{}" class="tp-axis" text-anchor="middle">{}</text>',
            labels,
        ),
    )
