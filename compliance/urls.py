from django.urls import path

from . import views, views_campaign

app_name = "compliance"
urlpatterns = [
    path("", views.portfolio, name="portfolio"),
    path("verifica/", views.refresh, name="refresh"),
    path("impresa/<int:pk>/", views.holder, name="holder"),
    path("impresa/<int:pk>/verifica/", views.refresh_holder, name="refresh_holder"),
    path("impresa/<int:pk>/amministratore/", views.director_holder, name="director_holder"),
    path("impresa/<int:pk>/amministratore/comunica/", views.director_file, name="director_file"),
    path("campagna/", views_campaign.campaign_new, name="campaign_new"),
    path("campagna/<int:pk>/", views_campaign.campaign, name="campaign"),
    path("impresa/<int:pk>/sorveglia/", views.watch, name="watch"),
    path("impresa/<int:pk>/sorveglia/termina/", views.unwatch, name="unwatch"),
    path(
        "sorveglianza/<int:pk>/callback/<str:token>/",
        views.monitor_callback,
        name="monitor_callback",
    ),
]
