"""Training data from reviews: what goes in, for whom, and how it is split."""

from __future__ import annotations

import io
import json

import pytest

from docsite.documents.services import document_update
from summaries.training.data import (
    TrainingDataError,
    training_dataset_build,
    training_dataset_write,
    training_pairs_import,
)
from summaries.training.models import TrainingExample, TrainingPair

pytestmark = pytest.mark.django_db


def positives(dataset):
    return list(dataset.examples.filter(kind="positive"))


def test_export_takes_editors_versions_and_approvals_and_keeps_rejections_as_negatives(
    reviewed,
):
    dataset = training_dataset_build(user=reviewed.editor, validation_fraction=0.5)

    summaries = [e.summary for e in positives(dataset)]
    assert {
        "Edited: item 0 agreed.",
        "Edited: item 1 agreed.",
        "Edited: item 2 agreed.",
        "HR item 0 agreed.",
        "HR item 1 agreed.",
    } < set(summaries)
    # The two approvals are the dummy's text (the document's first words).
    assert sum(1 for s in summaries if s.startswith("Engineering note")) == 2
    negative = dataset.examples.get(kind="negative")
    assert negative.reason == "Misses the decision."
    counts = dataset.counts
    assert counts["edited"] == 5 and counts["approved"] == 2
    assert counts["negatives"] == 1
    assert counts["train"] + counts["validation"] == 7
    # The generated originals that editors replaced are not targets.
    assert counts["superseded"] == 0


def test_export_sees_only_the_spaces_the_user_may_read(reviewed, world):
    dataset = training_dataset_build(user=world.alice, validation_fraction=0.5)

    assert {e.summary for e in positives(dataset)} >= {"Edited: item 0 agreed."}
    assert not any(e.summary.startswith("HR") for e in dataset.examples.all())

    with pytest.raises(TrainingDataError):
        training_dataset_build(user=world.carol, validation_fraction=0.5)


def test_split_is_by_document_and_the_same_on_every_build(reviewed):
    first = training_dataset_build(user=reviewed.editor, validation_fraction=0.5)
    again = training_dataset_build(user=reviewed.editor, validation_fraction=0.5)

    assert again.pk == first.pk, "the same data is the same version"
    sides: dict[str, set[str]] = {}
    for example in first.examples.all():
        sides.setdefault(example.document_sha256, set()).add(example.split)
    assert all(len(split) == 1 for split in sides.values())
    assert {"train", "validation"} == {e.split for e in first.examples.all()}


def test_summaries_of_an_old_text_are_left_out(reviewed):
    document = reviewed.engineering[0]
    document_update(
        document=document,
        user=None,
        content=b"A completely new text.",
        filename="n.txt",
    )

    dataset = training_dataset_build(user=reviewed.editor, validation_fraction=0.5)

    assert "Edited: item 0 agreed." not in {e.summary for e in positives(dataset)}
    assert dataset.counts["stale"] >= 1


def test_export_writes_jsonl_with_split_and_kind(reviewed):
    dataset = training_dataset_build(user=reviewed.editor, validation_fraction=0.5)
    out = io.StringIO()

    lines = training_dataset_write(dataset=dataset, out=out)

    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines == len(records) == dataset.examples.count()
    assert {r["kind"] for r in records} == {"positive", "negative"}
    assert all(r["document"] and r["summary"] and r["split"] for r in records)


def test_pairs_import_deduplicates_and_bootstraps_a_dataset(
    tmp_path, world, django_user_model
):
    path = tmp_path / "pairs.jsonl"
    rows = [
        {"id": str(i), "document": f"Text number {i}.", "summary": f"S{i}."}
        for i in range(20)
    ]
    rows.append(dict(rows[0]))
    path.write_text("\n".join(json.dumps(r) for r in rows))
    admin = django_user_model.objects.create_superuser("root", password="x")

    first = training_pairs_import(path=path, source="public")
    second = training_pairs_import(path=path, source="public")
    dataset = training_dataset_build(
        user=admin, pair_sources=None, validation_fraction=0.3
    )

    assert first == {"imported": 20, "duplicates": 1}
    assert second == {"imported": 0, "duplicates": 21}
    assert dataset.counts["imported"] == 20
    assert dataset.counts["train"] + dataset.counts["validation"] == 20
    assert set(dataset.examples.values_list("origin", flat=True)) == {"imported"}


def test_bad_pairs_file_names_the_line_and_imports_nothing(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"document": "A.", "summary": "B."}\n{"document": "C."}\n')

    with pytest.raises(TrainingDataError, match="line 2"):
        training_pairs_import(path=path, source="public")
    assert not TrainingPair.objects.exists()
    assert not TrainingExample.objects.exists()
