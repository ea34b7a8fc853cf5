from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from constants.groups import GroupName
from npda.accounts.two_factor import APP_DEVICE, new_recovery_codes, secret_text
from npda.data_model.models import NPDAUser

DEMO_EMAIL = "demo@npda.example"
DEMO_PASSWORD = "demo-npda-2024"
# A fixed authenticator key (RFC 4226's test secret), so a developer adds it to an app once.
DEMO_TOTP_KEY = "3132333435363738393031323334353637383930"


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
        device, _ = TOTPDevice.objects.update_or_create(
            user=user, name=APP_DEVICE, defaults={"key": DEMO_TOTP_KEY, "confirmed": True}
        )
        codes = new_recovery_codes(user)
        self.stdout.write(f"Demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}")
        self.stdout.write(
            f"  two-factor: add the key {secret_text(device)} to an authenticator app, "
            f"or use a recovery code (each once): {', '.join(codes[:3])}"
        )
