"""Roll-up to every level: attribution, pooling, consistency, statistics, atomic replacement
and a constant number of SQL statements (the live results)."""

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aggregation import rollup
from aggregation import statistics as st
from aggregation.models import KPIRun
from aggregation.services import compute_kpis
from npda.data_model import models as m
from tests.integration.conftest import add_children
from tests.kpi_cohort import Cohort, E, aggregate, d, hba1c

pytestmark = pytest.mark.django_db

ENGLAND, WALES = "E92000001", "W92000004"


def floats(values) -> tuple[float, ...]:
    return tuple(float(v) for v in values)


def eligible(period, model, **area) -> int:
    return aggregate(period, "1", model, **area).passed


def test_every_level_is_attributed_by_the_unit_and_adds_up(five_units):
    period, _ = five_units
    by_unit = {
        code: eligible(period, m.PDUKPIAggregation, paediatric_diabetes_unit_id=code)
        for code in ("PZ041", "PZ002", "PZ004", "PZ001", "PZ248")
    }
    assert by_unit == {"PZ041": 10, "PZ002": 2, "PZ004": 2, "PZ001": 3, "PZ248": 2}
    england = eligible(period, m.CountryKPIAggregation, country_id=ENGLAND)
    wales = eligible(period, m.CountryKPIAggregation, country_id=WALES)
    national = eligible(period, m.NationalKPIAggregation)
    icbs = m.IntegratedCareBoardKPIAggregation.objects.filter(audit_period=period, measure_id="1")
    lhbs = m.LocalHealthBoardKPIAggregation.objects.filter(audit_period=period, measure_id="1")
    assert (england, wales) == (14, 3)
    assert sum(r.passed for r in icbs) == england
    assert sum(r.passed for r in lhbs) == wales
    assert national == england + wales == 17  # Jersey is in neither country nor national
    assert (
        eligible(period, m.NHSEnglandRegionKPIAggregation, nhs_england_region_id="E40000007") == 12
    )
    assert eligible(period, m.TrustKPIAggregation, trust_id="RGT") == 10
    assert (
        eligible(period, m.LocalHealthBoardKPIAggregation, local_health_board_id="W11000031") == 3
    )
    networks = {
        r.paediatric_diabetes_network_id: r.passed
        for r in m.PaediatricDiabetesNetworkKPIAggregation.objects.filter(
            audit_period=period, measure_id="1"
        )
    }
    assert networks == {"PN06": 12, "PN09": 2, "PN07": 3, "PN01": 2}
    openuk = {
        r.openuk_network_id: r.passed
        for r in m.OpenUKNetworkKPIAggregation.objects.filter(audit_period=period, measure_id="1")
    }
    assert openuk == {"EPEN": 12, "ORENG": 2, "SWEP": 3}  # Jersey not in EPEN
    assert (
        not m.TrustKPIAggregation.objects.filter(trust_id="RGT", audit_period=period)
        .exclude(measure_id__in=[x.number for x in rollup.MEASURES])
        .exists()
    )


def test_every_area_has_a_row_for_every_measure_with_consistent_counts(five_units):
    period, _ = five_units
    for model, _ in rollup.LEVELS.values():
        rows = model.objects.filter(audit_period=period)
        assert rows.count() % 51 == 0 and rows.exists()
        for r in rows:
            assert r.denominator == r.passed + r.failed + r.incomplete
    # Every child in an area has exactly one state per measure.
    national = m.NationalKPIAggregation.objects.filter(audit_period=period)
    assert {r.passed + r.failed + r.incomplete + r.ineligible for r in national} == {17}


