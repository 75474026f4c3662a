"""The site's home page is the cockpit (mounted at the root, outside the cockpit's namespace:
every page links to it as "home")."""

from django.urls import path

from . import views

urlpatterns = [path("", views.home, name="home")]
