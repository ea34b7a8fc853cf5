"""The 2026 dataset's KPI rules (kpis.md §7) and their readings (§7.1), scored in PostGIS; and
a database holding both datasets, each period scored by its own rules."""

import datetime as dt

import pytest

from aggregation.services import compute_kpis
from npda.data_model import models as m
from tests.kpi_cohort import Cohort, aggregate, states

pytestmark = pytest.mark.django_db
S26, E26 = dt.date(2026, 4, 1), dt.date(2027, 3, 31)
DURING = dt.date(2026, 12, 1)
TREATMENT_KPIS = [str(n) for n in range(13, 21)]


@pytest.fixture
def cohort():
    return Cohort(year=2026)


def regimen_row(day, insulin=None, medication=None, diet=None, **extra):
    row = {"visit_date": day, **extra}
    for name, value in (
        ("insulin_regimen", insulin),
        ("non_insulin_medication", medication),
        ("dietary_lifestyle_modification", diet),
    ):
        if value is not None:
            row[name] = value
    return row


@pytest.mark.parametrize(
    ("insulin", "medication", "diet", "kpi"),
    [
        (2, 1, None, "13"),
        (3, 1, None, "14"),
        (4, 1, None, "15"),
        (5, 1, None, "15"),  # hybrid closed loop is a pump
        (2, 3, None, "16"),
        (3, 4, None, "17"),
        (5, 2, None, "18"),
        (1, 1, 1, "19"),
        (1, 5, None, "20"),
    ],
)
def test_13_to_20_partition_the_regimens(cohort, insulin, medication, diet, kpi):
    child = cohort.child(rows=(regimen_row("2026-06-01", insulin, medication, diet),))
    compute_kpis(cohort.period, calculation_date=E26)
    result = states(child, cohort.period, *TREATMENT_KPIS)
    assert result.pop(kpi) == "passed"
    assert set(result.values()) == {"failed"}


@pytest.mark.parametrize(
    ("insulin", "medication", "diet"),
    [(1, 1, 2), (1, 1, None), (2, 99, None), (99, 1, None), (3, None, None)],
)
def test_a_regimen_matching_no_kpi_fails_them_all(cohort, insulin, medication, diet):
    """No insulin and no medicine without dietary advice, an unknown medicine or regimen, or
    a blank medication on r: r exists, so the child is failed (not incomplete)."""
    child = cohort.child(rows=(regimen_row("2026-06-01", insulin, medication, diet),))
    compute_kpis(cohort.period, calculation_date=DURING)
    assert set(states(child, cohort.period, *TREATMENT_KPIS).values()) == {"failed"}


def test_same_row_a_later_medication_only_row_does_not_move_r(cohort):
    child = cohort.child(
        rows=(
            regimen_row("2026-05-01", 3, 1),
            regimen_row("2026-09-01", medication=2),  # no regimen: r stays on 1 May
        )
    )
    compute_kpis(cohort.period, calculation_date=E26)
    assert states(child, cohort.period, "14", "17") == {"14": "passed", "17": "failed"}


def test_same_row_the_medication_is_read_from_r_even_when_blank(cohort):
    child = cohort.child(
        rows=(regimen_row("2026-05-01", 3, 2), regimen_row("2026-09-01", 3))  # r: no medication
    )
    compute_kpis(cohort.period, calculation_date=E26)
    assert set(states(child, cohort.period, *TREATMENT_KPIS).values()) == {"failed"}


def test_no_regimen_yet_is_incomplete_during_the_period_and_failed_after(cohort):
    child = cohort.child(rows=({"visit_date": "2026-06-01", "cgm_use": 1},))
    compute_kpis(cohort.period, calculation_date=DURING)
    assert set(states(child, cohort.period, *TREATMENT_KPIS, "24").values()) == {"incomplete"}
    compute_kpis(cohort.period, calculation_date=E26)
    assert set(states(child, cohort.period, *TREATMENT_KPIS, "24").values()) == {"failed"}


def test_24_hybrid_closed_loop_is_the_most_recent_regimen_5(cohort):
    on_loop = cohort.child(rows=(regimen_row("2026-05-01", 4, 1), regimen_row("2026-08-01", 5, 1)))
    came_off = cohort.child(rows=(regimen_row("2026-05-01", 5, 1), regimen_row("2026-08-01", 4)))
    type_2 = cohort.child(diabetes_type=2, rows=(regimen_row("2026-05-01", 5, 1),))
    compute_kpis(cohort.period, calculation_date=E26)
    assert states(on_loop, cohort.period, "24")["24"] == "passed"
    assert states(came_off, cohort.period, "24")["24"] == "failed"
    assert states(type_2, cohort.period, "24")["24"] == "ineligible"  # P3


