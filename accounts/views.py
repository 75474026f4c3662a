from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy

from .forms import ThrottledPasswordChangeForm


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = ThrottledPasswordChangeForm
    success_url = reverse_lazy("password_change_done")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}
