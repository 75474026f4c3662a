from django.urls import path

from . import views

app_name = "portfolio"
urlpatterns = [
    path("da-collegare/", views.adopt, name="adopt"),
    path("altro-gestore/", views.other_provider_new, name="other_provider_new"),
    path("importa/", views.import_holders, name="import"),
    path("importa/modello/", views.import_template, name="import_template"),
    path("importa/registrazioni/", views.register_batch, name="register_batch"),
    path("importa/registrazioni/avanzamento/", views.register_progress, name="register_progress"),
    path("esporta/caselle/", views.export_caselle, name="export_caselle"),
    path("esporta/titolari/", views.export_titolari, name="export_titolari"),
    path("esporta/scadenze/", views.export_scadenze, name="export_scadenze"),
]