def test_22_and_23_count_any_cgm(cohort):
    using = cohort.child(rows=({"visit_date": "2026-05-01", "cgm_use": 1},))
    stopped = cohort.child(
        rows=(
            {"visit_date": "2026-05-01", "cgm_use": 1},
            {"visit_date": "2026-07-01", "cgm_use": 2},
        )
    )
    type_2 = cohort.child(diabetes_type=2, rows=({"visit_date": "2026-05-01", "cgm_use": 1},))
    compute_kpis(cohort.period, calculation_date=E26)
    assert states(using, cohort.period, "22", "23") == {"22": "passed", "23": "passed"}
    assert states(stopped, cohort.period, "22", "23") == {"22": "failed", "23": "failed"}
    assert states(type_2, cohort.period, "22", "23") == {"22": "passed", "23": "ineligible"}


def test_21_is_not_available_with_null_counts_at_every_level(cohort):
    child = cohort.child(rows=({"visit_date": "2026-05-01", "glucose_monitoring": 2},))
    compute_kpis(cohort.period, calculation_date=E26)
    assert states(child, cohort.period, "21")["21"] == "not available"
    unit = aggregate(cohort.period, "21", paediatric_diabetes_unit=cohort.unit)
    national = aggregate(cohort.period, "21", m.NationalKPIAggregation)
    for row in (unit, national):
        assert (row.passed, row.failed, row.incomplete, row.ineligible) == (None,) * 4
        assert (row.denominator, row.value, row.ci95_low) == (None, None, None)
    assert aggregate(cohort.period, "1", paediatric_diabetes_unit=cohort.unit).passed == 1


def twelve_plus_seen(cohort, *rows):
    """A P6 child: type 1, 12 and over, diagnosed before S, seen with an HbA1c in P."""
    seen = {"visit_date": "2026-05-01", "hba1c": 58, "hba1c_date": "2026-05-01"}
    return cohort.child(date_of_birth="2010-01-01", rows=(seen, *rows))


def test_35_a_visit_with_a_2026_smoking_status(cohort):
    children = {
        status: twelve_plus_seen(
            cohort, {"visit_date": "2026-06-01", "smoking_vaping_status": status}
        )
        for status in (1, 2, 3, 4, 99)
    }
    compute_kpis(cohort.period, calculation_date=E26)
    result = {s: states(c, cohort.period, "35")["35"] for s, c in children.items()}
    assert result == {1: "passed", 2: "passed", 3: "passed", 4: "passed", 99: "failed"}


def test_36_companion_is_the_children_who_smoke(cohort):
    advice = {"smoking_cessation_referral_date": "2026-06-01"}
    twelve_plus_seen(cohort, {"visit_date": "2026-06-01", "smoking_vaping_status": 2, **advice})
    twelve_plus_seen(cohort, {"visit_date": "2026-06-01", "smoking_vaping_status": 4})
    twelve_plus_seen(cohort, {"visit_date": "2026-06-01", "smoking_vaping_status": 3})
    compute_kpis(cohort.period, calculation_date=E26)
    row = aggregate(cohort.period, "36", paediatric_diabetes_unit=cohort.unit)
    assert (row.passed, row.denominator) == (1, 3)
    assert row.details["current_smokers"] == 2
    assert row.details["current_smokers_passed"] == 1


def test_46_and_47_use_the_2026_admission_reasons(cohort):
    def admission(start, reason):
        return {
            "visit_date": start,
            "hospital_admission_date": start,
            "hospital_admission_reason_2026": reason,
        }

    cohort.child(
        rows=(admission("2026-05-01", 1), admission("2026-07-01", 2), admission("2026-09-01", 6))
    )
    compute_kpis(cohort.period, calculation_date=E26)
    unit = {"paediatric_diabetes_unit": cohort.unit}
    assert aggregate(cohort.period, "46", **unit).events == 3
    assert aggregate(cohort.period, "47", **unit).events == 1  # reason 1, acute DKA


def test_44_takes_2026_values_as_mmol_per_mol(cohort):
    def result(day, value):
        return {"visit_date": day, "hba1c": value, "hba1c_date": day}

    child = cohort.child(
        rows=(result("2026-05-01", 60), result("2026-08-01", 64), result("2026-11-01", 7.5))
    )
    compute_kpis(cohort.period, calculation_date=E26)
    assert child.kpis.get(audit_period=cohort.period).hba1c_median == 62.0  # 7.5 is not used


# A database with both datasets ---------------------------------------------------------------


