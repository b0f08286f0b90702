"""Search finds what people mean: stems, prefixes, typos, Chinese words, exclusions
in every mode, a relevance floor, and marks on token boundaries.

The corpus is the demo's own sample documents, ingested through the parsers
and analysed (language detection) as in production.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from docsite.documents.models import Document
from docsite.documents.services import (
    document_analyze,
    document_create_from_path,
    document_create_from_text,
)
from interests import selectors
from interests.conf import interests_setting
from interests.highlighting import highlight_terms
from interests.search_index import search_terms_refresh
from interests.search_syntax import query_parse
from interests.services import document_vectors_compute
from tests.interests.fakes import HashingEmbedder

pytestmark = pytest.mark.django_db

SAMPLES = (
    Path(__file__).resolve().parents[2] / "docsite" / "documents" / "sample_documents"
)
FILES = [
    "engineering/kubernetes-autoscaling-notes.md",
    "engineering/postgresql-backup-and-restore.pdf",
    "engineering/on-call-handbook.md",
    "engineering/deployment-runbook.md",
    "engineering/secrets-management.md",
    "handbook/office-guide-shanghai.md",
    "handbook/password-and-mfa-guide.pdf",
    "handbook/meeting-etiquette.txt",
    "people/onboarding-checklist.md",
]


@pytest.fixture
def samples(world):
    """The sample documents in the public space, analysed, embedded and indexed."""
    documents = {}
    for name in FILES:
        document = document_create_from_path(
            space=world.handbook, path=SAMPLES / name
        ).document
        document_analyze(document_id=document.pk)
        documents[Path(name).stem] = Document.objects.get(pk=document.pk)
    document_vectors_compute(document_ids=[d.pk for d in documents.values()])
    search_terms_refresh()
    return documents


def _titles(hits) -> list[str]:
    return [hit.document.title for hit in hits]


def _ids(hits) -> list[int]:
    return [hit.document.pk for hit in hits]


def test_samples_are_indexed_by_their_language(samples):
    assert samples["office-guide-shanghai"].language == "zh"
    assert samples["on-call-handbook"].language == "en"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("postgres", "postgresql-backup-and-restore"),
        ("kuberntes", "kubernetes-autoscaling-notes"),
        ("kubernets autoscaling", "kubernetes-autoscaling-notes"),
        # The page that covers rotating passwords is the secrets page.
        ("pasword rotation", "secrets-management"),
    ],
)
def test_keyword_search_forgives_identifiers_and_typos(world, samples, query, expected):
    hits = selectors.documents_search_keyword(user=world.carol, query=query)
    assert hits, query
    assert hits[0].document.pk == samples[expected].pk
    if query == "pasword rotation":
        assert samples["password-and-mfa-guide"].pk in _ids(hits)


def test_a_typo_offers_did_you_mean(samples):
    prepared = selectors.search_prepare(query="kuberntes rotaton")
    assert prepared.suggestion == "kubernetes rotation"
    assert selectors.search_prepare(query="kubernetes").suggestion == ""


def test_a_sentence_with_a_short_misspelled_word_finds_its_document(world, samples):
    # "smoek" is one swap from "smoke" yet shares 3 of its 9 trigrams (0.33):
    # trigram similarity alone never respelled it, and the sentence's other
    # words point elsewhere. Only the runbook has a smoke suite.
    typed = "who looks after the smoek tests"
    hits, prepared = selectors.search_run(user=world.carol, query=typed, mode="keyword")
    assert hits and hits[0].document.pk == samples["deployment-runbook"].pk
    assert "smoke" in prepared.suggestion


def test_meaning_search_reads_the_respelled_query(world, samples, settings):
    """A typo is a token the embedder never saw: meaning search embeds the
    did-you-mean text, so a misspelled query finds what the right spelling does."""
    typed, meant = "kuberntes autoscalr", "kubernetes autoscaler"
    target = samples["kubernetes-autoscaling-notes"].pk
    assert selectors.search_prepare(query=typed).suggestion == meant
    right, _ = selectors.search_run(user=world.carol, query=meant, mode="semantic")
    found, _ = selectors.search_run(user=world.carol, query=typed, mode="semantic")
    assert right and right[0].document.pk == target
    assert _ids(found) == _ids(right)
    settings.INTERESTS_SEARCH = {
        **interests_setting("SEARCH"),
        "MEANING_QUERY": "query",
    }
    as_typed, _ = selectors.search_run(user=world.carol, query=typed, mode="semantic")
    assert _ids(as_typed) != _ids(right)


@pytest.mark.parametrize("mode", ["keyword", "hybrid"])
def test_a_misspelled_word_in_a_required_phrase_is_respelled(world, samples, mode):
    hits, prepared = selectors.search_run(
        user=world.carol, query='"smoek suite" staging', mode=mode
    )
    assert _ids(hits) == [samples["deployment-runbook"].pk]
    assert prepared.suggestion == '"smoke suite" staging'


def test_did_you_mean_keeps_punctuation_and_capitals(samples):
    prepared = selectors.search_prepare(query="Kuberntes rotaton, please?")
    assert prepared.suggestion == "Kubernetes rotation, please?"


def test_respelling_costs_one_query_however_many_words_are_misspelled(samples):
    def queries(query: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            selectors.search_prepare(query=query)
        return len(captured)

    one = queries("kuberntes")
    assert queries("kuberntes autoscalng smoek pasword rotaton") == one


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("门禁卡", "office-guide-shanghai"),
        ("工位", "office-guide-shanghai"),
        ("自动扩缩容", "kubernetes-autoscaling-notes"),
    ],
)
@pytest.mark.parametrize("mode", ["keyword", "hybrid"])
def test_chinese_words_inside_longer_runs_are_found(
    world, samples, query, expected, mode
):
    hits, _ = selectors.search_run(user=world.carol, query=query, mode=mode)
    assert hits and hits[0].document.pk == samples[expected].pk
    # A word inside a run is not a bag of characters: no unrelated document.
    if mode == "keyword":
        assert _ids(hits) == [samples[expected].pk]


@pytest.mark.parametrize(
    ("typed", "meant", "page"),
    [
        # Chinese, typed by sound, one character picked wrong: 进 (jin) for 禁.
        ("门进卡", "门禁卡", "office-guide-shanghai"),
        ("功位 预订", "工位 预订", "office-guide-shanghai"),
        ("汇议室", "会议室", "office-guide-shanghai"),
        # Korean, one keystroke slipped: the final ㄹ missed, ㅒ for ㅖ (the
        # key beside it), ㅉ for ㅈ (shifted).
        ("회의시 예약", "회의실 예약", "korean_page"),
        ("회의실 얘약", "회의실 예약", "korean_page"),
        ("방문객 쭈차권", "방문객 주차권", "korean_page"),
        # Japanese, the input method converted ちゅうしゃ to the wrong word: 注射
        # for 駐車; kanji only, Japanese because its known words are Japanese
        # pages'.
        ("通勤 注射", "通勤 駐車", "japanese_page"),
        ("本社 注射場", "本社 駐車場", "japanese_page"),
    ],
)
@pytest.mark.parametrize("mode", ["keyword", "hybrid"])
def test_a_cjk_word_typed_with_one_slip_is_found_and_respelled(
    request, world, samples, typed, meant, page, mode
):
    if page in ("korean_page", "japanese_page"):
        expected = request.getfixturevalue(page)
    else:
        expected = samples[page]
    hits, prepared = selectors.search_run(user=world.carol, query=typed, mode=mode)
    assert hits and hits[0].document.pk == expected.pk
    assert prepared.suggestion == meant
    assert selectors.search_prepare(query=meant).suggestion == ""


def test_japanese_and_korean_queries_are_not_respelled_by_pinyin(samples):
    """Kana or Hangul make a query Japanese or Korean: its Han characters are
    read (and mistyped) otherwise, so pinyin homophones do not apply."""
    assert selectors.search_prepare(query="汇议室").suggestion == "会议室"
    assert selectors.search_prepare(query="汇议室の予約").suggestion == ""
    assert selectors.search_prepare(query="汇议室 예약").suggestion == ""


@pytest.mark.parametrize(
    ("setting", "typed"), [("CJK_HOMOPHONES", "门进卡"), ("HANGUL_TYPOS", "쭈차권")]
)
def test_cjk_respellings_can_be_turned_off(
    world, samples, korean_page, settings, setting, typed
):
    settings.INTERESTS_SEARCH = {**interests_setting("SEARCH"), setting: False}
    hits, prepared = selectors.search_run(user=world.carol, query=typed, mode="keyword")
    assert hits == [] and prepared.suggestion == ""


def test_a_homophone_never_replaces_a_character_of_a_known_word():
    """报消 is respelled where it is unknown; a character whose other bigram is
    a word documents hold stays (the slip is elsewhere)."""
    from interests.selectors.search_query import run_respelled

    homophones = {"报消": ["报销"], "旅报": ["铝报"]}
    assert run_respelled(run="差旅报消", alike=homophones, known={"差旅"}) == "差旅报销"
    # 旅 of 旅报 belongs to 差旅, a known bigram: it is kept.
    assert run_respelled(run="差旅报", alike=homophones, known={"差旅"}) == "差旅报"


def _page_indexed(world, *, title, text):
    """A page beside the samples, analysed, with the term dictionary rebuilt."""
    document = document_create_from_text(
        space=world.handbook, title=title, text=text
    ).document
    document_analyze(document_id=document.pk)
    search_terms_refresh()
    return document


@pytest.fixture
def korean_page(world, samples):
    return _page_indexed(
        world,
        title="회의실 예약 안내",
        text=(
            "회의실은 사내 포털의 예약 메뉴에서 최대 2주 전까지 예약할 수 있습니다. "
            "예약 후 10분 안에 입실하지 않으면 자동으로 취소됩니다.\n\n"
            "방문객 주차권은 안내 데스크에서 한 명당 하나씩 발급합니다."
        ),
    )


def test_a_korean_word_no_document_holds_and_none_is_near_stays_as_typed(
    korean_page,
):
    assert selectors.search_prepare(query="자전거 보관").suggestion == ""


@pytest.fixture
def japanese_page(world, samples):
    return _page_indexed(
        world,
        title="駐車場の利用",
        text=(
            "マイカー通勤の社員は本社の駐車場を利用できます。利用には総務部への申請が必要で、"
            "月額の駐車料金は給与から差し引かれます。来客用の区画は受付で予約してください。"
        ),
    )


def test_japanese_homophones_can_be_turned_off_and_leave_chinese_alone(
    world, japanese_page, settings
):
    # A Chinese query is still read by its pinyin.
    assert selectors.search_prepare(query="汇议室").suggestion == "会议室"
    settings.INTERESTS_SEARCH = {
        **interests_setting("SEARCH"),
        "JAPANESE_HOMOPHONES": False,
    }
    assert selectors.search_prepare(query="通勤 注射").suggestion == ""


def test_hangul_neighbours_are_one_keystroke_away():
    from interests.hangul import bigrams_one_key_apart, syllables_one_key_apart

    near = syllables_one_key_apart("실")
    # The final missed or one more key, the vowel's neighbour key, ㅅ shifted.
    assert {"시", "싫", "살", "씰"} <= set(near)
    assert "사" not in near  # two keystrokes
    # One jamo apart but not one keystroke: ㅓ and ㅔ are far apart, so 대처
    # (a word the corpus may lack) is not taken for a slip of 대체.
    assert "대체" not in bigrams_one_key_apart("대처")
    assert syllables_one_key_apart("a") == ()


def test_korean_respellings_are_suggested_but_meaning_search_reads_the_query_as_typed(
    korean_page,
):
    prepared = selectors.search_prepare(query="회의시 예약")
    assert prepared.suggestion == "회의실 예약"
    assert prepared.respelled_for_meaning == "회의시 예약"
    # Chinese respellings are read by meaning search too.
    assert selectors.search_prepare(query="汇议室").respelled_for_meaning == "会议室"


def test_english_stemming_applies_to_english_documents(world, samples):
    hits = selectors.documents_search_keyword(user=world.carol, query="restoring")
    assert samples["postgresql-backup-and-restore"].pk in _ids(hits)
    # No document has "restoring", but its stem is no typo: nothing to respell.
    assert selectors.search_prepare(query="restoring").suggestion == ""


def test_a_sentence_ranks_partial_matches_instead_of_requiring_every_word(
    world, samples
):
    query = "who covers the night shifts when the secondary does not acknowledge a page"
    hits = selectors.documents_search_keyword(user=world.carol, query=query)
    assert hits[0].document.pk == samples["on-call-handbook"].pk
    assert len(hits) > 1


def test_prefix_of_the_last_word_matches_as_you_type(world, samples):
    hits = selectors.documents_search_keyword(user=world.carol, query="kub")
    assert hits[0].document.pk == samples["kubernetes-autoscaling-notes"].pk
    # A finished word (followed by a space) is not a prefix any more.
    assert not selectors.documents_search_keyword(user=world.carol, query="kub ")


@pytest.mark.parametrize("mode", ["keyword", "semantic", "hybrid"])
def test_exclusions_hold_in_every_mode(world, samples, mode):
    on_call = samples["on-call-handbook"].pk
    hits, _ = selectors.search_run(user=world.carol, query="on-call", mode=mode)
    assert on_call in _ids(hits)
    hits, _ = selectors.search_run(
        user=world.carol, query="on-call -handbook", mode=mode
    )
    assert on_call not in _ids(hits)
    texts = Document.objects.filter(pk__in=_ids(hits)).values_list("text", flat=True)
    assert all("handbook" not in text.lower() for text in texts)


@pytest.mark.parametrize("mode", ["semantic", "hybrid"])
def test_quoted_phrases_are_required_in_meaning_search_too(world, samples, mode):
    hits, _ = selectors.search_run(
        user=world.carol, query='"database credentials" storage', mode=mode
    )
    assert _ids(hits) == [samples["secrets-management"].pk]


@pytest.mark.parametrize("query", ["&&||!!", "<script>", "a" * 600, "   ", "-"])
@pytest.mark.parametrize("mode", ["keyword", "semantic", "hybrid"])
def test_junk_queries_return_nothing(world, samples, settings, query, mode):
    hits, _ = selectors.search_run(user=world.carol, query=query, mode=mode)
    assert hits == []


def test_meaning_search_drops_what_is_no_closer_than_chance(
    world, samples, monkeypatch
):
    query = "kubernetes cluster autoscaling"
    everything = selectors.documents_search_semantic(
        user=world.carol, query=query, limit=50
    )
    monkeypatch.setattr(HashingEmbedder, "default_similarity_floor", 0.2)
    above = selectors.documents_search_semantic(user=world.carol, query=query, limit=50)
    assert above and len(above) < len(everything)
    assert all(hit.score >= 0.2 for hit in above)
    assert {h.document.pk for h in above} <= {h.document.pk for h in everything}
    # Hybrid fusion adds no document that neither list let through.
    hybrid, _ = selectors.search_run(user=world.carol, query="zebra", mode="hybrid")
    assert hybrid == []


def test_facets_narrow_search_results(world, samples, client):
    client.force_login(world.carol)
    response = client.get(reverse("interests:search"), {"q": "password", "type": "PDF"})
    titles = [hit.document.title for hit, _ in response.context["results"]]
    assert titles and all(
        Document.objects.get(title=t).mime_type == "application/pdf" for t in titles
    )


def test_header_box_and_search_page_are_one_search(world, samples, client):
    client.force_login(world.carol)
    home = client.get(reverse("documents:home")).content.decode()
    assert f'action="{reverse("interests:search")}"' in home
    page = client.get(reverse("interests:search"), {"q": "自动扩缩容"})
    api = client.get(reverse("api:search"), {"q": "自动扩缩容"})
    assert [h.document.pk for h, _ in page.context["results"]] == [
        row["document"]["id"] for row in api.json()
    ]


@pytest.mark.parametrize("query", ["kuberntes", "自动扩缩容", "pasword rotation"])
def test_document_list_search_is_the_search_pages_keyword_search(
    world, samples, client, query
):
    """The list's ?q= forgives typos and finds Chinese words like the search page."""
    client.force_login(world.carol)
    listed = client.get(reverse("documents:list"), {"q": query})
    page = client.get(reverse("interests:search"), {"q": query, "mode": "keyword"})
    found = [hit.document.pk for hit, _ in page.context["results"]]
    assert found
    assert [d.pk for d in listed.context["page"].object_list] == found
    api = client.get(reverse("api:document-list"), {"q": query})
    assert [row["id"] for row in api.json()["results"]] == found


