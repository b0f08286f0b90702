"""The extractive summarizer on parsed documents: a long PDF, a handbook page, a report that summarizes itself."""

from __future__ import annotations

import pytest

from docsite.ml.embedders import get_embedder
from summaries.backends.base import SummaryBudget
from summaries.backends.extractive import ExtractiveSummarizer
from summaries.text import sentences_split, text_word_count

from .samples import PAGES, page_of, summary_sentences


@pytest.fixture(scope="module")
def summarizer():
    return ExtractiveSummarizer(embedder=get_embedder())


BUDGET = SummaryBudget(60)


def summarize(summarizer, text: str, *, budget: SummaryBudget = BUDGET) -> str:
    return summarizer.summarize_batch([text], budget=budget)[0].text


@pytest.mark.slow
def test_a_20_page_pdf_without_headings_is_summarized_from_all_of_it(summarizer):
    """GIVEN a real 20-page PDF, one topic per page and no headings, WHEN parsed
    and summarized THEN the summary is not only its first pages."""
    from fpdf import FPDF

    from docsite.documents.parsers import parse_document

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for _title, body in PAGES:
        pdf.add_page()
        # Each page's four sentences, twice: a page is long enough to be a page.
        pdf.multi_cell(0, 6, f"{body} {body}")
    mime_type, parsed = parse_document(bytes(pdf.output()), filename="report.pdf")
    assert mime_type == "application/pdf"

    pages = [
        page_of(sentence)
        for sentence in summary_sentences(summarize(summarizer, parsed.text))
        if any(sentence in body for _, body in PAGES)
    ]

    assert len(pages) >= 2
    assert max(pages) >= len(PAGES) // 2, pages


HANDBOOK = b"""# Parental Leave Policy

Every employee who becomes a parent may take paid leave. Leave can start up
to two weeks before the expected birth or adoption.

## Leave and pay

Parents get leave at full pay:

- 20 weeks for the primary caregiver
- 8 weeks for the secondary caregiver

| Role | Weeks | Pay |
|------|-------|-----|
| Primary caregiver | 20 | Full |
| Secondary caregiver | 8 | Full |

## Requesting leave

Tell your manager at least eight weeks before the leave starts:

```
leave request --start 2027-03-01 --weeks 20
```

Employees on fixed-term contracts shorter than a year get leave pro rata.
"""


@pytest.mark.slow
def test_a_parsed_handbook_page_gets_a_clean_summary_with_its_key_facts(summarizer):
    """GIVEN a Markdown page with headings, a colon list, a table and code WHEN
    summarized from its blocks THEN no heading, table row, code or dangling
    colon is in the summary, every sentence ends, and the list's facts are kept
    with the sentence that introduces them."""
    from docsite.documents.parsers import parse_document

    _, parsed = parse_document(HANDBOOK, filename="leave.md")
    blocks = [block.as_dict() for block in parsed.blocks]

    summary = summarizer.summarize_batch(
        [parsed.text], budget=SummaryBudget(60), blocks=[blocks]
    )[0].text

    assert "20 weeks for the primary caregiver" in summary
    assert "8 weeks for the secondary caregiver" in summary
    for forbidden in ("Leave and pay", "Primary caregiver | 20", "| Full", "--start"):
        assert forbidden not in summary
    assert summary.endswith((".", "!", "?"))
    assert not summary.rstrip().endswith(":")
    assert text_word_count(summary) <= 60


REPORT_WITH_OWN_SUMMARY = """Migration of the Billing Database

Background

The billing database has run on the same PostgreSQL 11 cluster since 2019.
The cluster sits in a data centre that the company leaves at the end of the year.
Three teams read from it directly, and two of them write to it at night.

Executive summary

We will move the billing database to the managed PostgreSQL 17 service on 14 March.
Writes stop for at most 20 minutes during the switch, and reads continue from a replica.
The migration costs 12,000 euros and removes the last workload from the old data centre.

Plan

The replica is built two weeks before the switch and checked every day.
On the day, the teams pause their night jobs and the old primary is made read-only.
"""


@pytest.mark.slow
def test_a_document_that_summarizes_itself_is_summarized_from_that_section(
    summarizer,
):
    """GIVEN a report with an "Executive summary" after its background WHEN it
    is summarized (as plain text, and as parsed Markdown) THEN every summary
    sentence comes from the author's own summary, with its date and cost."""
    from docsite.documents.parsers import parse_document

    own = REPORT_WITH_OWN_SUMMARY.split("Executive summary")[1].split("Plan")[0]
    markdown = REPORT_WITH_OWN_SUMMARY
    for heading in ("Background", "Executive summary", "Plan"):
        markdown = markdown.replace(f"\n{heading}\n", f"\n## {heading}\n")
    _, parsed = parse_document(markdown.encode(), filename="billing.md")
    summaries = [
        summarize(summarizer, REPORT_WITH_OWN_SUMMARY, budget=SummaryBudget(40)),
        summarizer.summarize_batch(
            [parsed.text],
            budget=SummaryBudget(40),
            blocks=[[block.as_dict() for block in parsed.blocks]],
        )[0].text,
    ]

    for summary in summaries:
        sentences = sentences_split(summary)
        assert sentences
        assert all(sentence.text in own for sentence in sentences), summary
        assert "14 March" in summary


FORUM_POST_WITH_TLDR = """Changed careers at 41 - three years later

I promised myself I would write this up. Three years ago I left a stable job as
a management accountant to train as an electrician. Lots of people told me it was
a mid-life crisis.

The first year was hard. I went from a comfortable salary to an apprentice wage,
and I was working alongside teenagers who knew more than I did. We had to use
savings to cover the mortgage for eight months.

Now I am qualified and working for a small contractor. I earn slightly less than
I did before, but I am outside, I solve real problems, and I sleep better.

TL;DR: Left accounting for an electrician apprenticeship at 41. I earn a bit less but I am much happier.
"""


