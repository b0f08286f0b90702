"""The default summarizer's summaries of real parsed files are well-formed.

The extractive summarizer with the packaged MiniLM embedder summarizes the
same policy as Markdown, HTML, Word and a multi-page PDF (parsed through the
real parsers), and the demo's PDFs, at several budgets; every summary must
pass ``summary_check`` against its source's blocks: no glued heading, no
colon at the end, no table row, no code, no sentence cut at a PDF line
break. The check itself is shown to catch each pattern in
``test_wellformed.py``.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from docsite.documents.parsers import parse_document, reset_parsers
from summaries.backends import get_summarizer, reset_summarizers
from summaries.backends.base import SummaryBudget
from summaries.wellformed import summary_check
from tests import structured_files as files

pytestmark = pytest.mark.slow

SAMPLES = Path(__file__).resolve().parents[2] / "docsite/documents/sample_documents"
BUILDERS = {
    "policy.md": files.markdown_bytes,
    "policy.html": files.html_bytes,
    "policy.docx": files.docx_bytes,
    "policy.pdf": files.pdf_bytes,
}
DEMO_PDFS = (
    "engineering/postgresql-backup-and-restore.pdf",
    "people/parental-leave-policy.pdf",
    "handbook/password-and-mfa-guide.pdf",
)


@pytest.fixture(scope="module")
def sources():
    reset_parsers()
    parsed = {
        name: parse_document(build(), filename=name)[1]
        for name, build in BUILDERS.items()
    }
    for path in DEMO_PDFS:
        parsed[path] = parse_document((SAMPLES / path).read_bytes(), filename=path)[1]
    return parsed


@pytest.fixture(scope="module")
def summarizer(django_db_blocker):
    from django.test import override_settings

    from docsite.settings import base

    reset_summarizers()
    # The app's own default, whatever the test settings swap in.
    with override_settings(SUMMARIES_BACKENDS=base.SUMMARIES_BACKENDS):
        yield get_summarizer("default")
    reset_summarizers()


@pytest.mark.parametrize("words", [20, 40, 60])
def test_default_summaries_of_parsed_files_are_well_formed(sources, summarizer, words):
    names = sorted(sources)
    results = summarizer.summarize_batch(
        [sources[name].text for name in names],
        budget=SummaryBudget(words),
        blocks=[[b.as_dict() for b in sources[name].blocks] for name in names],
    )

    for name, result in zip(names, results, strict=True):
        check = summary_check(result.text, blocks=sources[name].blocks)
        assert result.text, name
        assert check.well_formed, (name, result.text, check)


@pytest.mark.parametrize("name", [*DEMO_PDFS, "policy.pdf"])
def test_pdf_summary_never_ends_a_sentence_at_a_line_break(sources, summarizer, name):
    """No summary sentence stops where a PDF line stopped mid-sentence."""
    from pypdf import PdfReader

    data = files.pdf_bytes() if name == "policy.pdf" else (SAMPLES / name).read_bytes()
    raw_lines = [
        " ".join(line.split())
        for page in PdfReader(io.BytesIO(data)).pages
        for line in (page.extract_text() or "").splitlines()
    ]
    cut = [line for line in raw_lines if line and line[-1].isalnum()]
    (result,) = summarizer.summarize_batch(
        [sources[name].text],
        budget=SummaryBudget(60),
        blocks=[[b.as_dict() for b in sources[name].blocks]],
    )

    assert cut  # the PDFs do break sentences across lines
    for line in cut:
        assert line + "." not in result.text, (line, result.text)
        assert not result.text.endswith(line), (line, result.text)
