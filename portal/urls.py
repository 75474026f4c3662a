from django.conf import settings
from django.contrib import admin
from django.urls import include, path

admin.site.site_header = settings.PORTAL_NAME
admin.site.site_title = settings.PORTAL_NAME
admin.site.index_title = settings.PORTAL_NAME

urlpatterns = [
    path("", include("cockpit.home_urls")),
    path("cruscotto/", include("cockpit.urls")),
    path("", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("caselle/", include("mailboxes.urls")),
    path("comunica/", include("comunica.urls")),
    path("portafoglio/", include("portfolio.urls")),
    path("conformita/", include("compliance.urls")),
    path("", include("signing.urls")),
    path("costi/", include("ledger.urls")),
    path("admin/", admin.site.urls),
]
