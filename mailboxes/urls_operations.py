"""URLs of the operations on active boxes, one per registered operation (its spec's path and
kind), and of the expiry page. Included by mailboxes/urls.py."""

from django.urls import path

from . import views_operations as views
from .operations.registry import in_order

urlpatterns = [
    *(
        path(f"<int:pk>/{spec.path}/", views.operation, {"kind": spec.kind}, name=spec.kind)
        for spec in in_order()
    ),
    path(
        "<int:pk>/modulo-conservazione/",
        views.modulo_conservazione,
        name="modulo_conservazione",
    ),
    path("scadenze/", views.scadenze, name="scadenze"),
    path("scadenze/avanzamento/", views.scadenze_avanzamento, name="scadenze_avanzamento"),
]
