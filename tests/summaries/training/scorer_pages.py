"""Pages whose editors keep a habit: a summary made of each paragraph's closing takeaway.

Each page has three paragraphs: an opening that sets the scene, two
sentences of detail, and a closing "In short, ..." sentence. The extractive
default reads the opening as the point (the position prior of news and
plain text); these editors always keep the takeaways instead.
"""

from __future__ import annotations

import random

from summaries.text import sentences_split

TEAMS = [
    "platform",
    "payments",
    "search",
    "mobile",
    "data",
    "identity",
    "billing",
    "support",
]
SYSTEMS = [
    "message queue",
    "build farm",
    "metrics store",
    "login service",
    "cache tier",
    "report generator",
    "file archive",
    "job scheduler",
]
TARGETS = [
    "managed cloud service",
    "new cluster",
    "shared platform",
    "container runtime",
    "second region",
    "vendor product",
]
PLACES = [
    "the Lisbon office",
    "the third floor",
    "a video call",
    "the old boardroom",
    "the canteen",
]
DETAILS = [
    "Coffee ran out halfway through and someone fetched more from the kitchen.",
    "Two people joined late because the trains were delayed again.",
    "The projector needed a restart before the slides would show.",
    "Minutes were taken by whoever sat nearest the whiteboard.",
    "The meeting ran ten minutes over and nobody minded much.",
    "A visitor from another office listened without saying much.",
    "The blinds were closed because the afternoon sun was strong.",
    "Someone asked whether the room was booked for the next hour.",
]


def takeaway_page(seed: int, *, headings: bool = False) -> tuple[str, str]:
    """Return ``(text, editor's summary)`` of one page; ``seed`` varies the
    wording. ``headings``: Markdown, each paragraph under a heading of its own
    (a sectioned page, where the default applies its learned scorer)."""
    rng = random.Random(seed)
    paragraphs, takeaways = [], []
    for _ in range(3):
        team, system = rng.choice(TEAMS), rng.choice(SYSTEMS)
        target = rng.choice(TARGETS)
        opening = (
            f"The {team} group met in {rng.choice(PLACES)} on a "
            f"{rng.choice(['Monday', 'Tuesday', 'Thursday'])} morning."
        )
        details = rng.sample(DETAILS, 2)
        takeaway = (
            f"In short, the {team} team will move the {system} to the {target} "
            f"and retire the old {system} hardware by the end of the quarter."
        )
        paragraph = " ".join([opening, *details, takeaway])
        if headings:
            paragraph = f"## The {team} {system}\n\n{paragraph}"
        paragraphs.append(paragraph)
        takeaways.append(takeaway)
    return "\n\n".join(paragraphs), " ".join(takeaways[:2])


def takeaways_only(summary: str) -> bool:
    """Whether ``summary`` is made of takeaways alone, as these editors write them."""
    sentences = [unit.text for unit in sentences_split(summary)]
    return bool(sentences) and all(s.startswith("In short,") for s in sentences)
