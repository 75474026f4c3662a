"""The link pages: the holder's (no login: the token is the only key) and the office's
(create, send, revoke, resend). A wrong, expired, revoked or used link gets one neutral page,
the same status and body whatever the reason."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.roles import office_required
from comunica import selectors as comunica_selectors
from mailboxes import selectors as mailbox_selectors
from openapi_pec import errors
from portal.openapi import get_client

from . import services, throttle, tokens
from .forms import NuovoLinkForm, upload_data, upload_form
from .models import LinkFirma, Scopo

log = logging.getLogger(__name__)


def _no_store(response):
    response["Cache-Control"] = "private, no-store"
    return response


def neutral(request):
    """One page for every link that does not open (wrong, expired, revoked, used)."""
    return _no_store(HttpResponse(render_to_string("signing/neutral.html"), status=404))


def _throttled(request, token: str):
    if throttle.over_limit(request, tokens.digest(token)):
        return _no_store(HttpResponse(render_to_string("signing/throttled.html"), status=429))
    return None


def _intent_key(link: LinkFirma, raw) -> str:
    """The upload's intent key, bound to the link (a key of another object's call is never
    matched)."""
    return f"link:{link.pk}:{raw}"


def _context(link: LinkFirma, form) -> dict:
    return {
        "link": link,
        "form": form,
        "office": services.office_name(),
        "who": (link.created_by.get_full_name() if link.created_by else "") or "",
        "subject": services.subject_of(link),
        "pdf_max_mb": f"{settings.PDF_MAX_BYTES / 1048576:g}",
        "richiesta": link.richiesta,
        "spazio": link.params.get("spazio_conservazione"),
    }


@never_cache
@require_http_methods(["GET", "POST"])
def link_page(request, token):
    if refused := _throttled(request, token):
        return refused
    if request.method == "POST":
        raw = request.POST.get("intent_key", "")
        link = services.resolve(token)
        if link is None:
            # a repeated submit of the form that used the link: the same end state
            for candidate in LinkFirma.objects.filter(token_hash=tokens.digest(token))[:1]:
                if services.used_by(token, _intent_key(candidate, raw)):
                    return redirect("signing:done")
            return neutral(request)
        form = upload_form(link.scopo, request.POST, request.FILES, casella=link.casella)
        if form.is_valid():
            data, name = upload_data(link.scopo, form)
            key = _intent_key(link, form.cleaned_data["intent_key"])
            try:
                services.upload(link=link, data=data, intent_key=key, original_name=name)
            except ValidationError as exc:
                form.add_error(None, " ".join(exc.messages))
            else:
                return redirect("signing:done")
        return _no_store(render(request, "signing/link.html", _context(link, form), status=400))
    link = services.resolve(token)
    if link is None:
        return neutral(request)
    services.mark_opened(link)
    form = upload_form(link.scopo, casella=link.casella)
    return _no_store(render(request, "signing/link.html", _context(link, form)))


@never_cache
@require_GET
def link_form_pdf(request, token):
    """The form to sign, already filled by Openapi, fetched through the portal."""
    if refused := _throttled(request, token):
        return refused
    link = services.resolve(token)
    if link is None:
        return neutral(request)
    client = get_client()
    try:
        if link.scopo == Scopo.ATTIVAZIONE:
            content = client.modulo_attivazione(link.casella.remote_id)
        elif link.scopo == Scopo.CONSERVAZIONE:
            content = client.modulo_conservazione(link.casella.remote_id)
        else:
            content = client.procura_registro_imprese(link.richiesta.remote_id)
    except errors.OpenapiError as exc:
        log.warning("signing link %s: form download failed: %s", link.pk, type(exc).__name__)
        form = upload_form(link.scopo, casella=link.casella)
        context = _context(link, form)
        context["download_failed"] = True
        return _no_store(render(request, "signing/link.html", context, status=503))
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{link.scopo}-da-firmare.pdf"'
    return _no_store(response)


@never_cache
@require_GET
def done(request):
    """The end state after an upload (no token, nothing of the office's data)."""
    return _no_store(render(request, "signing/done.html"))


# --------------------------------------------------------------------------- the office


def _base_url(request) -> str:
    return request.build_absolute_uri("/")


def _created(request, new: services.NewLink, back: str):
    link = new.link
    return _no_store(
        render(
            request,
            "signing/created.html",
            {
                "link": link,
                "url": request.build_absolute_uri(new.path)
                if not settings.PORTAL_PUBLIC_URL
                else settings.PORTAL_PUBLIC_URL.rstrip("/") + new.path,
                "back": back,
            },
        )
    )


def _create(request, *, casella=None, richiesta=None, back: str):
    form = NuovoLinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect(back)
    try:
        new = services.create_link(
            scopo=form.cleaned_data["scopo"],
            user=request.user,
            casella=casella,
            richiesta=richiesta,
            email=form.cleaned_data["email"],
            spazio=form.cleaned_data.get("spazio"),
            base_url=_base_url(request),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(back)
    return _created(request, new, back)


@office_required
@require_POST
def box_link_new(request, pk):
    casella = get_object_or_404(mailbox_selectors.caselle_for(request.user), pk=pk)
    return _create(request, casella=casella, back=casella_url(casella))


@office_required
@require_POST
def comunica_link_new(request, pk):
    richiesta = get_object_or_404(comunica_selectors.richieste_visible_to(request.user), pk=pk)
    return _create(request, richiesta=richiesta, back=richiesta_url(richiesta))


def _office_link(request, pk) -> LinkFirma:
    link = LinkFirma.objects.select_related("casella", "richiesta").filter(pk=pk).first()
    if link is None:
        raise Http404
    visible = (
        mailbox_selectors.caselle_for(request.user).filter(pk=link.casella_id)
        if link.casella_id
        else comunica_selectors.richieste_visible_to(request.user).filter(pk=link.richiesta_id)
    )
    if not visible.exists():
        raise Http404
    return link


def _back(link: LinkFirma) -> str:
    return casella_url(link.casella) if link.casella_id else richiesta_url(link.richiesta)


@office_required
@require_POST
def link_revoke(request, pk):
    link = _office_link(request, pk)
    if services.revoke(link=link, user=request.user):
        messages.success(request, _("Link revocato: non si apre più."))
    return _after(request, link)


@office_required
@require_POST
def link_resend(request, pk):
    """A fresh link for the same step, e-mailed again (or shown to copy when it had no
    address); the old one stops working."""
    link = _office_link(request, pk)
    try:
        new = services.resend(link=link, user=request.user, base_url=_base_url(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(_back(link))
    if new.link.email:
        messages.success(
            request,
            _("Nuovo link inviato a %(email)s; il precedente non si apre più.")
            % {"email": new.link.email},
        )
        return _after(request, link)
    return _created(request, new, _back(link))


def _after(request, link: LinkFirma):
    """Back where the office acted: the cockpit or the object's page."""
    return redirect("home" if request.POST.get("next") == "home" else _back(link))


def casella_url(casella) -> str:
    return reverse("mailboxes:casella_detail", args=[casella.pk])


def richiesta_url(richiesta) -> str:
    return reverse("comunica:richiesta_detail", args=[richiesta.pk])
