"""The extractive summarizer with the real packaged embedder, and the LEAD baseline."""

from __future__ import annotations

import pytest

from docsite.ml.embedders import get_embedder
from summaries.backends import get_summarizer
from summaries.backends.base import SummaryBudget
from summaries.backends.extractive import CJK_CHARS_PER_WORD, ExtractiveSummarizer
from summaries.backends.extractive.scoring import topic_word_scores
from summaries.backends.lead import LeadSummarizer
from summaries.structure import units_from_text
from summaries.text import sentences_split, text_word_count

BUDGET = SummaryBudget(60)
NEWS = (
    "The city council approved a new budget for public transport on Monday. "
    "The plan adds forty electric buses and extends night services on six routes. "
    "Council members said the buses will replace the oldest diesel vehicles by 2027. "
    "Opposition members argued that fares should have been frozen as well. "
    "The mayor said cheaper fares would be considered in next year's budget. "
    "Bus drivers' unions welcomed the extra night services but asked for more staff. "
    "The first electric buses are expected on the road next spring."
)
DIALOGUE = (
    "#Person1#: Good morning. I'd like to open a savings account, please.\n"
    "#Person2#: Certainly. Do you have a passport or a driving licence with you?\n"
    "#Person1#: Yes, here is my passport.\n"
    "#Person2#: Thank you. The savings account pays two percent interest a year.\n"
    "#Person1#: Is there a minimum deposit for the savings account?\n"
    "#Person2#: Yes, you need to deposit at least one hundred dollars to open it.\n"
    "#Person1#: That's fine. I'll deposit five hundred dollars today."
)
CHINESE = (
    "城市议会周一批准了公共交通的新预算。"
    "该计划增加四十辆电动公交车，并延长六条线路的夜间服务。"
    "议员们表示，新公交车将在二〇二七年前取代最旧的柴油车。"
    "反对派认为票价也应该冻结。"
    "市长说，明年的预算会考虑降低票价。"
    "第一批电动公交车预计明年春天上路。"
)

