from __future__ import annotations

import pytest

from docsite.documents.services import document_create_from_text
from summaries.models import Summary
from summaries.services import summaries_generate, summary_edit, summary_reject
from summaries.training import runs
from summaries.training.data import training_dataset_build
from tests.summaries.tiny_llama import tiny_llama_save
from tests.summaries.training.scorer_pages import takeaway_page


@pytest.fixture
def reviewed(world, django_user_model):
    """Reviewed summaries in two spaces, made with the dummy backend (first 60 words).

    - engineering: six documents; the first three get an editor's version
      ("Edited: ..."), the next two are approved as generated, the last is
      rejected with a reason;
    - hr: two documents, edited;
    - ``editor`` is a superuser who did the reviewing.
    """
    editor = django_user_model.objects.create_superuser("editor", password="x")
    made = {"engineering": [], "hr": []}
    for space_name, count in (("engineering", 6), ("hr", 2)):
        space = getattr(world, space_name)
        for i in range(count):
            document = document_create_from_text(
                space=space,
                title=f"{space_name} note {i}",
                text=f"{space_name.title()} note {i}. The team agreed on item {i} "
                "and will report back next week. Everyone else keeps working.",
            ).document
            made[space_name].append(document)
    ids = [d.pk for docs in made.values() for d in docs]
    summaries_generate(document_ids=ids)
    rows = {row.document_id: row for row in Summary.objects.filter(document_id__in=ids)}
    from summaries.services import summary_approve

    for i, document in enumerate(made["engineering"]):
        row = rows[document.pk]
        if i < 3:
            summary_edit(summary=row, text=f"Edited: item {i} agreed.", actor=editor)
        elif i < 5:
            summary_approve(summary=row, actor=editor)
        else:
            summary_reject(summary=row, actor=editor, reason="Misses the decision.")
    for i, document in enumerate(made["hr"]):
        summary_edit(
            summary=rows[document.pk], text=f"HR item {i} agreed.", actor=editor
        )
    return type("Reviewed", (), {"editor": editor, **made})


@pytest.fixture
def tiny_alias(settings, tmp_path, reviewed):
    """A transformers alias "tiny" on a tiny Llama whose vocabulary covers the reviews."""
    from docsite.documents.models import Document

    corpus = [d.text for d in Document.objects.all()] + [
        s.text for s in Summary.objects.all()
    ]
    folder = tiny_llama_save(tmp_path / "tiny", corpus=corpus)
    settings.DATA_DIR = tmp_path / "data"
    settings.SUMMARIES_BACKENDS = {
        **settings.SUMMARIES_BACKENDS,
        "tiny": {
            "BACKEND": "transformers",
            "OPTIONS": {"model": str(folder), "device": "cpu", "max_new_tokens": 8},
        },
    }
    settings.SUMMARIES_TRAINING = {
        "DEVICE": "cpu",
        "HYPERPARAMETERS": {
            "max_steps": 3,
            "batch_size": 2,
            "learning_rate": 1e-2,
            "warmup_steps": 0,
            "checkpoint_every": 2,
        },
    }
    return "tiny"


def start(reviewed, alias="tiny", **hyper):
    dataset = training_dataset_build(user=reviewed.editor, validation_fraction=0.4)
    return runs.training_run_start(
        dataset=dataset, base_alias=alias, hyperparameters=hyper, actor=reviewed.editor
    )


@pytest.fixture
def editors_pages(world, django_user_model, settings, tmp_path):
    """Fourteen pages whose editors replaced the machine summary by the
    takeaways, and an ``extractive`` alias on the packaged embedder."""
    settings.DATA_DIR = tmp_path / "data"
    settings.SUMMARIES_BACKENDS = {
        **settings.SUMMARIES_BACKENDS,
        "extractive": {"BACKEND": "extractive", "OPTIONS": {"embedder": "default"}},
    }
    editor = django_user_model.objects.create_superuser("editor", password="x")
    pages = [takeaway_page(seed) for seed in range(14)]
    documents = [
        document_create_from_text(
            space=world.engineering, title=f"Team notes {seed}", text=text
        ).document
        for seed, (text, _) in enumerate(pages)
    ]
    summaries_generate(document_ids=[d.pk for d in documents])
    rows = {s.document_id: s for s in Summary.objects.all()}
    for document, (_, takeaways) in zip(documents, pages, strict=True):
        summary_edit(summary=rows[document.pk], text=takeaways, actor=editor)
    return editor
