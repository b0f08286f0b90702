"""The operator dashboard: counts by status, throughput plot and failures."""

from __future__ import annotations

from datetime import timedelta

import pytest

from django.urls import reverse
from django.utils import timezone

from docsite.documents.services import document_create_from_text
from summaries.models import Summary
from summaries.selectors import summary_status_counts, summary_throughput_hourly
from workers.dashboard import throughput_svg

pytestmark = pytest.mark.django_db


def _summary(document, *, status, generated_at=None, error="", producer="p"):
    return Summary.objects.create(
        document=document,
        content_sha256=document.content_sha256,
        producer=producer,
        backend="dummy",
        status=status,
        generated_at=generated_at,
        error=error,
        text="A summary.",
    )


@pytest.fixture
def document(world):
    return document_create_from_text(
        space=world.handbook, title="Holiday <calendar>", text="Days off."
    ).document


def test_status_counts_and_hourly_throughput(document):
    now = timezone.now()
    _summary(document, status="generated", generated_at=now, producer="a")
    _summary(
        document, status="approved", generated_at=now - timedelta(hours=2), producer="b"
    )
    _summary(document, status="failed", producer="c", error="boom")
    counts = summary_status_counts()  # every summary (no user: operators' total)
    assert counts["generated"] >= 1 and counts["failed"] >= 1
    assert set(counts) == set(Summary.Status.values)

    points = summary_throughput_hourly(hours=24, now=now)
    assert len(points) == 24
    assert points[-1][1] >= 1 and points[-3][1] >= 1
    assert sum(count for _, count in points) >= 2


def test_throughput_svg_is_an_accessible_chart():
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    svg = throughput_svg([(now - timedelta(hours=1), 0), (now, 3)])
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert "<title" in svg and "3 summaries" in svg
    assert svg.count("<rect") == 2


def test_dashboard_page_renders_counts_plot_and_escaped_failures(
    client, django_user_model, document
):
    _summary(document, status="failed", producer="c", error="<b>boom</b>")
    admin = django_user_model.objects.create_superuser("root", "r@example.com", "pw")
    client.force_login(admin)
    response = client.get(reverse("admin:workers_dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Summaries by status" in html and "throughput-chart" in html
    assert "Holiday &lt;calendar&gt;" in html and "&lt;b&gt;boom" in html
    assert (
        reverse("admin:workers_dashboard")
        in client.get(reverse("admin:index")).content.decode()
    )


def test_dashboard_is_closed_to_readers(client, world):
    client.force_login(world.carol)
    response = client.get(reverse("admin:workers_dashboard"))
    assert response.status_code == 302  # to the admin login
