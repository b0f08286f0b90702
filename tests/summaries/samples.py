"""Texts the extractive summarizer and LEAD tests read: news, a dialogue, Chinese, a 20-page report."""

from __future__ import annotations

from summaries.text import sentences_split

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
# Small talk first, then the topic both speakers come back to.
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
