"""The well-formedness check catches each way a summary goes wrong.

Sources are parsed through the real parsers (md, html, docx and a
multi-page pdf from ``tests/structured_files.py``); each bad summary is
what a structure-blind summarizer writes from them.
"""

from __future__ import annotations

import pytest

from docsite.documents.parsers import parse_document, reset_parsers
from summaries.structure import units_from_blocks, units_join
from summaries.wellformed import summary_check
from tests import structured_files as files

BUILDERS = {
    "policy.md": files.markdown_bytes,
    "policy.html": files.html_bytes,
    "policy.docx": files.docx_bytes,
    "policy.pdf": files.pdf_bytes,
}


@pytest.fixture(scope="module")
def sources():
    reset_parsers()
    return {
        name: parse_document(build(), filename=name)[1]
        for name, build in BUILDERS.items()
    }


GOOD = (
    "Northwind Labs supports employees who become parents, whether through birth, "
    "adoption or surrogacy. Primary caregivers get 20 weeks of leave at full pay."
)
BAD = {
    # The heading glued to the sentence after it, as plain-text splitting does.
    "glued_heading": f"{files.INTRO} {files.PAY_HEADING} {files.PAY_INTRO[:-1]}.",
    # A summary that ends on a heading.
    "glued_heading ": f"{files.INTRO} {files.PAY_HEADING}.",
    "dangling_colon": f"{files.INTRO} {files.PAY_INTRO}",
    "table_row": f"{files.INTRO} Primary 20 Full Secondary 8 Full.",
    "code": f"{files.INTRO} hr-portal request --type parental --weeks 20.",
    "unterminated": "Tell your manager and the People team at least 15 weeks before",
    "markup": f"## {files.PAY_HEADING}\n\n- {files.PAY_ITEMS[0]}",
}


@pytest.mark.parametrize("filename", sorted(BUILDERS))
def test_a_clean_summary_passes(sources, filename):
    check = summary_check(GOOD, blocks=sources[filename].blocks)

    assert check.well_formed, check


@pytest.mark.parametrize("filename", sorted(BUILDERS))
@pytest.mark.parametrize("problem", sorted(BAD))
def test_each_bad_pattern_is_caught(sources, filename, problem):
    check = summary_check(BAD[problem], blocks=sources[filename].blocks)

    assert problem.strip() in check.problems


def test_a_sentence_cut_at_a_pdf_line_break_is_caught(sources):
    # What the old PDF reader gave the summarizer: one line of a sentence.
    check = summary_check(
        "Every employee gets a licence. Store all work passwords there",
        blocks=sources["policy.pdf"].blocks,
    )

    assert check.problems == ("unterminated",)


@pytest.mark.parametrize(
    ("summary", "problem"),
    [
        ("Read <b>this</b> first.", "markup"),
        ("See [the guide](https://example.org).", "markup"),
        ("Run `pg_dump` nightly.", "markup"),
        ("| a | b |\n|---|---|", "markup"),
        ("Steps:\nRestart the service.", "dangling_colon"),
        ("", "empty"),
    ],
)
def test_patterns_caught_without_blocks(summary, problem):
    assert problem in summary_check(summary).problems


def test_headings_inside_sentences_and_quoted_code_are_fine(sources):
    blocks = sources["policy.md"].blocks

    check = summary_check(
        "Notice periods differ by country. Leave and pay are set by this policy.",
        blocks=blocks,
    )

    assert check.well_formed, check


def test_what_the_source_itself_writes_in_angle_brackets_is_not_markup():
    from docsite.documents.parsers.base import Block

    blocks = [
        Block(kind="heading", text="Alerting", level=1),
        Block(
            kind="paragraph",
            text="Each service has an SLO in slo/<service>.yaml, 99.9% over 30 days.",
        ),
    ]
    quoted = "Each service has an SLO in slo/<service>.yaml, 99.9% over 30 days."
    assert summary_check(quoted, blocks=blocks).well_formed
    # A tag the source's prose does not have is still markup left behind.
    left = "Each service has an SLO in <b>slo/<service>.yaml</b>."
    assert summary_check(left, blocks=blocks).problems == ("markup",)
    # Without the source, angle brackets read as a tag.
    assert summary_check(quoted).problems == ("markup",)
    # Only tags: a bullet left behind is markup, though prose has hyphens.
    hyphens = [*blocks, Block(kind="paragraph", text="A read-only, well - kept file.")]
    bullet = "Each service has an SLO.\n- Kept in slo/<service>.yaml."
    assert summary_check(bullet, blocks=hyphens).problems == ("markup",)


@pytest.mark.parametrize("filename", sorted(BUILDERS))
def test_any_selection_of_units_joins_into_a_well_formed_summary(sources, filename):
    """units_join output passes whatever subset of units is picked."""
    blocks = sources[filename].blocks
    units = units_from_blocks(blocks)
    for start in range(len(units)):
        for size in (1, 2, 3):
            picked = units[start : start + size]
            summary = units_join(picked)
            if summary:
                check = summary_check(summary, blocks=blocks)
                assert check.well_formed, (summary, check)
