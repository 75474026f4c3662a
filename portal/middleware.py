import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
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
