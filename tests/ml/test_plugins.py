"""One plugin loader for parsers, summarizers and embedders (docsite.plugins)."""

from __future__ import annotations

import logging

import pytest

from django.core.checks import run_checks

from docsite.ml.embedders.base import BaseEmbedder
from docsite.plugins import plugins_load


def _errors(id_prefix: str) -> list:
    return [e for e in run_checks() if e.id.startswith(id_prefix)]


@pytest.mark.parametrize(
    "setting, value, check_id, named",
    [
        (
            "DOCSITE_EMBEDDERS",
            {"default": {"BACKEND": "no_such_embedder", "OPTIONS": {}}},
            "ml.E002",
            "no_such_embedder",
        ),
        (
            "SUMMARIES_BACKENDS",
            {"default": {"BACKEND": "no_such_summarizer", "OPTIONS": {}}},
            "summaries.E003",
            "no_such_summarizer",
        ),
        (
            "DOCSITE_PARSERS",
            {"no_such_parser": {"OPTIONS": {}}},
            "documents.E002",
            "no_such_parser",
        ),
    ],
)
def test_a_configured_plugin_that_is_missing_is_a_check_error_naming_it(
    settings, setting, value, check_id, named
):
    setattr(settings, setting, value)
    errors = [e for e in run_checks() if e.id == check_id]
    assert errors and named in errors[0].msg and setting in errors[0].msg


def test_a_broken_embedder_is_logged_and_skipped(caplog):
    configured = {
        "good": {"BACKEND": "tests.interests.fakes.HashingEmbedder", "OPTIONS": {}},
        "missing": {"BACKEND": "tests.no_such_module.Embedder", "OPTIONS": {}},
        "bad-options": {
            "BACKEND": "tests.interests.fakes.HashingEmbedder",
            "OPTIONS": {"colour": "blue"},
        },
    }
    with caplog.at_level(logging.ERROR):
        loaded = plugins_load(
            group="docsite.embedders",
            configured=configured,
            setting="DOCSITE_EMBEDDERS",
            base=BaseEmbedder,
            backend_key="BACKEND",
        )
    assert list(loaded) == ["good"]
    assert "failed to import" in caplog.text and "could not be set up" in caplog.text
