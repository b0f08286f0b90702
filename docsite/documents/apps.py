from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "docsite.documents"
    label = "documents"
    verbose_name = "Documents"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers system checks)