def test_search_page_offers_did_you_mean(world, samples, client):
    client.force_login(world.carol)
    html = client.get(
        reverse("interests:search"), {"q": "kuberntes", "mode": "keyword"}
    ).content.decode()
    assert "Did you mean" in html and "kubernetes" in html


# --- highlighting -------------------------------------------------------------


def test_highlighter_marks_whole_words_only():
    html = highlight_terms(
        "Docker doubt documents: restore the database backup; restored backups.",
        "how do I restore a database backup",
    )
    assert "<mark>Docker</mark>" not in html and "<mark>doubt</mark>" not in html
    assert "<mark>documents</mark>" not in html
    for word in ("restore", "database", "backup", "restored", "backups"):
        assert f"<mark>{word}</mark>" in html


def test_highlighter_marks_chinese_words_inside_runs():
    html = highlight_terms("请到前台领取门禁卡，需要出示身份证。", "门禁卡")
    assert "领取<mark>门禁卡</mark>，" in html


def test_search_page_marks_chinese_and_english_matches(world, samples, client):
    client.force_login(world.carol)
    html = client.get(reverse("interests:search"), {"q": "自动扩缩容"}).content.decode()
    assert "<mark>自动扩缩容</mark>" in html


def test_query_syntax_splits_terms_phrases_and_exclusions():
    parsed = query_parse('"password rotation" -mfa kubernetes 门禁卡 or backu')
    assert [t.text for t in parsed.phrases] == ['"password rotation"']
    assert [t.text for t in parsed.excluded] == ["mfa"]
    assert [t.text for t in parsed.terms] == ["kubernetes", '"门禁 禁卡"', "backu"]
    assert parsed.prefix == "backu"