PAGES = [
    (
        "Volcanoes",
        "Volcanoes form where molten rock from the mantle reaches the surface of the Earth. Magma chambers below a volcano fill slowly over centuries before an eruption. Ash clouds from large eruptions can ground aircraft across whole continents. Geologists watch gas emissions and small earthquakes to forecast eruptions.",
    ),
    (
        "Bread baking",
        "Baking bread starts with flour, water, salt and yeast mixed into a dough. Kneading the dough develops gluten, which traps gas and lets the loaf rise. A long cold fermentation gives sourdough its tangy flavour. The crust browns in a hot oven because sugars caramelise on the surface.",
    ),
    (
        "Chess openings",
        "Chess players study openings to reach a good position in the first moves of a game. The Sicilian Defence answers the king's pawn opening with a pawn on the c-file. Grandmasters memorise long lines of opening theory before tournaments. Controlling the centre of the board early gives the pieces more room to move.",
    ),
    (
        "Honeybees",
        "Honeybees live in colonies with a single queen and thousands of worker bees. Workers collect nectar from flowers and turn it into honey inside the hive. A waggle dance tells other bees the direction and distance of good flowers. Beekeepers worry about mites and pesticides that weaken their colonies.",
    ),
    (
        "Cloud storage",
        "Cloud storage services keep copies of customer files in data centres far away. Objects are replicated across several disks so that a failed drive loses nothing. Customers pay for the gigabytes they store and the data they download. Encryption at rest protects the files if someone steals a hard disk.",
    ),
    (
        "Marathon training",
        "Runners preparing for a marathon build their weekly mileage over many months. A long slow run every weekend teaches the body to burn fat efficiently. Tapering in the final weeks lets the legs recover before race day. Drinking water and eating gels during the race prevents hitting the wall.",
    ),
    (
        "Coral reefs",
        "Coral reefs are built by tiny animals that deposit skeletons of calcium carbonate. Warm ocean water causes corals to expel their algae and turn white in bleaching events. Reefs shelter a quarter of all marine fish species despite covering little of the sea floor. Divers and scientists replant fragments of coral to restore damaged reefs.",
    ),
    (
        "Jazz history",
        "Jazz grew out of blues and ragtime in New Orleans at the start of the twentieth century. Louis Armstrong made the improvised trumpet solo the centre of the music. Bebop musicians in the nineteen forties played fast tunes with complex harmonies. Miles Davis later recorded the modal album Kind of Blue.",
    ),
    (
        "Tax returns",
        "Filing a tax return means reporting your income and deductions to the revenue office. Employers withhold part of each salary payment and send it to the government. Receipts for charitable donations can lower the amount of tax you owe. Late returns are charged interest and a penalty on the unpaid balance.",
    ),
    (
        "Rose gardening",
        "Roses need at least six hours of direct sunlight and well drained soil. Gardeners prune rose bushes in late winter to encourage strong new shoots. Black spot is a fungal disease that marks the leaves and weakens the plant. Mulching around the roots keeps moisture in the soil during dry summers.",
    ),
    (
        "Electric cars",
        "Electric cars run on large lithium ion battery packs instead of petrol engines. Fast chargers along motorways can refill most of a battery in half an hour. Regenerative braking recovers energy when the driver slows down. Cold weather reduces the driving range because batteries work less efficiently.",
    ),
    (
        "Ancient Rome",
        "Ancient Rome grew from a small city state into an empire around the Mediterranean. Roman engineers built aqueducts that carried fresh water into crowded cities. The Senate governed the republic until Augustus became the first emperor. Latin, the language of the Romans, shaped many modern European languages.",
    ),
    (
        "Sleep science",
        "Adults need around seven to nine hours of sleep each night to stay healthy. During deep sleep the brain clears waste products that build up while awake. Screens in the bedroom emit blue light that delays the release of melatonin. Chronic lack of sleep raises the risk of heart disease and diabetes.",
    ),
    (
        "Coffee farming",
        "Coffee grows on shrubs in tropical highlands between the two tropics. Farmers pick the ripe red cherries by hand several times during a harvest. The beans are washed, dried and roasted before they reach a cafe. Arabica plants suffer from leaf rust when the climate grows warmer and wetter.",
    ),
    (
        "Submarines",
        "Submarines dive by flooding ballast tanks with sea water. Nuclear reactors let modern submarines stay under water for months at a time. Sonar operators listen for the sounds of ships and other submarines. Periscopes once gave the crew their only view of the surface.",
    ),
    (
        "Origami",
        "Origami is the Japanese art of folding a single sheet of paper into a shape. Traditional models include the crane, the frog and the waterbomb. Mathematicians study the rules of folding to design complex models. Engineers borrow origami patterns to pack solar panels for satellites.",
    ),
    (
        "Glaciers",
        "Glaciers are rivers of ice that move slowly downhill under their own weight. Snow that survives many summers compresses into dense blue glacial ice. Retreating glaciers in the Alps have lost half their volume in a century. Meltwater from mountain glaciers feeds rivers that millions of people drink from.",
    ),
    (
        "Vaccines",
        "Vaccines train the immune system to recognise a virus before a real infection. Some vaccines contain weakened viruses while others carry only a viral protein. Herd immunity protects people who cannot be vaccinated themselves. Clinical trials test the safety of every vaccine on thousands of volunteers.",
    ),
    (
        "Lighthouses",
        "Lighthouses warn ships away from rocks and mark the entrance to harbours. Each lighthouse flashes its own pattern so sailors can tell them apart at night. Keepers once lived in the towers to trim the wicks and wind the clockwork. Most lighthouses are now automated and watched from a control centre.",
    ),
    (
        "Board game design",
        "Designers of board games balance luck and strategy to keep every player interested. Playtesting with strangers reveals rules that are confusing or unfair. Cooperative games ask the players to win or lose together against the game. Card components and artwork make up much of the cost of printing a game.",
    ),
]


