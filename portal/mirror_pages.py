"""The pages every mirrored Openapi object has (a box, a comunica request...): its page, its
status panel (htmx refreshes it while the object moves), "refresh from Openapi", "retry" of
the call that creates it at Openapi, "sync with Openapi" on its list, and Openapi's callback.

Each app declares one :class:`MirrorPages` and includes its :meth:`~MirrorPages.urls`; portal
imports no app, so the app hands in what is its own: which objects a user may see, the pages'
context, its services, messages and access decorators.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from openapi_pec import errors

from .forms import IntentForm
from .openapi_messages import explain_error
from .remote_calls import PENDING, repeat_message
from .views_callback import remote_callback

log = logging.getLogger(__name__)


def pdf_from_openapi(request, fetch: Callable[[], bytes], *, filename: str, refused, back):
    """A PDF Openapi makes for an object (a form to sign...), handed to the user through the
    portal and never cached; if Openapi fails, ``refused`` (naming its message as ``%(msg)s``)
    and the ``back`` response."""
    try:
        content = fetch()
    except errors.OpenapiError as exc:
        log.warning("PDF %s not fetched: %s", filename, exc.__class__.__name__)
        messages.error(request, refused % {"msg": explain_error(exc).text})
        return back
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@dataclass(frozen=True)
class MirrorPages:
    resource: str  #: the app's URL namespace, also the callback's resource (portal/callbacks.py)
    #: the URL names: <noun>_detail, <noun>_status, <noun>_refresh, <noun>_retry, <noun>_callback
    #: (and ``sync`` on the list); the page's template: <resource>/<noun>_detail.html
    noun: str
    #: ``(request, pk)``: the object if the user may see it, else 404
    get: Callable[[Any, int], Any]
    #: ``(request, obj)``: the context of the page and of its status panel
    context: Callable[[Any, Any], dict[str, Any]]
    status_template: str
    #: ``(obj)``: read it again from Openapi now (raises ``OpenapiError``)
    refresh: Callable[[Any], Any]
    #: ``(obj, *, intent_key, user)``: record the creation's intent again; the call
    retry: Callable[..., Any]
    retried: Any  #: the message when the retry is recorded
    what: Callable[[Any], str]  #: the object named in the message of a repeated retry
    sync_task: Any  #: the task that reads the account's objects from Openapi
    synced: Any  #: the message when the sync starts
    viewer: Callable  #: the access decorator of the page and its status panel
    office: Callable  #: ... of refresh, retry and sync

    @property
    def detail_template(self) -> str:
        return f"{self.resource}/{self.noun}_detail.html"

    def _detail(self, obj):
        return redirect(f"{self.resource}:{self.noun}_detail", pk=obj.pk)

    def detail(self, request, pk):
        obj = self.get(request, pk)
        return render(request, self.detail_template, self.context(request, obj))

    def status(self, request, pk):
        obj = self.get(request, pk)
        return render(request, self.status_template, self.context(request, obj))

    def refresh_now(self, request, pk):
        obj = self.get(request, pk)
        try:
            self.refresh(obj)
        except errors.OpenapiError as exc:
            messages.error(
                request, _("Openapi non risponde: %(msg)s") % {"msg": explain_error(exc).text}
            )
        else:
            messages.success(request, _("Stato aggiornato da Openapi."))
        return self._detail(obj)

    def retry_now(self, request, pk):
        obj = self.get(request, pk)
        form = IntentForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Richiesta non valida: ricarica la pagina."))
            return self._detail(obj)
        try:
            call = self.retry(obj, intent_key=form.cleaned_data["intent_key"], user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if call.repeated:
                messages.add_message(request, *repeat_message(call, self.what(obj)))
            else:  # sent: the outcome shows on the page, which then drops this notice
                messages.info(request, self.retried, PENDING)
        return self._detail(obj)

    def sync(self, request):
        self.sync_task.delay()
        messages.success(request, self.synced)
        return redirect(f"{self.resource}:{self.noun}_list")

    def urls(self) -> list:
        noun, viewer, office = self.noun, self.viewer, self.office
        return [
            path("sincronizza/", office(require_POST(self.sync)), name="sync"),
            path("<int:pk>/", viewer(require_GET(self.detail)), name=f"{noun}_detail"),
            path("<int:pk>/stato/", viewer(require_GET(self.status)), name=f"{noun}_status"),
            path(
                "<int:pk>/aggiorna/", office(require_POST(self.refresh_now)), name=f"{noun}_refresh"
            ),
            path("<int:pk>/riprova/", office(require_POST(self.retry_now)), name=f"{noun}_retry"),
            path(
                "<int:pk>/callback/<str:token>/",
                remote_callback,
                {"resource": self.resource},
                name=f"{noun}_callback",
            ),
        ]