def test_a_mixed_years_database_scores_each_period_by_its_own_rules():
    """One child in 2025-26 (2021 template) and 2026-27 (2026 template): each period reads only
    its own dataset's fields, and neither run touches the other period's results."""
    old, new = Cohort(year=2025), Cohort(year=2026)
    a = old.child(
        rows=(
            {"visit_date": "2025-06-01", "treatment": 3, "closed_loop_system": 2},
            {"visit_date": "2025-06-02", "glucose_monitoring": 2},
            {"visit_date": "2025-06-03", "hospital_admission_date": "2025-06-03",
             "hospital_admission_reason": 2, "dka_additional_therapies": 1},
        )
    )  # fmt: skip
    b = new.child(
        nhs_number=a.nhs_number,
        rows=(
            regimen_row("2026-06-01", 5, 1, cgm_use=1),
            {"visit_date": "2026-06-03", "hospital_admission_date": "2026-06-03",
             "hospital_admission_reason_2026": 2},  # acute illness, not DKA, in 2026
        ),
    )  # fmt: skip
    compute_kpis(old.period, calculation_date=dt.date(2026, 3, 31))
    compute_kpis(new.period, calculation_date=E26)
    assert states(a, old.period, "15", "21", "22", "24") == {
        "15": "passed",
        "21": "passed",  # flash, collected in 2025-26
        "22": "failed",
        "24": "passed",
    }
    assert states(b, new.period, "15", "21", "22", "24") == {
        "15": "passed",
        "21": "not available",
        "22": "passed",
        "24": "passed",
    }
    old_21 = aggregate(old.period, "21", paediatric_diabetes_unit=old.unit)
    assert (old_21.passed, old_21.denominator) == (1, 1)
    new_21 = aggregate(new.period, "21", paediatric_diabetes_unit=new.unit)
    assert new_21.passed is None
    unit_old = {"paediatric_diabetes_unit": old.unit}
    unit_new = {"paediatric_diabetes_unit": new.unit}
    assert aggregate(old.period, "47", **unit_old).events == 1  # 2021 reason 2 is DKA
    assert aggregate(new.period, "47", **unit_new).events == 0  # 2026 reason 2 is not
    assert aggregate(new.period, "46", **unit_new).events == 1


# Descriptive figures (kpis.md §7, §7.1) --------------------------------------------------------


def dka_spell(start, *rows, reason=1):
    """An admission's rows (the first with the reason and therapies): visit dates in order."""
    first = {
        "visit_date": start,
        "hospital_admission_date": start,
        "hospital_admission_reason_2026": reason,
        **({"dka_additional_therapies": 1} if reason == 1 else {}),
    }
    return (first | rows[0], *({"hospital_admission_date": start,
                                "hospital_admission_reason_2026": reason, **r}
                               for r in rows[1:]))  # fmt: skip


def test_descriptive_values_per_child(cohort):
    child = cohort.child(
        adhd_asd_status=3,
        learning_disability_status=1,
        rows=(
            {"visit_date": "2026-03-01", "immunotherapy_received": 1,
             "immunotherapy_date": "2025-01-10"},  # before S: still counts (all rows)
            {"visit_date": "2026-05-01", "psychological_support_outcome": 2},
            {"visit_date": "2026-09-01", "psychological_support_outcome": 5},
            *dka_spell("2026-06-01", {"visit_date": "2026-06-01"},
                       {"visit_date": "2026-06-01", "blood_gas_ph": 7.1},
                       {"visit_date": "2026-06-02", "blood_gas_ph": 7.3,
                        "blood_gas_bicarbonate": 14}),
            *dka_spell("2026-10-01", {"visit_date": "2026-10-01", "blood_gas_ph": 6.95,
                                      "blood_gas_bicarbonate": 5}),
            *dka_spell("2026-11-01", {"visit_date": "2026-11-01", "blood_gas_ph": 7.35},
                       reason=2),  # not DKA in 2026
            *dka_spell("2026-03-20", {"visit_date": "2026-03-20", "blood_gas_ph": 7.0}),
        ),  # the last spell starts and ends before S: not a qualifying admission
    )  # fmt: skip
    compute_kpis(cohort.period, calculation_date=E26)
    kpi = child.kpis.get(audit_period=cohort.period)
    assert (kpi.adhd_asd_status, kpi.learning_disability_status) == (3, 1)
    assert (kpi.immunotherapy_received, kpi.immunotherapy_date) == (1, dt.date(2025, 1, 10))
    assert kpi.psychological_support_outcome == 5  # the most recent in P
    assert sorted(kpi.dka_first_ph) == [6.95, 7.1]  # the first of each spell, in row order
    assert sorted(kpi.dka_first_bicarbonate) == [5.0, 14.0]


