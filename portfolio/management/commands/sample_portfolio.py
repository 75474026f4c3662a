from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from portal.demo import demo_credentials
from portfolio.services.sample import ACCOUNTANT, SampleError, make_sample


class Command(BaseCommand):
    help = (
        "Fill the demo with a sample portfolio: holders, boxes in several states (seeded at the "
        "built-in sandbox, which must be running: SAMPLE=1 make run does it), a comunica request."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin", help="who asks for the comunica")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}: run create_demo_admin first.")
        try:
            credentials = demo_credentials()
            made = make_sample(user=user, accountant_password=credentials[1] if credentials else "")
        except SampleError as exc:
            raise CommandError(f"No sample portfolio: {exc}.") from None
        if not made:
            self.stdout.write("The sample portfolio is already there.")
        else:
            self.stdout.write(
                f"Sample portfolio: {made['holders']} holders, {made['boxes']} boxes, "
                f"{made['comunica']} comunica request; the accountant {ACCOUNTANT!r} (the "
                "administrator's password) follows two of the holders."
            )
