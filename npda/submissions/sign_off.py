"""A unit's year-end sign-off (issue 21): the unit's lead declares, after the year ends, that
the data are complete and accurate to the best of their knowledge. While the sign-off stands,
the year is frozen: every change to the unit's data for it (an upload, a draft made the data,
a restore, a form) is refused with a message naming who signed and when. The RCPCH audit
team's full-access group can reopen the year, with a reason; the lead then signs again."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from constants.groups import GroupName
from npda.data_model.models import (
    AuditPeriod,
    NPDAUser,
    PaediatricDiabetesUnit,
    SignOff,
    Submission,
)
from npda.data_model.scope import units_for_user
from npda.submissions.locks import lock_unit_period

DECLARATION = (
    "I confirm that {unit}'s data for the {period} audit year are complete and accurate to the "
    "best of my knowledge."
)


class SignOffRefused(Exception):
    """A sign-off, reopening or change that may not happen, with the reason in words."""


class YearSignedOff(SignOffRefused):
    pass


def standing_sign_off(unit: PaediatricDiabetesUnit, period: AuditPeriod) -> SignOff | None:
    return (
        SignOff.objects.filter(paediatric_diabetes_unit=unit, audit_period=period,
                               reopened_at__isnull=True).select_related("signed_by").first()
    )  # fmt: skip


def frozen_message(sign_off: SignOff) -> str:
    when = timezone.localtime(sign_off.signed_at)
    return (
        f"{sign_off.paediatric_diabetes_unit_id}'s {sign_off.audit_period} data were signed off "
        f"by {sign_off.signed_by.get_full_name()} on {when:%-d %B %Y at %H:%M}, so they can no "
        "longer be changed. The RCPCH audit team can reopen the year if a change is needed."
    )


def refuse_if_signed_off(unit: PaediatricDiabetesUnit, period: AuditPeriod) -> None:
    """Every writer of a unit's data calls this first (inside its lock)."""
    sign_off = standing_sign_off(unit, period)
    if sign_off is not None:
        raise YearSignedOff(frozen_message(sign_off))


def may_sign_off(user: NPDAUser, unit: PaediatricDiabetesUnit) -> bool:
    """The unit's lead: the trust full-access group, for one of their own units."""
    return (
        user.groups.filter(name=GroupName.TRUST_AUDIT_TEAM_FULL_ACCESS).exists()
        and units_for_user(user).filter(pk=unit.pk).exists()
    )


def may_reopen(user: NPDAUser) -> bool:
    return (
        user.is_superuser
        or user.groups.filter(name=GroupName.RCPCH_AUDIT_TEAM_FULL_ACCESS).exists()
    )


def sign_off(
    unit: PaediatricDiabetesUnit, period: AuditPeriod, user: NPDAUser, *, today: date | None = None
) -> SignOff:
    """The lead's sign-off of the version in use; refused before the year ends, without data,
    by anyone else, or when already signed off."""
    today = today or timezone.localdate()
    if not may_sign_off(user, unit):
        raise SignOffRefused(f"Only {unit.pk}'s lead (a full-access member of the unit's "
                             "team) can sign off its data.")  # fmt: skip
    if today <= period.end_date:
        raise SignOffRefused(f"The {period} audit year ends on {period.end_date:%-d %B %Y}: its "
                             "data can be signed off from the day after.")  # fmt: skip
    with transaction.atomic():
        lock_unit_period(unit, period)
        refuse_if_signed_off(unit, period)
        active = Submission.objects.filter(
            paediatric_diabetes_unit=unit, audit_period=period, is_active=True
        ).first()
        if active is None:
            raise SignOffRefused(f"{unit.pk} has no data for {period} to sign off.")
        return SignOff.objects.create(
            paediatric_diabetes_unit=unit, audit_period=period, submission=active,
            signed_by=user, declaration=DECLARATION.format(unit=unit.pk, period=period),
        )  # fmt: skip


def reopen(unit: PaediatricDiabetesUnit, period: AuditPeriod, user: NPDAUser, reason: str):
    """The audit team reopens a signed-off year, with a reason; the sign-off stays on record."""
    reason = (reason or "").strip()
    if not may_reopen(user):
        raise SignOffRefused("Only the RCPCH audit team's full-access group can reopen a year.")
    if len(reason) < 5:
        raise SignOffRefused("Say why the year is reopened (a short reason is needed).")
    with transaction.atomic():
        standing = (
            SignOff.objects.select_for_update()
            .filter(paediatric_diabetes_unit=unit, audit_period=period, reopened_at__isnull=True)
            .first()
        )  # fmt: skip
        if standing is None:
            raise SignOffRefused(f"{unit.pk}'s {period} data are not signed off.")
        standing.reopened_at, standing.reopened_by = timezone.now(), user
        standing.reopen_reason = reason[:500]
        standing.save(update_fields=["reopened_at", "reopened_by", "reopen_reason"])
    return standing


def past_sign_offs(unit: PaediatricDiabetesUnit, period: AuditPeriod) -> list[SignOff]:
    """Sign-offs of the year that were reopened, newest first."""
    return list(
        SignOff.objects.filter(paediatric_diabetes_unit=unit, audit_period=period,
                               reopened_at__isnull=False)
        .select_related("signed_by", "reopened_by")
    )  # fmt: skip