def test_proportions_are_pooled_from_children_never_averaged(five_units):
    period, _ = five_units
    region = aggregate(
        period, "25", m.NHSEnglandRegionKPIAggregation, nhs_england_region_id="E40000007"
    )
    assert (region.passed, region.denominator) == (10, 12)
    assert region.value == pytest.approx(10 / 12)  # the average of 90 % and 50 % would be 70 %
    low95, high95 = floats(st.wilson(10, 12, st.Z95))
    low998, high998 = floats(st.wilson(10, 12, st.Z998))
    assert (region.ci95_low, region.ci95_high) == pytest.approx((low95, high95))
    assert (region.ci998_low, region.ci998_high) == pytest.approx((low998, high998))


def test_mean_and_median_hba1c_pool_the_per_child_medians():
    a = Cohort("PZ041")
    b = Cohort("PZ002", period=a.period)
    for value in (50, 60, 70):
        a.child(rows=(hba1c(value),))
    b.child(rows=(hba1c(80),))
    compute_kpis(a.period, calculation_date=E)
    region = aggregate(
        a.period, "44", m.NHSEnglandRegionKPIAggregation, nhs_england_region_id="E40000007"
    )
    assert (region.n_contributors, region.n_population) == (4, 4)
    assert region.value == region.mean == pytest.approx(65.0)  # not (60 + 80) / 2
    assert region.sd == pytest.approx(np.std([50, 60, 70, 80], ddof=1))
    assert (region.ci95_low, region.ci95_high) == pytest.approx(
        floats(st.t_interval(65.0, region.sd, 4, st.ALPHA95))
    )
    median = aggregate(
        a.period, "45", m.NHSEnglandRegionKPIAggregation, nhs_england_region_id="E40000007"
    )
    assert median.value == median.median == pytest.approx(65.0)
    assert median.ci95_low is None
    assert region.details["by_type"]["1"]["n"] == 4


def aggregate_snapshot(period) -> dict:
    fields = ("passed", "failed", "incomplete", "ineligible", "value", "ci95_low", "details")
    snapshot = {}
    for model in m.KPI_AGGREGATION_MODELS:
        area = f"{model.AREA_FIELD}_id" if model.AREA_FIELD else "measure_id"
        for r in model.objects.filter(audit_period=period).values(area, "measure_id", *fields):
            snapshot[model.__name__, r[area], r["measure_id"]] = tuple(r[f] for f in fields)
    return snapshot


def test_a_unit_recompute_equals_a_full_recompute(five_units):
    period, units = five_units
    units["PZ041"].child(rows=(hba1c(90),))  # new data in one unit
    for child in list(units["PZ001"].submission.patients.all())[:1]:
        units["PZ001"].submission.patients.remove(child)
    compute_kpis(period, ["PZ041", "PZ001"], E)
    incremental = aggregate_snapshot(period)
    compute_kpis(period, calculation_date=E)
    assert aggregate_snapshot(period) == incremental
    assert eligible(period, m.NationalKPIAggregation) == 17


def test_a_unit_recompute_rewrites_only_the_areas_holding_it(five_units):
    period, _ = five_units

    def row_ids(model, area) -> dict[str, int]:
        rows = model.objects.filter(audit_period=period, measure_id="1")
        return {getattr(r, f"{area}_id"): r.pk for r in rows}

    units_before = row_ids(m.PDUKPIAggregation, "paediatric_diabetes_unit")
    regions_before = row_ids(m.NHSEnglandRegionKPIAggregation, "nhs_england_region")
    national_before = aggregate(period, "1", m.NationalKPIAggregation).pk
    compute_kpis(period, ["PZ041"], E)
    units_after = row_ids(m.PDUKPIAggregation, "paediatric_diabetes_unit")
    regions_after = row_ids(m.NHSEnglandRegionKPIAggregation, "nhs_england_region")
    assert units_after["PZ041"] != units_before["PZ041"]
    assert {k: v for k, v in units_after.items() if k != "PZ041"} == {
        k: v for k, v in units_before.items() if k != "PZ041"
    }
    assert regions_after["E40000011"] == regions_before["E40000011"]  # Midlands: not PZ041's
    assert regions_after["E40000007"] != regions_before["E40000007"]
    assert aggregate(period, "1", m.NationalKPIAggregation).pk != national_before


def test_a_unit_whose_children_are_all_gone_loses_its_rows(five_units):
    period, units = five_units
    units["PZ004"].submission.patients.clear()
    compute_kpis(period, ["PZ004"], E)
    assert not m.PDUKPIAggregation.objects.filter(
        audit_period=period, paediatric_diabetes_unit_id="PZ004"
    ).exists()
    assert not m.NHSEnglandRegionKPIAggregation.objects.filter(
        audit_period=period, nhs_england_region_id="E40000011"
    ).exists()
    assert eligible(period, m.NationalKPIAggregation) == 15


def test_admissions_are_counted_as_events_with_a_count_interval():
    cohort = Cohort()
    for n in range(3):
        cohort.child(
            rows=(
                *(
                    {
                        "visit_date": f"2024-0{5 + k}-01",
                        "hospital_admission_date": f"2024-0{5 + k}-01",
                        "hospital_admission_reason": 2 if k == 0 else 4,
                    }
                    for k in range(n)
                ),
                {"visit_date": "2024-06-15"},
            )
        )
    compute_kpis(cohort.period, calculation_date=E)
    admissions = aggregate(
        cohort.period, "46", m.PDUKPIAggregation, paediatric_diabetes_unit=cohort.unit
    )
    assert (admissions.events, admissions.value, admissions.passed) == (3, 3, 2)
    assert (admissions.ci95_low, admissions.ci95_high) == pytest.approx(
        floats(st.poisson_count_interval(3, st.Z95, st.ALPHA95))
    )
    assert admissions.details["per_100_children"] == pytest.approx(100.0)
    dka = aggregate(cohort.period, "47", m.PDUKPIAggregation, paediatric_diabetes_unit=cohort.unit)
    assert (dka.events, dka.passed) == (2, 2)


def test_a_failed_run_leaves_the_last_good_results(five_units, monkeypatch):
    period, units = five_units
    before = {
        "kpi": sorted(m.KPI.objects.filter(audit_period=period).values_list("pk", "computed_at")),
        "unit": list(m.PDUKPIAggregation.objects.filter(audit_period=period).values_list("pk")),
    }
    units["PZ041"].child(rows=(hba1c(60),))

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(rollup, "aggregate", broken)
    with pytest.raises(RuntimeError):
        compute_kpis(period, calculation_date=E)
    after = {
        "kpi": sorted(m.KPI.objects.filter(audit_period=period).values_list("pk", "computed_at")),
        "unit": list(m.PDUKPIAggregation.objects.filter(audit_period=period).values_list("pk")),
    }
    assert after == before
    run = KPIRun.objects.latest()
    assert run.status == KPIRun.Status.FAILED and "went away" in run.error
    assert run.finished_at is not None


def count_statements(action) -> int:
    with CaptureQueriesContext(connection) as queries:
        action()
    return len(queries)


def test_the_number_of_statements_does_not_grow_with_children_or_units():
    small = Cohort("PZ041", year=2023)
    small.child(rows=(hba1c(60, date="2023-06-01"),))
    large = Cohort("PZ041", year=2024)
    for code in ("PZ002", "PZ004", "PZ001"):
        other = Cohort(code, period=large.period)
        add_children(other, 3, 2)
    add_children(large, 6, 4)
    small_full = count_statements(
        lambda: compute_kpis(small.period, calculation_date=d("2024-03-31"))
    )
    large_full = count_statements(lambda: compute_kpis(large.period, calculation_date=E))
    assert small_full == large_full
    small_unit = count_statements(lambda: compute_kpis(small.period, ["PZ041"], d("2024-03-31")))
    large_units = count_statements(
        lambda: compute_kpis(large.period, ["PZ041", "PZ002", "PZ001"], E)
    )
    assert small_unit == large_units
    assert large_full <= 45  # a short fixed list (about 40)
