from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailboxesConfig(AppConfig):
    name = "mailboxes"
    verbose_name = _("Caselle PEC")

    def ready(self) -> None:
        from .operations import registry

        registry.autodiscover()  # each operation's module registers its spec
        # The tasks are registered in every process: services enqueue them by name.
        from . import tasks  # noqa: F401
