"""An editor looks at a trained summarizer before promoting it: the run page
shows, side by side, the pages where it and the live summaries differ most."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from summaries.training import runs
from summaries.training.data import training_dataset_build
from tests.summaries.training.conftest import editors_pages  # noqa: F401  (fixture)

from .conftest import PASSWORD, login

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_an_editor_compares_a_trained_scorer_with_the_live_summaries(
    editors_pages,  # noqa: F811
    live_server,
    page,
    shoot,
    monkeypatch,
):
    # Trained here, in the test's process: the worker's part is the flow
    # test's (tests/integration/test_training_flow.py).
    monkeypatch.setattr(
        "summaries.training.tasks.training_run_execute.apply_async",
        lambda **kwargs: None,
    )
    dataset = training_dataset_build(user=editors_pages, validation_fraction=0.4)
    run = runs.training_run_start(
        dataset=dataset,
        base_alias="extractive",
        method="scorer",
        hyperparameters={"scope": "all"},
        actor=editors_pages,
    )
    runs.training_run_execute(run_id=run.pk)
    editors_pages.set_password(PASSWORD)
    editors_pages.save()

    login(page, "editor")
    page.goto(f"/admin/summaries/trainingrun/{run.pk}/change/")

    expect(page.get_by_text("Passed.", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("differ most"))).to_be_visible()
    better = page.locator("tr.gate-example--better")
    expect(better.first).to_be_visible()
    # The candidate's column opens with a takeaway, as the editors' summaries
    # do; the live one (the test settings' dummy: the first words) with the
    # page's opening.
    cells = better.first.locator("td")
    expect(cells.nth(3)).to_have_text(re.compile(r"^In short,"))
    expect(cells.nth(4)).to_have_text(re.compile(r"^The \w+ group met"))
    shoot(page, "training-run-before-promotion")
