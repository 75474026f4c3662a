from django.contrib.auth.models import Group, Permission

from . import roles

# Apps whose models the Amministratori group manages in Django admin.
ADMIN_APPS = ("auth", "mailboxes", "comunica", "ledger")


def grant_administrator_permissions(**kwargs):
    """Give Amministratori every permission of the portal's models (runs after each migrate).

    Permissions exist only once their models are migrated, so this cannot live in the data
    migration that creates the groups; it is idempotent.
    """
    group = Group.objects.filter(name=roles.ADMINISTRATOR).first()
    if group is None:
        return
    perms = Permission.objects.filter(content_type__app_label__in=ADMIN_APPS)
    group.permissions.add(*perms)
