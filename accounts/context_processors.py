from django.conf import settings

from . import roles


def portal(request):
    user = getattr(request, "user", None)
    return {
        "PORTAL_NAME": settings.PORTAL_NAME,
        "OPENAPI_DEMO": settings.OPENAPI_DEMO,
        "is_office": bool(user and roles.is_office(user)),
        "is_accountant": bool(user and roles.is_accountant(user)),
    }
