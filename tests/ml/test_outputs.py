"""The registry of output kinds and producer keys (docsite.ml.outputs)."""

from __future__ import annotations

import pytest

from docsite.ml.embedders import get_embedder, reset_embedders
from docsite.ml.models import ActiveProducer
from docsite.ml.outputs import (
    EMBEDDINGS,
    SUMMARIES,
    output_kind,
    output_kinds,
    producer_activate,
    producer_live,
    producer_previous,
)
from summaries.backends import get_summarizer, reset_summarizers

pytestmark = pytest.mark.django_db

LLM = {"BACKEND": "transformers", "OPTIONS": {"model": "/models/smollm2"}}
MINILM = {"BACKEND": "transformer", "OPTIONS": {}}


@pytest.fixture(autouse=True)
def _fresh_backends():
    reset_summarizers()
    reset_embedders()
    yield
    reset_summarizers()
    reset_embedders()


def test_both_apps_register_their_kinds():
    assert set(output_kinds()) >= {SUMMARIES, EMBEDDINGS}
    with pytest.raises(ValueError, match="Unknown kind 'pictures'"):
        output_kind("pictures")


def test_bf16_gpu_and_fp32_cpu_configurations_get_different_keys(settings):
    """GIVEN one LLM and one embedder configuration with ``auto`` device and
    dtype WHEN the deployment's accelerator is cuda or cpu THEN the producer
    keys differ (bf16 on the GPU, fp32 on the CPU), and the backends are
    built with the precision their key names."""
    settings.SUMMARIES_BACKENDS = {"default": LLM}
    settings.DOCSITE_EMBEDDERS = {"default": MINILM}
    keys = {}
    for accelerator in ("cpu", "cuda"):
        settings.DOCSITE_ACCELERATOR = accelerator
        keys[accelerator] = (
            output_kind(SUMMARIES).producer_for(backend_alias="default"),
            output_kind(EMBEDDINGS).producer_for(backend_alias="default"),
        )
        assert get_summarizer("default").options["dtype"] == (
            "bfloat16" if accelerator == "cuda" else "float32"
        )
        assert get_embedder("default").options["device"] == accelerator
    assert keys["cpu"][0] != keys["cuda"][0]
    assert keys["cpu"][1] != keys["cuda"][1]

    # Explicit settings that resolve alike share a key; any difference splits it.
    settings.DOCSITE_ACCELERATOR = "cpu"
    settings.SUMMARIES_BACKENDS = {
        "default": LLM,
        "explicit": {
            "BACKEND": "transformers",
            "OPTIONS": {"model": "/models/smollm2", "device": "cpu", "dtype": "fp32"},
        },
        "gpu": {
            "BACKEND": "transformers",
            "OPTIONS": {
                "model": "/models/smollm2",
                "device": "cuda:1",
                "dtype": "bf16",
            },
        },
    }
    summaries = output_kind(SUMMARIES)
    assert summaries.producer_for(backend_alias="explicit") == keys["cpu"][0]
    assert summaries.producer_for(backend_alias="gpu") == keys["cuda"][0]


def test_embedder_key_covers_its_options(settings):
    settings.DOCSITE_EMBEDDERS = {
        "default": MINILM,
        "short": {"BACKEND": "transformer", "OPTIONS": {"max_length": 128}},
        "half": {"BACKEND": "transformer", "OPTIONS": {"dtype": "float16"}},
        "batched": {"BACKEND": "transformer", "OPTIONS": {"batch_size": 4}},
    }
    vectors = output_kind(EMBEDDINGS)
    key = {a: vectors.producer_for(backend_alias=a) for a in settings.DOCSITE_EMBEDDERS}
    assert len({key["default"], key["short"], key["half"]}) == 3
    assert key["batched"] == key["default"]  # batch size changes speed, not vectors


def test_live_producer_without_a_switch_is_the_configured_embedder(settings):
    """GIVEN INTERESTS_EMBEDDER names another alias and no switch was made
    THEN the live alias is that one, with the key it writes (not "default")."""
    fake = "tests.interests.fakes.HashingEmbedder"
    settings.DOCSITE_EMBEDDERS = {
        "default": {"BACKEND": fake, "OPTIONS": {}},
        "other": {"BACKEND": fake, "OPTIONS": {"revision": "b"}},
    }
    settings.INTERESTS_EMBEDDER = "other"
    live = producer_live(kind=EMBEDDINGS)
    assert live.backend_alias == "other"
    assert live.producer == output_kind(EMBEDDINGS).producer_for(backend_alias="other")


def test_activate_returns_old_and_new_and_remembers_the_previous(settings):
    old_live = producer_live(kind=SUMMARIES)
    old, new = producer_activate(
        kind=SUMMARIES, backend_alias="candidate", producer="dummy:x:1"
    )
    assert old == old_live and new.producer == "dummy:x:1"
    assert producer_previous(kind=SUMMARIES) == old_live
    assert ActiveProducer.objects.get(kind=SUMMARIES).backend_alias == "candidate"
