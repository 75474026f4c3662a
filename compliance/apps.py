from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = _("Conformità Registro Imprese")

    def ready(self) -> None:
        # The tasks are registered in every process: services enqueue them by name.
        from . import tasks  # noqa: F401