def paged_document() -> str:
    """Return 20 "pages", each a heading and four sentences on a topic of its own."""
    return "\n\n".join(f"# {title}\n\n{body}" for title, body in PAGES)


def page_of(sentence: str) -> int:
    return next(page for page, (_, body) in enumerate(PAGES) if sentence in body)


def summary_sentences(summary: str) -> list[str]:
    return [unit.text for unit in sentences_split(summary)]


@pytest.fixture(scope="module")
def embedder():
    return get_embedder()


@pytest.fixture(scope="module")
def summarizer(embedder):
    return ExtractiveSummarizer(embedder=embedder)


def summarize(summarizer, text: str, *, budget: SummaryBudget = BUDGET) -> str:
    return summarizer.summarize_batch([text], budget=budget)[0].text


@pytest.mark.slow
@pytest.mark.parametrize("size", [25, 60])
def test_summary_respects_the_word_budget(summarizer, size):
    texts = [NEWS, DIALOGUE, paged_document()]

    results = summarizer.summarize_batch(texts, budget=SummaryBudget(size, "words"))

    for result in results:
        assert result.text
        assert text_word_count(result.text) <= size


@pytest.mark.slow
def test_summary_respects_a_character_budget(summarizer):
    result = summarizer.summarize_batch(
        [paged_document()], budget=SummaryBudget(120, "chars")
    )[0]

    assert 0 < len(result.text) <= 120


@pytest.mark.slow
def test_sentences_keep_their_document_order(summarizer):
    units = [unit.text for unit in sentences_split(NEWS)]
    filled = ExtractiveSummarizer(embedder=summarizer.embedder, length_ratio=0)

    picked = summary_sentences(summarize(filled, NEWS))

    assert len(picked) >= 2
    positions = [units.index(sentence) for sentence in picked]
    assert positions == sorted(positions)


@pytest.mark.slow
def test_a_repeated_sentence_is_picked_once(embedder):
    repeated = "The council approved forty electric buses for the city."
    text = f"{repeated} Night services will run on six routes. {repeated} Fares stay the same."
    # Fill a generous budget, so only redundancy can keep the copy out.
    filled = ExtractiveSummarizer(embedder=embedder, length_ratio=0)

    summary = summarize(filled, text, budget=SummaryBudget(200))

    assert summary.count(repeated) == 1


@pytest.mark.slow
def test_long_document_summary_draws_from_across_the_document(summarizer):
    """GIVEN twenty pages on distinct topics WHEN summarized in 60 words THEN
    the sentences come from several pages, some in the second half."""
    pages = [
        page_of(sentence)
        for sentence in summary_sentences(summarize(summarizer, paged_document()))
    ]

    assert len(set(pages)) >= 3
    assert max(pages) >= len(PAGES) // 2


@pytest.mark.slow
def test_sentence_cap_samples_the_whole_document(embedder):
    capped = ExtractiveSummarizer(embedder=embedder, max_sentences=20)
    plan = capped._plan(
        paged_document(), blocks=None, budget=SummaryBudget(60), language=None
    )

    # The candidates reach the last pages, not just the first 20 sentences.
    assert len(plan.units) == 20
    assert max(page_of(unit.text) for unit in plan.units) == len(PAGES) - 1
    # Only the sampled units were embedded: about a quarter of the 80.
    result = capped.summarize_batch([paged_document()], budget=SummaryBudget(60))[0]
    uncapped = ExtractiveSummarizer(embedder=embedder)
    full = uncapped.summarize_batch([paged_document()], budget=SummaryBudget(60))[0]
    assert result.tokens_in < full.tokens_in / 2


