"""Openapi's callback on an object's status change (a box, a comunica request...): not a page,
a queue of one read per object."""

from __future__ import annotations

import json
import logging

from django.core.exceptions import SuspiciousOperation
from django.http import JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import callbacks, polling

log = logging.getLogger(__name__)

#: A callback's body is one record (a few KB): anything larger is refused unread.
CALLBACK_MAX_BYTES = 64 * 1024
#: What reading a callback's body can raise, whatever bytes it holds.
UNREADABLE_BODY = (
    ValueError,  # invalid JSON, or numbers too long to convert
    UnicodeError,
    RecursionError,  # JSON nested thousands deep
    LookupError,  # an unknown charset
    SuspiciousOperation,  # too many fields
    MultiPartParserError,
)


def _content_length(request) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None


def _payload(request):
    """A callback's body: JSON, or form data with the JSON in one field ("data" by default).
    None when it holds anything else: it is only a hint (see callbacks.py)."""
    try:
        if request.content_type == "application/json":
            raw = request.body
        else:
            raw = next(iter(request.POST.values()), None)
        return json.loads(raw) if raw else None
    except UNREADABLE_BODY:
        return None


@csrf_exempt
@require_POST
def remote_callback(request, pk, token, resource):
    """Openapi's callback on a status change (the URL the portal gave as ``callback`` when
    creating the object; ``resource`` comes from the app's URL, not from the caller). Refused
    without the object's secret, or above CALLBACK_MAX_BYTES (413, unread); otherwise a read of
    the object is queued for a worker (one per object however many callbacks arrive) and only
    what that read confirms is applied. The answer does not depend on what the body holds: the
    web worker makes no Openapi call and cannot fail on the body."""
    res = polling.resource(resource)
    length = _content_length(request)
    if length is None or length > CALLBACK_MAX_BYTES:
        return JsonResponse({"ok": False}, status=413)
    if not callbacks.check_callback_token(res, pk, token):
        log.warning("%s: callback refused for #%s (wrong secret)", res.name, pk)
        return JsonResponse({"ok": False}, status=403)
    claimed = res.claimed_state(_payload(request))
    queued = callbacks.handle_callback(res, pk, claimed=claimed)
    return JsonResponse({"ok": True, "queued": bool(queued)})
