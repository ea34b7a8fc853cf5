"""The RCPCH audit team's own page: the tracker, every release's outliers and suppression log,
every unit's workspace, and the admin."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from aggregation.models import Release
from npda.data_model.models import PaediatricDiabetesUnit
from npda.data_model.scope import sees_all_units


@login_required
@require_GET
def audit_team_home(request: HttpRequest) -> HttpResponse:
    if not sees_all_units(request.user):
        raise PermissionDenied("This page is the RCPCH audit team's.")
    releases = (
        Release.objects.filter(superseded_at__isnull=True)
        .select_related("audit_period").order_by("-audit_period__start_date", "-created_at")[:12]
    )  # fmt: skip
    units = PaediatricDiabetesUnit.objects.filter(is_active=True).order_by("pz_code")
    return render(request, "audit_team/home.html", {"releases": releases, "units": units})