@pytest.mark.slow
def test_an_inline_tldr_line_is_the_summary_of_a_post(summarizer):
    """GIVEN a forum post that ends with its own "TL;DR: ..." line (no heading)
    WHEN it is summarized THEN the summary is taken from that line, without
    the "TL;DR:" label."""
    tldr = FORUM_POST_WITH_TLDR.split("TL;DR: ")[1]

    summary = summarize(summarizer, FORUM_POST_WITH_TLDR, budget=SummaryBudget(40))

    sentences = sentences_split(summary)
    assert sentences
    assert all(sentence.text in tldr for sentence in sentences), summary
    assert "TL;DR" not in summary


WIRE_STORY = """SINGAPORE, Nov 5 (Reuters) - Singapore will start trials of driverless public \
buses on two routes next year, the transport ministry said on Tuesday, as the city \
looks to automation to cope with a shortage of bus drivers.

Six electric buses will run on a loop between the metro station and new housing \
estates. For the first six months, a safety operator will be on board each bus.

The ministry did not disclose the cost of the trial. Other cities have tested \
driverless buses in recent years, although most kept staff on board.
"""


@pytest.mark.slow
def test_a_wire_story_dateline_is_left_out_of_the_summary(summarizer):
    """GIVEN a news story opening "SINGAPORE, Nov 5 (Reuters) - ..." WHEN it
    is summarized THEN its lead sentence is kept without the dateline, which
    says where the wire filed from, not what happened."""
    summary = summarize(summarizer, WIRE_STORY, budget=SummaryBudget(40))

    assert "Singapore will start trials of driverless public buses" in summary
    assert "Reuters" not in summary
    assert not summary.startswith("SINGAPORE")


def test_a_sentence_reads_as_prose_unless_it_has_no_lower_case_word_nor_caseless_script():
    from summaries.backends.extractive.planning import reads_as_prose

    assert not reads_as_prose("Daily Mail Reporter .")
    assert not reads_as_prose("12:53 EST, 3 March 2013 .")
    assert reads_as_prose("The council approved the budget.")
    # Chinese with a Latin acronym in it is prose (the knowledge-base set lost
    # such sentences while the rule read only Latin letters).
    assert reads_as_prose("使用 API 前请先在 IT 门户申请 Token。")
    assert reads_as_prose("城市议会周一批准了公共交通的新预算。")
    # So is a sentence in any other script naming a brand; a byline in
    # capitals is none in any script.
    assert reads_as_prose("Компания Apple представила новый iPhone.")
    assert reads_as_prose("أعلنت شركة Apple عن هاتف جديد.")
    assert reads_as_prose("Apple은 새로운 iPhone을 발표했다.")
    assert not reads_as_prose("ДЕЙЛИ МЕЙЛ .")


PRESS_RELEASE = """# Greenline Buses to go fully electric in Leeds by 2027

LEEDS, 14 November 2024 - Greenline Buses today announced that it will replace \
all 220 diesel buses in its Leeds fleet with electric vehicles by the end of 2027. \
The 95 million pound investment will cut the company's emissions by 18,000 tonnes \
a year.

The first 60 electric buses will enter service next summer on the busiest routes.

## About Greenline Buses

Greenline Buses is one of the largest bus operators in the north of England, \
running more than 1,400 buses and employing 5,000 people across twelve depots.

## Media contact

Priya Shah, Head of Communications, press@greenline.example, 0113 496 0000.
"""


def test_closing_back_matter_is_no_part_of_the_document_to_summarize():
    """GIVEN a press release closing with "About ..." and "Media contact"
    sections WHEN it is planned THEN those sections are left out, and a
    document whose only heading reads "About ..." keeps all its text."""
    from summaries.backends.extractive.planning import main_matter
    from summaries.structure import units_from_text

    kept = main_matter(units_from_text(PRESS_RELEASE))
    texts = " ".join(unit.text for unit in kept)

    assert "replace all 220 diesel buses" in texts
    assert "first 60 electric buses" in texts
    assert "largest bus operators" not in texts and "Priya Shah" not in texts

    about_only = "# About our benefits\n\nEvery employee gets private health cover.\n"
    assert len(main_matter(units_from_text(about_only))) == len(
        units_from_text(about_only)
    )


BILL = """SECTION 1. SHORT TITLE.

    This Act may be cited as the ``Rural Broadband Access Act of 2019''.

SEC. 2. GRANTS FOR BROADBAND DEPLOYMENT.

    (a) In General.--The Secretary of Agriculture shall establish a
program to award grants to eligible entities for the deployment of
broadband service in rural areas that lack access to such service.
    (b) Authorization of Appropriations.--There is authorized to be
appropriated to carry out this section $500,000,000 for each of fiscal
years 2020 through 2024.
"""


@pytest.mark.slow
def test_a_bill_is_summarized_from_its_provisions_in_clean_sentences(summarizer):
    """GIVEN a bill laid out as legal texts are (indented paragraphs, capital
    section titles, "(a) In General.--The Secretary ..." provisions) WHEN it
    is summarized THEN the summary quotes its provisions, and no sentence
    opens with the dash that ran the label into it, nor is a section title."""
    summary = summarize(summarizer, BILL, budget=SummaryBudget(60))

    sentences = [sentence.text for sentence in sentences_split(summary)]
    assert sentences, summary
    assert not any(sentence.startswith(("-", "–", "—")) for sentence in sentences)
    assert "SEC. 2" not in summary and "SHORT TITLE" not in summary
    assert "Secretary of Agriculture" in summary or "500,000,000" in summary
