"""Error reports (the debug page, the e-mail to ADMINS) without the passwords inside URLs.

Django hides settings whose *name* looks secret (PASSWORD, API_KEY...), but a URL setting such
as DATABASE_URL, REDIS_URL, the cache's LOCATION or the broker URL carries its password in its
*value*; under runserver the process environment is in ``request.META`` too. Every string shown
in a report (settings, request metadata, local variables) loses a URL's user:password part and
any secret-looking query parameter (``?password=``, ``?token=``).
"""

import re

from django.views.debug import SafeExceptionReporterFilter

_URL_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/@\s?#]*@", re.IGNORECASE)
_SECRET_QUERY_VALUE = re.compile(
    r"(?P<name>[?&;][^=&;#\s]*(?:api|auth|token|key|secret|pass|signature)[^=&;#\s]*=)[^&;#\s]*",
    re.IGNORECASE,
)


def _is_text(value) -> bool:
    # (lazy objects pass isinstance(value, str) by proxying __class__)
    return type(value) is str


class UrlCredentialsFilter(SafeExceptionReporterFilter):
    def hide_url_credentials(self, text: str) -> str:
        text = _URL_USERINFO.sub(rf"\g<scheme>{self.cleansed_substitute}@", text)
        return _SECRET_QUERY_VALUE.sub(rf"\g<name>{self.cleansed_substitute}", text)

    def cleanse_setting(self, key, value):
        cleansed = super().cleanse_setting(key, value)
        return self.hide_url_credentials(cleansed) if _is_text(cleansed) else cleansed

    def get_traceback_frame_variables(self, request, tb_frame):
        return [
            (name, self.hide_url_credentials(value) if _is_text(value) else value)
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]
