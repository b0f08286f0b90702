"""How a training run looks in the admin: a progress bar, a loss curve (inline
SVG drawn on the server, no script) and the gate's table."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from docsite.longwork import progress_html

from .models import TrainingRun

WIDTH = 640
HEIGHT = 200
PAD_LEFT = 48
PAD_BOTTOM = 26
PAD_TOP = 10
PAD_RIGHT = 10
MAX_POINTS = 400


def _downsample(losses: Sequence[Sequence[float]]) -> list[tuple[float, float]]:
    """Return at most ``MAX_POINTS`` ``(step, mean loss)`` points, averaging neighbours."""
    points = [(float(step), float(loss)) for step, loss in losses]
    if len(points) <= MAX_POINTS:
        return points
    size = len(points) / MAX_POINTS
    out = []
    for i in range(MAX_POINTS):
        group = points[int(i * size) : max(int((i + 1) * size), int(i * size) + 1)]
        out.append((group[-1][0], sum(loss for _, loss in group) / len(group)))
    return out


def loss_curve_svg(
    losses: Sequence[Sequence[float]], *, total_steps: int = 0
) -> SafeString:
    """Return the training loss against steps as escaped, script-free SVG markup."""
    points = _downsample(losses)
    if not points:
        return format_html("<p>{}</p>", "No step has run yet.")
    low = min(loss for _, loss in points)
    high = max(loss for _, loss in points)
    span = (high - low) or 1.0
    last_step = max(total_steps, int(points[-1][0]), 1)
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM

    def xy(step: float, loss: float) -> str:
        x = PAD_LEFT + plot_w * step / last_step
        y = PAD_TOP + plot_h * (1 - (loss - low) / span)
        return f"{x:.1f},{y:.1f}"

    grid = [
        (
            PAD_LEFT,
            f"{PAD_TOP + plot_h * (1 - f):.1f}",
            WIDTH - PAD_RIGHT,
            f"{low + span * f:.3f}",
        )
        for f in (0, 0.5, 1)
    ]
    return format_html(
        '<svg class="loss-curve" role="img" aria-labelledby="loss-title loss-desc" '
        'viewBox="0 0 {} {}" width="100%" style="max-width:{}px" '
        'preserveAspectRatio="xMinYMin meet">'
        '<title id="loss-title">Training loss</title>'
        '<desc id="loss-desc">Loss from {} at step {} to {} at step {}.</desc>'
        "{}"
        '<polyline fill="none" stroke="#417690" stroke-width="1.5" points="{}"/>'
        '<text x="{}" y="{}" font-size="11" text-anchor="start">step 0</text>'
        '<text x="{}" y="{}" font-size="11" text-anchor="end">step {}</text>'
        "</svg>",
        WIDTH,
        HEIGHT,
        WIDTH,
        f"{points[0][1]:.3f}",
        int(points[0][0]),
        f"{points[-1][1]:.3f}",
        int(points[-1][0]),
        format_html_join(
            "",
            '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#ddd"/>'
            '<text x="{}" y="{}" font-size="11" text-anchor="end">{}</text>',
            ((x1, y, x2, y, x1 - 4, float(y) + 4, value) for x1, y, x2, value in grid),
        ),
        " ".join(xy(step, loss) for step, loss in points),
        PAD_LEFT,
        HEIGHT - 6,
        WIDTH - PAD_RIGHT,
        HEIGHT - 6,
        last_step,
    )


def progress_bar_html(run: TrainingRun) -> SafeString:
    last = run.losses[-1][1] if run.losses else None
    loss = f", loss {last:.3f}" if last is not None else ""
    # A scorer run's steps are the documents it has read; its loss is the one fit's.
    unit = "documents read" if run.method == TrainingRun.Method.SCORER else "steps"
    return progress_html(
        done=run.step,
        total=run.total_steps,
        text=f"{run.step} / {run.total_steps} {unit} ({round(run.percent)}%){loss}",
        attrs={"run_id": run.pk, "state": run.state},
    )


def gate_table_html(run: TrainingRun) -> SafeString:
    """Return the gate's ROUGE (and flag rate) per system, with the intervals."""
    report = run.metrics or {}
    systems = report.get("systems") or {}
    if not systems:
        return format_html("<p>{}</p>", "Not evaluated yet.")
    metrics = ["rouge1", "rouge2", "rougeLsum"]
    if any("flag_rate" in values for values in systems.values()):
        metrics.append("flag_rate")
    rows = [
        (name, *(systems[name].get(metric, "-") for metric in metrics))
        for name in ("candidate", "base", "live")
        if name in systems
    ]
    gains = report.get("vs_live", {})
    return format_html(
        "<table><thead><tr><th>system</th>{}</tr></thead><tbody>{}</tbody></table>"
        "<p>{} validation documents. Against the live producer: {}</p><p><strong>{}</strong> {}</p>",
        format_html_join("", "<th>{}</th>", ((metric,) for metric in metrics)),
        format_html_join(
            "", "<tr>" + "<td>{}</td>" * (len(metrics) + 1) + "</tr>", rows
        ),
        report.get("n", 0),
        "; ".join(
            f"{metric} {value['diff']:+.2f} [{value['low']:.2f}, {value['high']:.2f}]"
            for metric, value in gains.items()
        ),
        "Passed." if run.gate_passed else "Failed.",
        run.gate_reason,
    )


def gate_examples_for(*, run: TrainingRun, user) -> list[dict]:
    """The gate's example documents (``gate.gate_evaluate``'s) that ``user`` may
    read, each with its title and page; an imported pair has neither."""
    from django.urls import reverse

    from docsite.documents.models import Document
    from docsite.documents.selectors import space_ids_visible

    examples = (run.metrics or {}).get("examples") or []
    ids = {e["document_id"] for e in examples if e.get("document_id") is not None}
    titles = dict(
        Document.objects.filter(
            pk__in=ids, space_id__in=space_ids_visible(user=user)
        ).values_list("pk", "title")
    )
    shown = []
    for example in examples:
        document_id = example.get("document_id")
        if document_id is not None and document_id not in titles:
            continue  # a document this user may not read
        shown.append(
            {
                **example,
                "title": titles.get(document_id, "Imported pair"),
                "url": (
                    reverse("documents:detail", args=[document_id])
                    if document_id is not None
                    else ""
                ),
                "gain": round(example["candidate_score"] - example["live_score"], 2),
            }
        )
    return shown
