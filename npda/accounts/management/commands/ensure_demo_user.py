from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from constants.groups import GroupName
from npda.accounts.two_factor import APP_DEVICE, new_recovery_codes, secret_text
from npda.data_model.models import NPDAUser, PaediatricDiabetesUnit

DEMO_EMAIL = "demo@npda.example"
DEMO_PASSWORD = "demo-npda-2024"
# A fixed authenticator key (RFC 4226's test secret), so a developer adds it to an app once.
DEMO_TOTP_KEY = "3132333435363738393031323334353637383930"
# A unit's clinical lead, to see the site as a unit's staff do (their unit's workspace).
DEMO_UNIT_EMAIL = "demo.unit@npda.example"
DEMO_UNIT = "PZ041"


class Command(BaseCommand):
    help = (
        "Create (or reset) the local demo logins: an RCPCH full-access admin and a unit's "
        "clinical lead. Never in production."
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
        self._two_factor(user, f"Demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}")
        lead, _ = NPDAUser.objects.get_or_create(
            email=DEMO_UNIT_EMAIL, defaults={"first_name": "Demo", "surname": "Clinical Lead"}
        )
        lead.set_password(DEMO_PASSWORD)
        lead.save()
        lead.groups.add(Group.objects.get(name=GroupName.TRUST_AUDIT_TEAM_FULL_ACCESS))
        lead.organisation_employers.set(PaediatricDiabetesUnit.objects.filter(pz_code=DEMO_UNIT))
        self._two_factor(lead, f"{DEMO_UNIT}'s clinical lead: {DEMO_UNIT_EMAIL} / {DEMO_PASSWORD}")

    def _two_factor(self, user: NPDAUser, login: str) -> None:
        device, _ = TOTPDevice.objects.update_or_create(
            user=user, name=APP_DEVICE, defaults={"key": DEMO_TOTP_KEY, "confirmed": True}
        )
        codes = new_recovery_codes(user)
        self.stdout.write(login)
        self.stdout.write(
            f"  two-factor: add the key {secret_text(device)} to an authenticator app, "
            f"or use a recovery code (each once): {', '.join(codes[:3])}"
        )
