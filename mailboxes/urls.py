from django.urls import include, path

from portal.views_callback import remote_callback

from . import views, views_accountants

app_name = "mailboxes"
urlpatterns = [
    path("", views.casella_list, name="casella_list"),
    path("nuova/", views.casella_new, name="casella_new"),
    path("verifica-indirizzo/", views.check_address, name="check_address"),
    path("sincronizza/", views.sync_now, name="sync_now"),
    path("<int:pk>/", views.casella_detail, name="casella_detail"),
    path("<int:pk>/stato/", views.casella_stato, name="casella_stato"),
    path("<int:pk>/badge/", views.casella_badge, name="casella_badge"),
    path("<int:pk>/documenti/", views.casella_upload, name="casella_upload"),
    path("<int:pk>/modulo-attivazione/", views.modulo_attivazione, name="modulo_attivazione"),
    path("<int:pk>/aggiorna/", views.casella_refresh, name="casella_refresh"),
    path("<int:pk>/riprova/", views.casella_retry, name="casella_retry"),
    path(
        "<int:pk>/callback/<str:token>/",
        remote_callback,
        {"resource": "mailboxes"},
        name="casella_callback",
    ),
    path("documenti/<int:pk>/", views.documento_download, name="documento_download"),
    path("titolari/", views.titolare_list, name="titolare_list"),
    path("titolari/nuovo/", views.titolare_new, name="titolare_new"),
    path("titolari/<int:pk>/", views.titolare_detail, name="titolare_detail"),
    path("titolari/<int:pk>/modifica/", views.titolare_edit, name="titolare_edit"),
    path(
        "commercialisti/invita/",
        views_accountants.commercialista_invite,
        name="commercialista_invite",
    ),
    path("", include("mailboxes.urls_operations")),
]
