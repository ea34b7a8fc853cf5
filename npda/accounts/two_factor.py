"""Two-factor authentication (django-otp): a TOTP authenticator app for everyone with an
account, and single-use recovery codes. Services here; the views are in npda/account_views.py
and the middleware that requires it in npda/middleware.py (ADR 0015)."""

import base64
import io
import math

import django_otp
import qrcode
import qrcode.image.svg
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from npda.accounts.activity import record_activity
from npda.data_model.models import ActivityType, NPDAUser

RECOVERY_CODES = 10
APP_DEVICE = "Authenticator app"
RECOVERY_DEVICE = "Recovery codes"


def has_two_factor(user: NPDAUser) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_device(user: NPDAUser) -> TOTPDevice:
    """The unconfirmed authenticator device being set up (one per user, made on first ask)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=APP_DEVICE, confirmed=False)


def secret_text(device: TOTPDevice) -> str:
    """The shared secret for typing into an app, in groups of four."""
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URL as an inline SVG QR code (drawn here: nothing leaves the server)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode().split("?>", 1)[-1]  # without the XML declaration


def seconds_to_wait(device: TOTPDevice | None) -> int:
    """After wrong codes django-otp checks the next only after 1, 2, 4 ... seconds."""
    if device is None:
        return 0
    allowed, data = device.verify_is_allowed()
    if allowed or not data or "locked_until" not in data:
        return 0
    return max(1, math.ceil((data["locked_until"] - timezone.now()).total_seconds()))


def wrong_code_message(device: TOTPDevice | None) -> str:
    wait = seconds_to_wait(device)
    if wait:
        return (
            f"That code was not accepted. After a wrong code the next is checked only after a "
            f"pause: wait {wait} second{'s' if wait != 1 else ''}, then type the newest code."
        )
    return "That code was not accepted (or has been used). Type the newest code from your app."


def app_device(user: NPDAUser) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def confirm_set_up(request: HttpRequest, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the app with its first code: the session is verified and fresh recovery codes
    replace any old ones (returned, to be shown once). None if the code is wrong."""
    if not device.verify_token(code.replace(" ", "")):
        record_activity(request, ActivityType.TWO_FACTOR_FAILED, user=device.user, success=False)
        return None
    with transaction.atomic():
        TOTPDevice.objects.filter(user=device.user, confirmed=True).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = new_recovery_codes(device.user)
    django_otp.login(request, device)
    record_activity(request, ActivityType.TWO_FACTOR_SET_UP, user=device.user, success=True)
    return codes


def new_recovery_codes(user: NPDAUser) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def verify(request: HttpRequest, user: NPDAUser, code: str) -> bool:
    """A code from the app, or a recovery code (used up), verifies the session."""
    code = code.strip().replace(" ", "").lower()
    from_app = len(code) == 6 and code.isdigit()  # recovery codes are 8 letters and digits
    app = app_device(user)
    if app is not None and from_app and app.verify_token(code):
        django_otp.login(request, app)
        record_activity(request, ActivityType.TWO_FACTOR_VERIFIED, user=user, success=True)
        return True
    recovery = StaticDevice.objects.filter(user=user, confirmed=True).first()
    if recovery is not None and not from_app and recovery.verify_token(code):
        django_otp.login(request, recovery)
        record_activity(request, ActivityType.RECOVERY_CODE_USED, user=user, success=True)
        return True
    record_activity(request, ActivityType.TWO_FACTOR_FAILED, user=user, success=False)
    return False
