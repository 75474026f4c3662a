"""System checks: a missing or malformed production value stops start-up, naming the variable.

Django runs these on ``migrate``, ``runserver``, ``check`` and the Celery entry points, which is
how the containers start (migrations run first, see docker-compose.yml).
"""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=False)
def configuration_check(app_configs, **kwargs):
    return [
        Error(
            f"{name}: {problem}.",
            hint=f"Set {name} in the environment (see .env.example).",
            id="portal.E001",
        )
        for name, problem in settings.CONFIG_ERRORS
    ]
