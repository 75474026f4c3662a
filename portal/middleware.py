import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import BadRequest
from django.db import DataError
from django.http import HttpResponse
from django.template.loader import render_to_string


class RequestSizeLimitMiddleware:
    """Refuse a request body larger than REQUEST_MAX_BYTES before anything reads it.

    DATA_UPLOAD_MAX_MEMORY_SIZE does not count files: without this, anyone (no login needed)
    could make the portal read a 2 GB multipart body and write it to disk. The size is the one
    the client announces; a body of unknown size (chunked, no Content-Length) is refused too,
    as no form of the portal sends one.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        announced = request.META.get("CONTENT_LENGTH")
        if not announced and request.META.get("HTTP_TRANSFER_ENCODING"):
            return self.refuse(411)
        # (a malformed length is read by Django as 0: nothing of the body is read)
        if announced and announced.isdigit() and int(announced) > settings.REQUEST_MAX_BYTES:
            return self.refuse(413)
        return self.get_response(request)

    def refuse(self, status):
        context = {"limit_mb": settings.REQUEST_MAX_BYTES // (1024 * 1024), "status": status}
        return HttpResponse(render_to_string("request_too_large.html", context), status=status)


class TamperedUrlMiddleware:
    """Answer 400, never 500, to URL parameters no page can use.

    A NUL character (``%00``) in the path or query: PostgreSQL refuses it in any text parameter,
    so a search, a filter or an admin lookup would otherwise fail. And a value the database
    cannot represent (a 30-digit id, the year 1 moved to UTC) raising in a page that only
    reads (GET), such as a filter of an admin list: nothing was changed, the input is at fault.
    """

    UNREPRESENTABLE = (OverflowError, DataError)

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            raise BadRequest("NUL character in the URL")
        return self.get_response(request)

    def process_exception(self, request, exception):
        if request.method in ("GET", "HEAD") and isinstance(exception, self.UNREPRESENTABLE):
            raise BadRequest("a URL parameter the database cannot represent") from exception
        return None


class HealthCheckMiddleware:
    """Answer ``/healthz`` before host validation, for the container probe on 127.0.0.1."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            return HttpResponse("ok", content_type="text/plain")
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy for every page.

    Scripts come only from our own static files (htmx and portal.js); no inline script, no CDN.
    """

    CSP = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
        "base-uri 'none'; object-src 'none'"
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.CSP)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        return response


class SessionLifetimeMiddleware:
    """End a session SESSION_ABSOLUTE_AGE seconds after login, however active it is.

    The idle limit is SESSION_COOKIE_AGE with SESSION_SAVE_EVERY_REQUEST (a sliding window); this
    is the absolute one, so a session left open on a shared office PC does not live for ever.
    """

    KEY = "portal_login_at"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            started = request.session.get(self.KEY)
            if not isinstance(started, (int, float)):
                request.session[self.KEY] = now
            elif now - started > settings.SESSION_ABSOLUTE_AGE:
                logout(request)
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)
