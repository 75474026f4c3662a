from django.urls import path

from . import views

app_name = "cockpit"
urlpatterns = [
    path("da-fare/", views.todo_fragment, name="todo"),
    path("andamento/", views.trends, name="trends"),
    path("cerca/", views.search, name="search"),
]
