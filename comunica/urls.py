from django.urls import path

from . import views

app_name = "comunica"
urlpatterns = [
    path("", views.richiesta_list, name="richiesta_list"),
]
