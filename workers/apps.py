from django.apps import AppConfig


class WorkersConfig(AppConfig):
    name = "workers"
    verbose_name = "Background work"

    def ready(self) -> None:
        # Binds @shared_task to docsite's Celery app in every process that
        # loads Django (web, manage.py, worker); nothing heavy happens here.
        from . import celery, receivers  # noqa: F401
