"""Settings of bench/interactive_during_job.py: the base settings with slow
dummy summarizers, so the bench measures scheduling, not a model.

"default" (live) and "slow" (the job's) both take 1 s a document, like a
small LLM on a GPU; vectors come from the real MiniLM embedder.
"""

from docsite.settings.base import *  # noqa: F403

SUMMARIES_BACKENDS = {
    "default": {"BACKEND": "dummy", "OPTIONS": {"seconds_per_text": 1.0}},
    "slow": {
        "BACKEND": "dummy",
        "OPTIONS": {"seconds_per_text": 1.0, "model_revision": "job"},
    },
}
