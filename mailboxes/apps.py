from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class MailboxesConfig(AppConfig):
    name = "mailboxes"
    verbose_name = _("Caselle PEC")

    def ready(self) -> None:
        from .operations import registry

        registry.autodiscover()  # each operation's module registers its spec
        # The tasks are registered in every process: services enqueue them by name.
        from . import tasks  # noqa: F401

        post_migrate.connect(_search_triggers, sender=self)


def _search_triggers(using, **kwargs) -> None:
    """The boxes' search triggers, again after every migrate: SQLite drops a table's triggers
    when a migration rebuilds the table (mailboxes/box_search.py)."""
    from django.db import connections

    from . import box_search

    box_search.install(connections[using])
