"""A remote-control command that reports which models a worker process holds.

``celery -A workers inspect docsite_loaded_models`` (or the health page) asks
every worker; each answers with its summarizers and embedders, device and
load time. Nothing is loaded by asking.
"""

from __future__ import annotations

from celery.worker.control import inspect_command


@inspect_command()
def docsite_loaded_models(state) -> dict:
    from docsite.ml.embedders import loaded_embedders
    from summaries.backends import loaded_summarizers

    return {
        "summarizers": {
            alias: s.describe() for alias, s in loaded_summarizers().items()
        },
        "embedders": {alias: e.describe() for alias, e in loaded_embedders().items()},
    }
