"""Faithfulness flags: generated sentences the source may not back are flagged, with a reason."""

from __future__ import annotations

import pytest

from django.urls import reverse

from summaries import services
from summaries.faithfulness import faithfulness_check_batch, flags_need_attention
from summaries.models import Summary
from tests.interests.fakes import HashingEmbedder

SOURCE = (
    "Every employee who becomes a parent may take paid leave. "
    "The primary caregiver gets 20 weeks at full pay and the secondary caregiver "
    "gets 8 weeks. Ron Jones in the Newport office handles every request. "
    "Requests go to the manager at least eight weeks before the leave starts."
)


def check(summary: str, *, embedder=None, threshold: float = 0.3):
    return faithfulness_check_batch(
        summaries=[summary],
        sources=[SOURCE],
        embedder=embedder or HashingEmbedder(),
        threshold=threshold,
    )[0]


def test_a_copied_sentence_is_fully_supported():
    (flag,) = check("Ron Jones in the Newport office handles every request.")

    assert flag.support == 1.0
    assert not flag.flagged and flag.reason == ""
    assert not flag.missing


def test_a_number_the_source_never_gives_is_flagged():
    (flag,) = check("The primary caregiver gets 26 weeks at full pay.")

    assert flag.flagged
    assert flag.missing == ["26"]
    assert "not in the source: 26" in flag.reason


def test_a_name_the_source_never_gives_is_flagged_but_sentence_openers_are_not():
    (flag,) = check("Requests go to Theresa in the Cardiff office.")

    assert flag.missing == ["Theresa", "Cardiff"]
    (opener,) = check("Requests go to the manager before the leave starts.")
    assert opener.missing == []
    # A capital inside a word ("iPod") is no name of its own.
    (brand,) = check("Parents may take an iPod on leave.")
    assert brand.missing == []


def test_amounts_compare_by_value_not_by_formatting():
    flags = faithfulness_check_batch(
        summaries=["The fund holds £1,250 for each of 3 teams."],
        sources=["Each of the 3 teams gets £1250 from the fund."],
        embedder=HashingEmbedder(),
        threshold=0.0,
    )[0]

    assert flags[0].missing == []


def test_an_unrelated_sentence_gets_low_support_and_a_reason():
    copied, invented = check(
        "Every employee who becomes a parent may take paid leave. "
        "Volcanic ash grounded aircraft across the continent."
    )

    assert not copied.flagged
    assert invented.flagged
    assert invented.support < copied.support
    assert "no source sentence says this" in invented.reason
    assert invented.evidence  # the closest source sentences, for the editor
    assert flags_need_attention([copied, invented])
    assert not flags_need_attention([copied])


def test_each_summary_is_checked_against_its_own_source():
    flags = faithfulness_check_batch(
        summaries=["Bees make honey.", "Bees make honey."],
        sources=["Bees make honey in the hive.", "Cars need fuel."],
        embedder=HashingEmbedder(),
        threshold=0.5,
    )

    assert not flags[0][0].flagged
    assert flags[1][0].flagged


@pytest.mark.slow
def test_the_packaged_embedder_tells_a_paraphrase_from_an_invention():
    """With MiniLM, a faithful paraphrase is supported and an invention is not."""
    from docsite.ml.embedders import get_embedder
    from summaries.faithfulness import SUPPORT_THRESHOLD

    embedder = get_embedder()
    paraphrase, invention = check(
        "A parent who works here can take leave with pay. "
        "The company will open a new office in Tokyo next spring.",
        embedder=embedder,
        threshold=SUPPORT_THRESHOLD,
    )

    assert not paraphrase.flagged, paraphrase
    assert invention.flagged
    assert "Tokyo" in invention.missing


@pytest.fixture
def inventing_backend(settings):
    settings.SUMMARIES_BACKENDS = {
        "default": {
            "BACKEND": "dummy",
            "OPTIONS": {"invent": "The leave lasts 52 weeks in Tokyo."},
        }
    }
    settings.DOCSITE_EMBEDDERS = {
        "default": {"BACKEND": "tests.interests.fakes.HashingEmbedder", "OPTIONS": {}}
    }


@pytest.mark.django_db
def test_generation_stores_flags_of_generated_summaries(
    make_document, inventing_backend
):
    document = make_document(SOURCE, title="Parental leave")

    services.summaries_generate(document_ids=[document.pk])

    summary = Summary.objects.get(document=document)
    assert summary.needs_attention
    invented = [flag for flag in summary.flags if flag["flagged"]]
    assert [flag["sentence"] for flag in invented] == [
        "The leave lasts 52 weeks in Tokyo."
    ]
    assert "52" in invented[0]["missing"] and "Tokyo" in invented[0]["missing"]


@pytest.mark.django_db
def test_verbatim_backends_are_not_checked(make_document, settings):
    document = make_document(SOURCE, title="Parental leave")

    services.summaries_generate(document_ids=[document.pk])

    summary = Summary.objects.get(document=document)
    assert summary.flags == [] and not summary.needs_attention


@pytest.mark.django_db
def test_a_failing_check_marks_the_summary_for_attention(
    make_document, inventing_backend, settings
):
    settings.SUMMARIES_FAITHFULNESS = {"EMBEDDER": "missing-alias", "THRESHOLD": None}
    document = make_document(SOURCE, title="Parental leave")

    services.summaries_generate(document_ids=[document.pk])

    summary = Summary.objects.get(document=document)
    assert summary.text  # the summary itself is kept
    assert summary.needs_attention
    assert "could not run" in summary.flags[0]["reason"]


@pytest.mark.django_db
def test_review_queue_filters_and_highlights_what_needs_attention(
    client, world, make_document, inventing_backend
):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    flagged_doc = make_document(SOURCE, title="Flagged leave policy")
    services.summaries_generate(document_ids=[flagged_doc.pk])
    clean = make_document("Backups run nightly.", title="Clean backups")
    Summary.objects.create(
        document=clean,
        content_sha256=clean.content_sha256,
        producer="other:1",
        backend="other",
        text="Backups run nightly.",
        status=Summary.Status.GENERATED,
    )
    editor = UserFactory(
        username="edna",
        is_staff=True,
        groups=[world.engineering.viewer_groups.get()],
    )
    editor.user_permissions.add(Permission.objects.get(codename="review_summary"))
    client.force_login(editor)

    queue = client.get(
        reverse("admin:summaries_summary_changelist") + "?attention=yes"
    ).content.decode()

    assert "Flagged leave policy" in queue
    assert "Clean backups" not in queue
    assert "⚠ 1 sentence" in queue
    summary = Summary.objects.get(document=flagged_doc)
    page = client.get(
        reverse("admin:summaries_summary_change", args=[summary.pk])
    ).content.decode()
    assert '<mark class="unsupported"' in page
    assert "The leave lasts 52 weeks in Tokyo." in page
    assert "not in the source: 52, Tokyo" in page
