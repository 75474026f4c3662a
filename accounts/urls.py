from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

# Mounted at the site's root: the account pages (the home page is the cockpit's).
urlpatterns = [
    path(
        "account/login/",
        views.LoginView.as_view(),
        name="login",
    ),
    path("account/lingua/", views.set_language, name="set_language_saved"),
    path("account/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password_change"),
    # The link of an accountant's invitation (mailboxes.services.accountants): choose a password.
    path(
        "account/imposta-password/<uidb64>/<token>/",
        views.SetPasswordView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "account/imposta-password/fatto/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path(
        "account/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
]
