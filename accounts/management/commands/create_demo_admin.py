import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from accounts import roles
from portal.demo import CREDENTIALS_FILE


class Command(BaseCommand):
    help = "Create (once) the demo administrator of `make run` and print its credentials."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username, **options):
        # The password is kept in a private file so that repeated `make run` print the same one.
        secret_file = Path(settings.DATA_DIR) / CREDENTIALS_FILE
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is None or not secret_file.exists():
            password = secrets.token_urlsafe(12)
            if user is None:
                user = User.objects.create_superuser(
                    username, f"{username}@example.invalid", password
                )
            else:
                user.set_password(password)
                user.save(update_fields=["password"])
            secret_file.write_text(password)
            secret_file.chmod(0o600)
        password = secret_file.read_text().strip()
        user.groups.add(*Group.objects.filter(name__in=[roles.OFFICE, roles.ADMINISTRATOR]))
        self.stdout.write(f"Demo administrator: user {username!r}, password {password!r}")
