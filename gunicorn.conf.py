"""gunicorn settings read from the working directory (the image's /app).

Each worker loads the search query model (int8 ONNX, no torch) and the
URLconf right after it forks, before it accepts requests, so the first search
answers as fast as the others.
"""

import logging

# The request line carries a search's query: up to MAX_QUERY_CHARS (2,000)
# characters, percent-encoded (9 bytes a Chinese character). 8190 is
# gunicorn's largest bound (default 4094, which refused a 450-character
# Chinese query); it holds 2,000 characters of English or about 900 of Chinese.
limit_request_line = 8190


def post_worker_init(worker):
    from interests.services import search_warm_up

    try:
        seconds = search_warm_up()
    except Exception:  # a warm-up must never keep a worker from serving
        logging.getLogger("docsite").exception("search warm-up failed")
        return
    logging.getLogger("docsite").info("search warmed up in %.2fs", seconds)
