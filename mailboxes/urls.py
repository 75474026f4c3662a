from django.urls import path

from . import views

app_name = "mailboxes"
urlpatterns = [
    path("", views.casella_list, name="casella_list"),
    path("titolari/", views.titolare_list, name="titolare_list"),
]
