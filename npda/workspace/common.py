"""What every page of a unit's workspace starts from: the unit (one of the user's), the audit
year asked for, and today (a function, so that tests can set the day the countdowns count from)."""

from datetime import date

from django.http import Http404, HttpRequest
from django.utils import timezone

from constants.numbers import year_number
from npda.data_model.models import AuditPeriod, PaediatricDiabetesUnit
from npda.data_model.scope import units_for_user


def today() -> date:
    return timezone.localdate()


def unit_for(request: HttpRequest, code: str) -> PaediatricDiabetesUnit:
    """One of the user's units (the audit team: any); a 404 for anything else."""
    if not request.user.has_perm("npda.view_patient"):
        raise Http404("No such page.")
    unit = units_for_user(request.user).filter(pz_code=code.upper()).first()
    if unit is None:
        raise Http404(f"There is no unit {code.upper()[:10]} for you to see.")
    return unit


def period_for(request: HttpRequest) -> AuditPeriod:
    """`?year=` (default: the year open today, else the latest)."""
    year = (request.GET.get("year") or request.POST.get("year") or "").strip()
    periods = AuditPeriod.objects.order_by("-start_date")
    if year:
        number = year_number(year)
        period = periods.filter(start_date__year=number).first() if number else None
        if period is None:
            raise Http404(f"There is no audit year {year[:10]!r}.")
        return period
    return periods.filter(start_date__lte=today()).first() or periods.first()


def year_choices() -> list[AuditPeriod]:
    return list(AuditPeriod.objects.filter(is_visible=True).order_by("-start_date"))
