"""The read API (aggregation.selectors) that every page, callback, export and API view calls:
area results, a unit's profile, funnels, trends, the area tree, live results for the roles
allowed them, and the suppression log for the audit team."""

import datetime as dt

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied

from aggregation import selectors
from aggregation.models import ReleaseAggregate, ReleaseMeasure
from aggregation.releases import publish_release
from aggregation.services import compute_kpis
from constants.groups import GroupName
from npda.data_model import models as m
from tests.factories import user_in_group as user
from tests.integration.conftest import make_large_units
from tests.kpi_cohort import CLINIC, Cohort, E, aggregate, d
from tests.worlds import world

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 1)


@pytest.fixture
def releases():
    """Built once per test process (tests/worlds.py)."""
    return world("read api releases", _releases)


def _releases():
    period, _ = make_large_units()
    quarters = [
        publish_release(period, "provisional", as_at=d(q), today=TODAY)
        for q in ("2024-06-30", "2024-09-30", "2024-12-31")
    ]
    return period, publish_release(period, "final", today=TODAY), quarters


def test_area_results_are_the_release_rows_with_names_and_parents(releases):
    _, final, _ = releases
    results = selectors.area_results(final.pk, "pdu", "25")
    assert [r.area_code for r in results] == sorted(["PZ041", "PZ002", "PZ004", "PZ003", "PZ001"])
    pz004 = next(r for r in results if r.area_code == "PZ004")
    stored = ReleaseAggregate.objects.get(
        release=final, level="pdu", area_code="PZ004", measure_id="25", breakdown=""
    )
    assert (pz004.numerator, pz004.value, pz004.ci95) == (
        stored.numerator, stored.value, (stored.ci95_low, stored.ci95_high)
    )  # fmt: skip
    assert (pz004.release_id, pz004.area_name, pz004.parent_code) == (
        final.pk, "Northampton General Hospital", "E54000059"
    )  # fmt: skip
    assert pz004.unit == "%" and not pz004.suppressed
    with pytest.raises(selectors.NotFound) as unknown:
        selectors.area_results(final.pk, "ward", "25")
    assert unknown.value.parameter == "level" and "icb" in unknown.value.accepted


def test_a_units_profile_sets_it_beside_its_areas_and_the_spread_of_units(releases):
    _, final, _ = releases
    profile = selectors.unit_profile("PZ041", final.pk)
    assert profile.unit.name and profile.release.id == final.pk
    assert set(profile.areas) == {"trust", "icb", "region", "country", "network", "national"}
    row = next(r for r in profile.rows if r.measure == "25")
    assert row.unit.value == 75.0
    assert set(row.comparators) == set(profile.areas)
    assert row.comparators["national"].numerator == 123
    assert row.spread == ReleaseMeasure.objects.get(release=final, measure_id="25").unit_spread
    assert len(profile.rows) == 51
    welsh = selectors.unit_profile("PZ001", final.pk)
    assert "lhb" in welsh.areas and "trust" not in welsh.areas and "region" not in welsh.areas


def test_funnel_data_has_every_units_point_and_curves_from_the_parameters(releases):
    _, final, _ = releases
    data = selectors.funnel(final.pk, "25")
    assert {p.area_code for p in data.points} == {"PZ041", "PZ002", "PZ004", "PZ003", "PZ001"}
    assert data.target == pytest.approx(123 / 190 * 100)
    curves = data.curves
    assert curves["n"][0] == 1 and curves["n"][-1] >= 44  # to 1.1 x the largest unit
    lower, upper = np.array(curves["funnel_lower_95"]), np.array(curves["funnel_upper_95"])
    assert (lower <= data.target).all() and (upper >= data.target).all()
    assert lower[-1] > lower[9] and upper[-1] < upper[9]  # the funnel narrows
    for point in data.points:  # the curve passes through each unit's stored limits
        at = (30 if point.area_code == "PZ002" else 40) - 1  # the unit's true n, as an index
        assert point.funnel_limits_95 == (
            pytest.approx(curves["funnel_lower_95"][at], abs=0.051),
            pytest.approx(curves["funnel_upper_95"][at], abs=0.051),
        )
        assert point.funnel_limits_998[0] == pytest.approx(
            curves["funnel_lower_998"][at], abs=0.051
        )
    hba1c = selectors.funnel(final.pk, "44")
    assert hba1c.points and all(p.breakdown == "diabetes_type" for p in hba1c.points)
    assert hba1c.unit == "mmol/mol" and hba1c.parameters["sigma"] > 0


