from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComunicaConfig(AppConfig):
    name = "comunica"
    verbose_name = _("Comunicazioni PEC al Registro Imprese")

    def ready(self) -> None:
        # The tasks are registered in every process: services enqueue them by name.
        from . import tasks  # noqa: F401
