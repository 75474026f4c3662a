"""Accountants brought in from the portal: the office invites one by e-mail with the holders they
follow; the accountant chooses a password through a one-time link and then sees only those
holders (accounts.roles, mailboxes.selectors)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from accounts import roles
from portal.links import absolute_reverse


def invite_accountant(*, email: str, first_name: str, last_name: str, titolari, invited_by):
    """Create (or reuse) the accountant with ``email``, assign ``titolari`` to them and, after
    commit, e-mail them the link to choose their password. Returns the user."""
    User = get_user_model()
    email = email.strip().lower()
    with transaction.atomic():
        user = User.objects.select_for_update().filter(email__iexact=email).first()
        if user is not None and roles.is_office(user):
            raise ValidationError(
                _("%(email)s è già un utente dello studio.") % {"email": email}, code="office"
            )
        if user is None:
            if User.objects.filter(username__iexact=email).exists():
                raise ValidationError(_("Esiste già un utente con questo nome."), code="exists")
            user = User.objects.create_user(
                username=email, email=email, first_name=first_name, last_name=last_name
            )  # no password: the accountant chooses one through the link
        user.groups.add(Group.objects.get_or_create(name=roles.ACCOUNTANT)[0])
        for titolare in titolari:
            titolare.commercialisti.add(user)
        pk, names = user.pk, [str(t) for t in titolari]
        transaction.on_commit(lambda: send_invitation(pk, names, invited_by=str(invited_by)))
    return user


def set_password_link(user) -> str:
    """A one-time link (it stops working once the password is chosen, or after
    PASSWORD_RESET_TIMEOUT) to the page where ``user`` chooses a password."""
    return absolute_reverse(
        "password_reset_confirm",
        urlsafe_base64_encode(force_bytes(user.pk)),
        default_token_generator.make_token(user),
    )


def send_invitation(user_pk: int, holders: list[str], *, invited_by: str) -> None:
    user = get_user_model().objects.filter(pk=user_pk, is_active=True).first()
    if user is None or not user.email:
        return
    send_mail(
        _("Accesso al Portale PEC dello studio"),
        _(
            "Buongiorno %(name)s,\n\n%(who)s ti ha dato accesso al Portale PEC dello studio per "
            "i titolari: %(holders)s.\nDal portale scarichi i moduli di attivazione delle loro "
            "caselle PEC e carichi i moduli firmati.\n\nScegli la tua password da qui (il link "
            "vale una volta sola):\n%(link)s\n\nIl tuo nome utente: %(username)s\n"
        )
        % {
            "name": user.get_full_name() or user.email,
            "who": invited_by,
            "holders": ", ".join(holders) or "—",
            "link": set_password_link(user),
            "username": user.get_username(),
        },
        None,
        [user.email],
        fail_silently=False,
    )
