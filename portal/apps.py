from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portale PEC")

    def ready(self):
        # The checks are registered; so are the tasks, in every process (enqueued by name).
        from . import checks, tasks  # noqa: F401
