from django.urls import path

from portal.views_callback import remote_callback

from . import views

app_name = "comunica"
urlpatterns = [
    path("", views.richiesta_list, name="richiesta_list"),
    path("nuova/", views.richiesta_new, name="richiesta_new"),
    path("sincronizza/", views.sync, name="sync"),
    path("<int:pk>/", views.richiesta_detail, name="richiesta_detail"),
    path("<int:pk>/stato/", views.richiesta_status, name="richiesta_status"),
    path("<int:pk>/aggiorna/", views.richiesta_refresh, name="richiesta_refresh"),
    path("<int:pk>/riprova/", views.richiesta_retry, name="richiesta_retry"),
    path("<int:pk>/procura.pdf", views.procura_pdf, name="procura_pdf"),
    path("<int:pk>/procura/", views.procura_upload, name="procura_upload"),
    path("<int:pk>/procura/<int:doc>/invia/", views.procura_send_anyway, name="procura_send"),
    path("<int:pk>/procura/<int:doc>/procura.p7m", views.procura_file, name="procura_file"),
    path(
        "<int:pk>/callback/<str:token>/",
        remote_callback,
        {"resource": "comunica"},
        name="richiesta_callback",
    ),
]
