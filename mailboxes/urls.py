from django.urls import include, path

from . import views, views_accountants

app_name = "mailboxes"
urlpatterns = [
    path("", views.casella_list, name="casella_list"),
    path("nuova/", views.casella_new, name="casella_new"),
    path("verifica-indirizzo/", views.check_address, name="check_address"),
    path("<int:pk>/badge/", views.casella_badge, name="casella_badge"),
    path("<int:pk>/documenti/", views.casella_upload, name="casella_upload"),
    path("<int:pk>/modulo-attivazione/", views.modulo_attivazione, name="modulo_attivazione"),
    *views.PAGES.urls(),
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
