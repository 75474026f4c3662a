"""URLs of the operations on active boxes (issue 5): renew, revoke, enlarge, preservation,
upgrade, extra users, and the expiry page. Included by mailboxes/urls.py."""

from django.urls import path

from . import views_operations as views

urlpatterns = [
    path("<int:pk>/rinnovo/", views.rinnovo, name="rinnovo"),
    path("<int:pk>/revoca/", views.revoca, name="revoca"),
    path("<int:pk>/spazio/", views.modifica, name="modifica"),
    path("<int:pk>/conservazione/", views.conservazione, name="conservazione"),
    path(
        "<int:pk>/modulo-conservazione/",
        views.modulo_conservazione,
        name="modulo_conservazione",
    ),
    path("<int:pk>/tipo/", views.trasformazione, name="trasformazione"),
    path("<int:pk>/utenti/", views.multiutenza, name="multiutenza"),
    path("scadenze/", views.scadenze, name="scadenze"),
    path("scadenze/avanzamento/", views.scadenze_avanzamento, name="scadenze_avanzamento"),
]
