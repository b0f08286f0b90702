"""Reprocessing jobs: estimate, start, fan out in chunks, record outcomes,
pause, resume, cancel, retry, and switch producers when complete (blue/green).

Invariants:
- a job's progress is its items' states in the database;
- a chunk only writes outcomes for items still in flight in that chunk, so a
  chunk delivered twice records nothing twice;
- at most ``max_chunks_in_flight`` chunks are dispatched at once;
- chunks run on the ``bulk`` queue in steps of a few seconds and give way to
  interactive work (``ml``) between steps: what they have not started goes
  back to pending;
- a job only ever processes documents of its selection, including those
  saved while it ran (catch-up rounds before the switch).
"""

from .common import backend_alias_validate
from .jobs import (
    reprocess_job_cancel,
    reprocess_job_estimate,
    reprocess_job_pause,
    reprocess_job_resume,
    reprocess_job_retry_failed,
    reprocess_job_start,
    reprocess_jobs_pump_running,
)
from .running import (
    reprocess_chunk_run,
    reprocess_job_activate,
    reprocess_job_pump,
)

__all__ = [
    "backend_alias_validate",
    "reprocess_chunk_run",
    "reprocess_job_activate",
    "reprocess_job_cancel",
    "reprocess_job_estimate",
    "reprocess_job_pause",
    "reprocess_job_pump",
    "reprocess_job_resume",
    "reprocess_job_retry_failed",
    "reprocess_job_start",
    "reprocess_jobs_pump_running",
]
