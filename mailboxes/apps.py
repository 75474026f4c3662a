from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailboxesConfig(AppConfig):
    name = "mailboxes"
    verbose_name = _("Caselle PEC")

    def ready(self):
        from .operations import registry

        registry.autodiscover()  # each operation's module registers its spec
