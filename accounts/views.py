from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from portal import demo

from . import services
from .forms import ThrottledPasswordChangeForm


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = ThrottledPasswordChangeForm
    success_url = reverse_lazy("password_change_done")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}


class LoginView(auth_views.LoginView):
    """The login page; in the local demo it shows the demo administrator's credentials."""

    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs, demo_credentials=demo.demo_credentials())

    def form_valid(self, form):
        # The language the user chose last, in whatever browser, becomes this browser's.
        response = super().form_valid(form)
        lingua = services.saved_language(user=form.get_user())
        if lingua:
            _set_language_cookie(response, lingua)
        return response


def _set_language_cookie(response, code):
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


@require_POST
def set_language(request):
    """Django's language switch, which also remembers the choice on the logged-in user."""
    response = django_set_language(request)
    code = request.POST.get("language", "")
    if request.user.is_authenticated and code in dict(settings.LANGUAGES):
        services.save_language(user=request.user, code=code)
    return response


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """The page of an accountant's invitation link: choose a password. A link that was never
    issued, was used or expired says so, with a 404 (it opens nothing)."""

    def render_to_response(self, context, **response_kwargs):
        if not context.get("validlink"):
            response_kwargs["status"] = 404
        return super().render_to_response(context, **response_kwargs)
