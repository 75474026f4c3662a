from django.urls import path

from . import views

app_name = "ledger"
urlpatterns = [
    path("", views.index, name="index"),
    path("registro/", views.registro, name="registro"),
    path("registro/riconcilia/", views.riconcilia, name="riconcilia"),
    path("titolari/<int:pk>/", views.prospetto, name="prospetto"),
    path("titolari/<int:pk>/riepilogo.pdf", views.riepilogo, name="riepilogo"),
]
