from django.urls import path

from . import views

app_name = "portfolio"
urlpatterns = [
    path("da-collegare/", views.adopt, name="adopt"),
]