def test_admission_funnels_have_curves_on_the_per_100_scale():
    units = {code: Cohort(code) for code in ("PZ041", "PZ002", "PZ004", "PZ003")}
    period = units["PZ041"].period
    admitted = {"visit_date": "2024-06-01", "hospital_admission_date": "2024-06-01",
                "hospital_admission_reason": 4}  # fmt: skip
    for i, cohort in enumerate(units.values()):
        for child in range(30):
            cohort.child(rows=(admitted,) if child < 3 + 3 * i else (CLINIC,))
    compute_kpis(period, calculation_date=E)
    final = publish_release(period, "final", today=TODAY)
    data = selectors.funnel(final.pk, "46")
    assert data.unit == "per 100 children" and data.curves["n"]
    lower, upper = (np.array(data.curves[k]) for k in ("funnel_lower_95", "funnel_upper_95"))
    finite = np.isfinite(lower) & np.isfinite(upper)
    assert finite.any() and (lower[finite] <= data.target).all()
    assert (upper[finite] >= data.target).all()


def test_unadjusted_limits_are_never_wider_and_classes_follow_them(releases):
    _, final, _ = releases
    for measure in ("25", "32.1", "44"):
        adjusted = selectors.funnel(final.pk, measure)
        plain = selectors.funnel(final.pk, measure, adjusted=False)
        assert set(plain.classes) == {p.area_code for p in plain.points}
        if not adjusted.parameters.get("overdispersed"):
            assert plain.adjusted and plain.classes == adjusted.classes  # one set of limits
            continue
        assert not plain.adjusted
        wide = np.array(adjusted.curves["funnel_upper_998"]) - adjusted.target
        narrow = np.array(plain.curves["funnel_upper_998"]) - plain.target
        assert (narrow <= wide + 1e-9).all()


def test_a_trend_reads_one_area_across_years_and_quarters(releases):
    _, final, quarters = releases
    trend = selectors.trend("pdu", "PZ041", "25")
    assert [p.release.id for p in trend.years] == [final.pk]
    assert [p.release.id for p in trend.quarters] == [q.pk for q in quarters]
    assert trend.years[0].result.value == 75.0
    assert all(p.result is not None for p in trend.quarters)


def test_the_area_tree_drills_down_from_england_and_wales(releases):
    _, final, _ = releases
    tree = selectors.area_tree(final.pk)
    assert tree.root.code == "EW"
    countries = {c.code: c for c in tree.root.children}
    assert set(countries) == {"E92000001", "W92000004"}
    wales_units = [u.code for lhb in countries["W92000004"].children for u in lhb.children]
    assert wales_units == ["PZ001"]
    english = {u.code for r in countries["E92000001"].children for i in r.children
               for u in i.children}  # fmt: skip
    assert english == {"PZ041", "PZ002", "PZ004", "PZ003"}
    networks = {n.code: [u.code for u in n.children] for n in tree.networks}
    assert "PZ041" in networks["PN06"]


def test_live_results_follow_the_role(large_units):
    period, _ = large_units
    audit_team = user(GroupName.RCPCH_AUDIT_TEAM_VIEW_ONLY)
    rows = selectors.live_area_results(audit_team, period, "icb", "25")
    assert rows and all(r.release_id is None for r in rows)
    unit_staff = user(GroupName.TRUST_AUDIT_TEAM_VIEW_ONLY, units=("PZ041",))
    own = selectors.live_area_results(unit_staff, period, "pdu", "25")
    live = aggregate(period, "25", m.PDUKPIAggregation, paediatric_diabetes_unit_id="PZ041")
    assert [(r.area_code, r.numerator, r.value) for r in own] == [
        ("PZ041", live.passed, pytest.approx(live.value * 100))
    ]
    assert own[0].incomplete == live.incomplete
    with pytest.raises(PermissionDenied):
        selectors.live_area_results(unit_staff, period, "icb", "25")
    with pytest.raises(PermissionDenied):
        selectors.live_area_results(None, period, "pdu", "25")


def test_the_suppression_log_is_for_the_audit_team_only(client, five_units):
    period, _ = five_units
    release = publish_release(period, "final", today=TODAY)
    url = f"/releases/{release.pk}/suppression-log.csv"
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(user(GroupName.TRUST_AUDIT_TEAM_FULL_ACCESS, units=("PZ041",)))
    assert client.get(url).status_code == 403
    client.force_login(user(GroupName.RCPCH_AUDIT_TEAM_VIEW_ONLY))
    response = client.get(url)
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    text = b"".join(response.streaming_content).decode("utf-8")
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("release_id,policy_version,run_at,output_id,period,level")
    assert len(lines) - 1 == release.suppressions.count()
    assert any(",PZ002,25,,,numerator,primary_small_count,,1.0,*" in line for line in lines)
    assert client.get("/releases/99999/suppression-log.csv").status_code == 404
