from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComunicaConfig(AppConfig):
    name = "comunica"
    verbose_name = _("Comunicazioni PEC al Registro Imprese")
