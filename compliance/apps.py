from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = _("Conformità Registro Imprese")

    def ready(self) -> None:
        # The tasks are registered in every process: services enqueue them by name.
        # Before a ceased company's box is renewed, its renewal page says so.
        from mailboxes.hooks import add_operation_warning

        from . import tasks  # noqa: F401
        from .services.warnings import ceased_company_renewal

        add_operation_warning(ceased_company_renewal)
