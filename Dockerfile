# syntax=docker/dockerfile:1
#
# docsite production image: web (gunicorn), Celery workers and beat all run
# from it; docker-compose.yml chooses the command.
#
# CPU image (the default; web, worker, beat, and ML workers on CPU hosts):
#     docker build -t docsite:latest .
#
# CUDA image (ML workers on GPU hosts):
#     docker build --build-arg TORCH_VARIANT=cu128 -t docsite:cuda .
#
# TORCH_VARIANT names a wheel index under https://download.pytorch.org/whl/
# ("cpu", "cu126", "cu128", ...). Choose one that publishes the torch version
# pinned in pyproject.toml and that the GPU host's NVIDIA driver supports.
# TORCH_VARIANT=pypi skips the extra index and takes PyPI's torch, which on
# Linux x86-64 is the CUDA build. With the cpu index pip picks the
# "<version>+cpu" wheel, because a local version sorts above the plain one,
# and no CUDA libraries are pulled into the image.
FROM python:3.11-slim

ARG TORCH_VARIANT=cpu

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DOCSITE_DATA_DIR=/app/var \
    HF_HOME=/app/var/models/hf \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1

WORKDIR /app

RUN useradd --system --uid 10001 --user-group --home-dir /app/var --no-create-home docsite

COPY . .

RUN --mount=type=cache,target=/root/.cache/pip \
    set -eu; \
    if [ "$TORCH_VARIANT" = "pypi" ]; then \
        pip install ".[ml]"; \
    else \
        pip install --extra-index-url "https://download.pytorch.org/whl/${TORCH_VARIANT}" ".[ml]"; \
    fi; \
    rm -rf build *.egg-info

# Static files are collected at build time; whitenoise serves them with the
# manifest. The settings need a key and a database URL to load, not to run
# collectstatic: neither value reaches the image's environment.
RUN DJANGO_SETTINGS_MODULE=docsite.settings.production \
    SECRET_KEY=build-only \
    DATABASE_URL=postgres://build@127.0.0.1:5432/build \
    python manage.py collectstatic --noinput \
 && mkdir -p /app/var/media /app/var/models \
 && chown -R docsite:docsite /app/var

USER docsite

ENV DJANGO_SETTINGS_MODULE=docsite.settings.production

EXPOSE 8000

# Parsing an upload runs in the request (up to DOCSITE_PARSE_TIMEOUT_SECONDS,
# 60 s by default), so the worker timeout sits above it. gunicorn reads the
# number of workers from WEB_CONCURRENCY.
CMD ["gunicorn", "docsite.wsgi:application", "--bind", "0.0.0.0:8000", "--timeout", "120", "--access-logfile", "-"]
