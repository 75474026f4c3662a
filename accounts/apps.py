from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Utenti e ruoli")

    def ready(self):
        from .permissions import grant_administrator_permissions

        post_migrate.connect(grant_administrator_permissions, dispatch_uid="accounts-admin-perms")