@pytest.mark.slow
def test_chinese_text_gets_a_chinese_summary_within_budget(summarizer):
    source_sentences = [unit.text for unit in sentences_split(CHINESE)]

    summary = summarize(summarizer, CHINESE, budget=SummaryBudget(40))

    # Measured in characters: 40 words say about what 64 characters say.
    assert 0 < len(summary) <= 40 * CJK_CHARS_PER_WORD
    assert all(sentence in source_sentences for sentence in summary_sentences(summary))


@pytest.mark.slow
def test_dialogue_summary_names_the_speaker_of_every_line(summarizer):
    turns = DIALOGUE.split("\n")

    summary = summarize(summarizer, DIALOGUE, budget=SummaryBudget(25))

    assert summary
    for line in summary.split("\n"):
        # Each line is sentences of one turn, opened by that turn's speaker.
        speaker, said = line.split(": ", 1)
        turn = next(turn for turn in turns if said.split(". ")[0] in turn)
        assert turn.startswith(speaker + ": ")
        assert all(sentence in turn for sentence in summary_sentences(said))


SMALL_TALK_FIRST = (
    "#Person1#: Hi, Jane. How are you today?\n"
    "#Person2#: Fine, thanks. And you? How was your weekend?\n"
    "#Person1#: Not bad, thanks. Listen, the kitchen sink is leaking again.\n"
    "#Person2#: The sink? The plumber fixed the sink only last week.\n"
    "#Person1#: Well, water from the sink is all over the kitchen floor now.\n"
    "#Person2#: I will phone the plumber and ask him to replace the pipe under "
    "the sink today.\n"
    "#Person1#: Thanks. See you tonight."
)


@pytest.mark.slow
def test_a_dialogue_summary_gets_past_the_small_talk_to_its_topic(summarizer):
    summary = summarize(summarizer, SMALL_TALK_FIRST, budget=SummaryBudget(30))

    # The sink and the plumber are what both speakers come back to.
    assert "sink" in summary
    assert "plumber" in summary


def test_topic_words_are_the_content_words_a_document_repeats():
    scores = topic_word_scores(
        [
            "The kitchen sink is leaking.",
            "The plumber fixed the sink.",
            "I will phone the plumber about the sink.",
            "See you tonight, thanks.",
        ]
    )

    # "sink" (3 uses) and "plumber" (2) are topic words; "the", "kitchen"
    # (once) and "tonight" are not.
    assert scores.tolist() == [3.0, 5.0, 5.0, 0.0]


@pytest.mark.slow
def test_batch_gives_the_same_summaries_as_one_at_a_time(summarizer):
    texts = [NEWS, DIALOGUE, CHINESE, "", "Only one sentence here.", paged_document(),
             SMALL_TALK_FIRST]  # fmt: skip
    budget = SummaryBudget(40)

    batch = summarizer.summarize_batch(texts, budget=budget)
    one_by_one = [
        summarizer.summarize_batch([text], budget=budget)[0] for text in texts
    ]

    assert [result.text for result in batch] == [result.text for result in one_by_one]
    assert [result.tokens_in for result in batch] == [
        result.tokens_in for result in one_by_one
    ]


@pytest.mark.slow
def test_empty_and_one_sentence_texts(summarizer):
    empty, single, blank = summarizer.summarize_batch(
        ["", "Backups run every night.", "  \n\n "], budget=SummaryBudget(60)
    )

    assert (empty.text, empty.tokens_in, empty.tokens_out) == ("", 0, 0)
    assert single.text == "Backups run every night."
    assert single.tokens_in > 0 and single.tokens_out > 0
    assert blank.text == ""


@pytest.mark.slow
def test_a_budget_smaller_than_any_sentence_still_gives_a_whole_sentence(summarizer):
    """A sentence cut short misleads; one a little over a tiny budget does not."""
    for text in (NEWS, DIALOGUE):
        summary = summarize(summarizer, text, budget=SummaryBudget(8))

        assert summary in {unit.text for unit in units_from_text(text)}
        assert text_word_count(summary) <= 1.5 * 8
    text = "This single sentence is clearly much longer than the tiny budget allows."
    assert summarize(summarizer, text, budget=SummaryBudget(4)) == text


