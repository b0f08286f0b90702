from django.apps import AppConfig


class MlConfig(AppConfig):
    name = "docsite.ml"
    label = "ml"
    verbose_name = "Models"

    def ready(self) -> None:
        from . import checks  # noqa: F401