def test_descriptive_figures_are_stored_per_area_with_the_run(cohort):
    for adhd, ph in ((1, 7.0), (1, 7.1), (4, 7.2), (None, 7.3), (99, None)):
        rows = dka_spell("2026-06-01", {"visit_date": "2026-06-01", "blood_gas_ph": ph}
                         if ph else {"visit_date": "2026-06-01"})  # fmt: skip
        cohort.child(adhd_asd_status=adhd, rows=rows)
    compute_kpis(cohort.period, calculation_date=E26)
    for area in ({"paediatric_diabetes_unit": cohort.unit}, {}):
        model = m.PDUKPIAggregation if area else m.NationalKPIAggregation
        details = aggregate(cohort.period, "1", model, **area).details["descriptive"]
        assert details["adhd_asd"] == {"1": 2, "2": 0, "3": 0, "4": 1, "99": 1,
                                       "not_recorded": 1}  # fmt: skip
        first_ph = aggregate(cohort.period, "47", model, **area).details["first_ph"]
        assert first_ph == {"n": 4, "children": 4, "q1": 7.075, "median": 7.15, "q3": 7.225}


def test_a_2026_release_publishes_the_descriptive_figures_with_disclosure_control(cohort):
    """30 children: 10 with ADHD, 17 with neither, 3 not known. The release passes its
    disclosure checks (or publish_release would raise): the unit's 3 is suppressed, and one
    more of its categories with it; national figures are exact where nothing can be
    recovered by subtraction."""
    from aggregation.models import ReleaseAggregate
    from aggregation.releases import publish_release

    for i in range(30):
        rows = dka_spell(
            "2026-06-01",
            {"visit_date": "2026-06-01", "blood_gas_ph": 7.0 + i / 100, "blood_gas_bicarbonate": 8},
        )
        cohort.child(adhd_asd_status=1 if i < 10 else 4 if i < 27 else 99, rows=rows)
    release = publish_release(cohort.period, "provisional", as_at=dt.date(2026, 9, 30))
    published = ReleaseAggregate.objects.filter(release=release)

    def by_category(**where):
        return {r.category: r for r in published.filter(**where)}

    unit = by_category(level="pdu", area_code=cohort.unit.pk, breakdown="adhd_asd")
    assert unit["99"].suppression_reason == "primary_small_count"
    assert unit["1"].suppression_reason == "secondary"  # the smallest other part
    assert (unit["4"].numerator, unit["2"].numerator) == (15, 0)  # rounded to 5
    national = by_category(level="national", measure_id="1", breakdown="adhd_asd")
    assert national["4"].numerator == 17  # exact nationally
    assert national["99"].numerator_suppressed  # England's 3 would be national less Wales's 0
    gas = by_category(level="national", measure_id="47", breakdown="first_blood_gas")
    assert gas["ph_median"].value == pytest.approx(7.145, abs=0.006)  # 7.145 to 2 dp
    assert gas["ph_median"].numerator == 30
    assert gas["ph_q1"].value == pytest.approx(7.07)  # 2 dp (7.0725)
    assert gas["bicarbonate_q3"].value == 8.0
    unit_gas = by_category(level="pdu", area_code=cohort.unit.pk, breakdown="first_blood_gas")
    assert unit_gas["ph_median"].numerator == 30 and unit_gas["ph_median"].value is not None


def test_audit_progress_expects_the_fields_of_the_periods_template(cohort):
    child = cohort.child(
        rows=(regimen_row("2026-06-01", 3, 1, cgm_use=1, hba1c=58, hba1c_date="2026-06-01"),)
    )
    compute_kpis(cohort.period, calculation_date=E26)
    progress = m.AuditProgress.objects.get(patient=child, audit_period=cohort.period)
    treatment = progress.sections["treatment"]
    assert treatment == {"completed": 2, "expected": 3}  # regimen, medication; diet missing
    assert progress.sections["glucose_monitoring"] == {"completed": 1, "expected": 1}
    assert progress.sections["hba1c"] == {"completed": 2, "expected": 2}  # no format in 2026


def test_blood_gas_quartiles_are_withheld_below_8_children_however_many_admissions(cohort):
    from aggregation.models import ReleaseAggregate
    from aggregation.releases import publish_release

    for _ in range(3):  # 3 children, 3 DKA admissions each: 9 admissions
        spells = [
            row
            for day in ("2026-05-01", "2026-06-01", "2026-07-01")
            for row in dka_spell(day, {"visit_date": day, "blood_gas_ph": 7.1})
        ]
        cohort.child(rows=tuple(spells))
    compute_kpis(cohort.period, calculation_date=E26)
    live = aggregate(cohort.period, "47", paediatric_diabetes_unit=cohort.unit).details
    assert (live["first_ph"]["n"], live["first_ph"]["children"]) == (9, 3)
    release = publish_release(cohort.period, "provisional", as_at=dt.date(2026, 9, 30))
    unit_median = ReleaseAggregate.objects.get(
        release=release, level="pdu", area_code=cohort.unit.pk, category="ph_median"
    )
    assert unit_median.value is None and unit_median.numerator_suppressed