@pytest.mark.slow
def test_batch_accounts_tokens_and_shares_its_time(summarizer):
    results = summarizer.summarize_batch([NEWS, DIALOGUE], budget=SummaryBudget(60))

    assert all(result.tokens_in > result.tokens_out > 0 for result in results)
    assert all(result.seconds > 0 for result in results)


def test_model_id_and_producer_follow_the_embedder(embedder):
    summarizer = ExtractiveSummarizer(embedder=embedder)
    other = ExtractiveSummarizer(embedder=embedder, method="centroid")
    budget = SummaryBudget(60)

    assert summarizer.model_id == embedder.model_id
    assert summarizer.producer_for(budget).startswith(
        f"extractive:{embedder.model_id}:"
    )
    assert summarizer.params["embedder"] == embedder.producer
    assert summarizer.producer_for(budget) != other.producer_for(budget)


def test_registry_gives_the_shared_embedder(settings):
    settings.SUMMARIES_BACKENDS = {
        "default": {"BACKEND": "extractive", "OPTIONS": {"embedder": "default"}}
    }

    summarizer = get_summarizer("default")

    assert isinstance(summarizer, ExtractiveSummarizer)
    assert summarizer.embedder is get_embedder("default")


@pytest.mark.parametrize(
    "options",
    [
        {"method": "magic"},
        {"mmr_lambda": 1.5},
        {"length_ratio": -0.1},
        {"max_sentences": 0},
        {"topic_weight": 1.5},
        {"transcript_position_weight": -0.5},
    ],
)
def test_bad_options_are_refused(embedder, options):
    with pytest.raises(ValueError):
        ExtractiveSummarizer(embedder=embedder, **options)


def test_missing_embedder_is_refused():
    with pytest.raises(ValueError, match="embedder"):
        ExtractiveSummarizer()


def test_lead_takes_the_leading_sentences_skipping_headings():
    text = "# Budget news\n\n" + NEWS
    lead = LeadSummarizer(sentences=2)

    result = lead.summarize_batch([text], budget=SummaryBudget(60))[0]

    assert result.text == (
        "The city council approved a new budget for public transport on Monday. "
        "The plan adds forty electric buses and extends night services on six routes."
    )
    assert result.tokens_out == text_word_count(result.text)


def test_lead_takes_whole_dialogue_turns():
    result = LeadSummarizer(sentences=2).summarize_batch(
        [DIALOGUE], budget=SummaryBudget(60)
    )[0]

    assert result.text.split("\n") == DIALOGUE.split("\n")[:2]


def test_lead_without_k_fills_the_budget_with_whole_sentences():
    result = LeadSummarizer().summarize_batch([NEWS], budget=SummaryBudget(30))[0]

    assert result.text == (
        "The city council approved a new budget for public transport on Monday. "
        "The plan adds forty electric buses and extends night services on six routes."
    )


def test_lead_cuts_to_the_budget():
    result = LeadSummarizer(sentences=1).summarize_batch(
        [NEWS], budget=SummaryBudget(5)
    )[0]

    assert result.text == "The city council approved a…"


def test_lead_of_empty_text_is_empty():
    assert (
        LeadSummarizer(sentences=1)
        .summarize_batch([""], budget=SummaryBudget(5))[0]
        .text
        == ""
    )


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


@pytest.mark.slow
def test_a_variant_is_the_next_best_selection_of_source_sentences(summarizer):
    """Regenerate must give the editor a real alternative, not the same text."""
    units = {unit.text for unit in units_from_text(NEWS)}

    first, second = (
        summarizer.summarize_batch([NEWS], budget=BUDGET, variant=variant)[0].text
        for variant in (0, 1)
    )

    assert first != second
    assert all(sentence in units for sentence in summary_sentences(second))
    assert summarizer.producer_for(BUDGET) != summarizer.producer_for(BUDGET, variant=1)
