from django.urls import path

from . import views

app_name = "comunica"
urlpatterns = [
    path("", views.richiesta_list, name="richiesta_list"),
    path("nuova/", views.richiesta_new, name="richiesta_new"),
    path("<int:pk>/procura.pdf", views.procura_pdf, name="procura_pdf"),
    path("<int:pk>/procura/", views.procura_upload, name="procura_upload"),
    path("<int:pk>/procura/<int:doc>/invia/", views.procura_send_anyway, name="procura_send"),
    path("<int:pk>/procura/<int:doc>/procura.p7m", views.procura_file, name="procura_file"),
    *views.PAGES.urls(),
]
