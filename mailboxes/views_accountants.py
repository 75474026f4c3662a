"""The office invites an accountant (mailboxes.services.accountants)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.roles import office_required

from .forms_accountants import InvitoCommercialistaForm
from .services import accountants


@office_required
def commercialista_invite(request):
    initial = {"titolari": request.GET.getlist("titolare")}
    form = InvitoCommercialistaForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            user = accountants.invite_accountant(
                email=form.cleaned_data["email"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                titolari=list(form.cleaned_data["titolari"]),
                invited_by=request.user.get_full_name() or request.user.get_username(),
            )
        except ValidationError as exc:
            form.add_error("email", exc)
        else:
            messages.success(
                request,
                _("Invito inviato a %(email)s: sceglierà la password dal link nell'e-mail.")
                % {"email": user.email},
            )
            return redirect("mailboxes:titolare_list")
    return render(
        request,
        "mailboxes/commercialista_invite.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )
