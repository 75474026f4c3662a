from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SigningConfig(AppConfig):
    name = "signing"
    verbose_name = _("Link di firma per i clienti")

    def ready(self) -> None:
        # The tasks are registered in every process (the beat schedule names them).
        from . import tasks  # noqa: F401
