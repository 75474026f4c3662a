from django.urls import path

from . import views

app_name = "signing"
urlpatterns = [
    # The holder's pages: no login, the token is the key.
    path("firma/fatto/", views.done, name="done"),
    path("firma/<str:token>/", views.link_page, name="link"),
    path("firma/<str:token>/modulo.pdf", views.link_form_pdf, name="link_form"),
    # The office's.
    path("link-firma/caselle/<int:pk>/", views.box_link_new, name="box_link_new"),
    path("link-firma/comunica/<int:pk>/", views.comunica_link_new, name="comunica_link_new"),
    path("link-firma/<int:pk>/revoca/", views.link_revoke, name="revoke"),
    path("link-firma/<int:pk>/reinvia/", views.link_resend, name="resend"),
]
