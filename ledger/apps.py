from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "ledger"
    verbose_name = _("Costi")

    def ready(self) -> None:
        from .services import recording

        recording.connect()
        # The tasks are registered in every process (beat sends them by name).
        from . import tasks  # noqa: F401
