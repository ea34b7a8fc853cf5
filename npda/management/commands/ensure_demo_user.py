from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from constants.groups import GroupName
from npda.models import NPDAUser

DEMO_EMAIL = "demo@npda.example"
DEMO_PASSWORD = "demo-npda-2024"


class Command(BaseCommand):
    help = (
        "Create (or reset) the local demo login: an RCPCH full-access admin. Never in production."
    )

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("The demo user is for local development only.")
        user, _ = NPDAUser.objects.get_or_create(
            email=DEMO_EMAIL,
            defaults={
                "first_name": "Demo",
                "surname": "User",
                "is_staff": True,
                "is_superuser": True,
                "is_rcpch_staff": True,
            },
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
        user.groups.add(Group.objects.get(name=GroupName.RCPCH_AUDIT_TEAM_FULL_ACCESS))
        self.stdout.write(f"Demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}")
