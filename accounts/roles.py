"""The portal's three roles, and the checks every view uses.

- Ufficio (office staff): every portal action.
- Commercialisti (accountants): see only the holders (titolari) assigned to them and upload
  their signed documents.
- Amministratori (administrators): Django admin.

The groups are created by a data migration (accounts/migrations/0001_roles.py); permissions are
enforced here, on the server, whatever buttons a page shows.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

OFFICE = "Ufficio"
ACCOUNTANT = "Commercialisti"
ADMINISTRATOR = "Amministratori"
ROLES = (OFFICE, ACCOUNTANT, ADMINISTRATOR)


def _in_group(user, name: str) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    cache = getattr(user, "_portal_groups", None)
    if cache is None:
        cache = set(user.groups.values_list("name", flat=True))
        user._portal_groups = cache
    return name in cache


def is_office(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_superuser) or _in_group(
        user, OFFICE
    )


def is_accountant(user) -> bool:
    return _in_group(user, ACCOUNTANT) and not is_office(user)


def is_portal_user(user) -> bool:
    return is_office(user) or is_accountant(user)


def _required(allowed):
    """A view decorator: login first; then only the users ``allowed`` (403 for the others)."""

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not allowed(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


#: Login first; then office staff only (403 for accountants and users without a role).
office_required = _required(is_office)

#: Login first; then office staff or accountants (403 for users without a role). Views behind
#: this must still scope their objects to the user (accountants see only the holders assigned to
#: them); the apps' selectors do that.
portal_user_required = _required(is_portal_user)
