"""gunicorn settings read from the working directory (the image's /app).

Each worker loads the search query model (int8 ONNX, no torch) and the
URLconf right after it forks, before it accepts requests, so the first search
answers as fast as the others.
"""

import logging


def post_worker_init(worker):
    from interests.services import search_warm_up

    try:
        seconds = search_warm_up()
    except Exception:  # a warm-up must never keep a worker from serving
        logging.getLogger("docsite").exception("search warm-up failed")
        return
    logging.getLogger("docsite").info("search warmed up in %.2fs", seconds)
