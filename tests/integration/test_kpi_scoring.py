"""Per-child scoring: hand-built edge cases for the populations and every family of measures."""

import pytest

from aggregation.services import compute_kpis
from npda.data_model import models as m
from tests.kpi_cohort import CLINIC, Cohort, E, S, d, hba1c, states

pytestmark = pytest.mark.django_db

ERROR = [{"code": "E", "message": "invalid"}]


def score(cohort: Cohort, c: str | None = None) -> None:
    compute_kpis(cohort.period, calculation_date=d(c) if c else E)


def state(cohort: Cohort, patient, number: str) -> str:
    return states(patient, cohort.period, number)[number]


# Populations (kpis.md §2) --------------------------------------------------------------------


def test_p1_needs_a_valid_nhs_number_dob_under_25_and_a_visit_in_p():
    cohort = Cohort()
    children = {
        "valid": cohort.child(rows=(CLINIC,)),
        "bad check digit": cohort.child(nhs_number="9990000019", rows=(CLINIC,)),
        "errored number": cohort.child(errors={"nhs_number": ERROR}, rows=(CLINIC,)),
        "urn outside Jersey": cohort.child(
            nhs_number=None, unique_reference_number="JSY1", rows=(CLINIC,)
        ),
        "errored dob": cohort.child(errors={"date_of_birth": ERROR}, rows=(CLINIC,)),
        "25 at S": cohort.child(date_of_birth="1999-04-01", rows=(CLINIC,)),
        "24 at S": cohort.child(date_of_birth="1999-04-02", rows=(CLINIC,)),
        "no visit in P": cohort.child(rows=({"visit_date": "2024-03-31"},)),
        "errored visit date": cohort.child(
            rows=({"visit_date": "2024-06-01", "errors": {"visit_date": ERROR}},)
        ),
        "no rows": cohort.child(),
    }
    score(cohort)
    eligible = {name for name, p in children.items() if state(cohort, p, "1") == "passed"}
    assert eligible == {"valid", "24 at S"}
    # Every child in U has a KPI row and an audit progress row, eligible or not.
    assert m.KPI.objects.filter(audit_period=cohort.period).count() == len(children)
    assert m.AuditProgress.objects.filter(audit_period=cohort.period).count() == len(children)


def test_jersey_children_are_identified_by_their_unique_reference_number():
    jersey = Cohort("PZ248")
    with_urn = jersey.child(nhs_number=None, unique_reference_number="JSY-1", rows=(CLINIC,))
    errored = jersey.child(
        nhs_number=None,
        unique_reference_number="JSY-2",
        errors={"unique_reference_number": ERROR},
        rows=(CLINIC,),
    )
    score(jersey)
    assert state(jersey, with_urn, "1") == "passed"
    assert state(jersey, errored, "1") == "ineligible"


def test_age_exactly_12_at_s_counts_as_12_and_over():
    cohort = Cohort()
    twelve = cohort.child(date_of_birth="2012-04-01", rows=(CLINIC,))
    eleven = cohort.child(date_of_birth="2012-04-02", rows=(CLINIC,))
    score(cohort)
    assert states(twelve, cohort.period, "4", "5", "32.2", "32.3") == {
        "4": "passed",
        "5": "passed",
        "32.2": "ineligible",
        "32.3": "failed",
    }
    assert states(eleven, cohort.period, "4", "32.2", "32.3") == {
        "4": "ineligible",
        "32.2": "failed",
        "32.3": "ineligible",
    }
    assert twelve.kpis.get().health_checks_expected == 6
    assert eleven.kpis.get().health_checks_expected == 3


def test_diagnosis_on_s_is_new_and_the_day_before_is_a_complete_year():
    cohort = Cohort()
    on_s = cohort.child(diagnosis_date="2024-04-01", rows=(CLINIC,))
    day_before = cohort.child(diagnosis_date="2024-03-31", rows=(CLINIC,))
    no_dx = cohort.child(diagnosis_date=None, rows=(CLINIC,))
    score(cohort)
    assert states(on_s, cohort.period, "2", "5", "7") == {
        "2": "passed",
        "5": "ineligible",
        "7": "passed",
    }
    assert states(day_before, cohort.period, "2", "5", "7") == {
        "2": "ineligible",
        "5": "passed",
        "7": "ineligible",
    }
    assert states(no_dx, cohort.period, "1", "5") == {"1": "passed", "5": "ineligible"}


def test_transfer_out_in_p_leaves_the_complete_year_but_not_p1():
    cohort = Cohort()
    left = cohort.child(leaving="2024-11-30", reason=1, rows=(CLINIC,))
    left_before_s = cohort.child(leaving="2024-03-01", reason=2, rows=(CLINIC,))
    leaves_after_c = cohort.child(leaving="2025-02-01", reason=1, rows=(CLINIC,))
    score(cohort, "2024-12-31")
    assert states(left, cohort.period, "1", "5", "9") == {
        "1": "passed",
        "5": "ineligible",
        "9": "passed",
    }
    assert states(left_before_s, cohort.period, "5", "9") == {"5": "passed", "9": "ineligible"}
    # A leaving date after C has not happened yet: blank.
    assert states(leaves_after_c, cohort.period, "5", "9") == {"5": "passed", "9": "ineligible"}
    kpi = left.kpis.get()
    assert (kpi.leaving_quarter, kpi.leaving_reason) == (3, 1)


def test_transfer_in_mid_year_is_a_new_episode_scored_by_its_own_unit():
    first, second = Cohort("PZ041"), Cohort("PZ001", period=None)
    arrived = second.child(nhs_number="9990000018", rows=({"visit_date": "2024-10-01"},))
    departed = first.child(nhs_number="9990000018", leaving="2024-09-30", reason=2, rows=(CLINIC,))
    score(first)
    assert state(first, departed, "9") == "passed"
    assert state(second, arrived, "5") == "passed"
    assert arrived.kpis.get().paediatric_diabetes_unit_id == "PZ001"


def test_death_in_p_counts_in_8_and_leaves_the_complete_year():
    cohort = Cohort()
    died = cohort.child(death_date="2025-01-15", rows=(CLINIC,))
    score(cohort)
    assert states(died, cohort.period, "1", "5", "8") == {
        "1": "passed",
        "5": "ineligible",
        "8": "passed",
    }


def test_new_diagnosis_cut_offs_of_41_to_43():
    cohort = Cohort()
    last_day_for_41 = cohort.child(diagnosis_date="2024-12-31", rows=(CLINIC,))
    first_day_after = cohort.child(diagnosis_date="2025-01-01", rows=(CLINIC,))
    last_day_for_43 = cohort.child(diagnosis_date="2025-03-17", rows=(CLINIC,))
    score(cohort)
    assert states(last_day_for_41, cohort.period, "41", "43")["41"] == "failed"
    assert states(first_day_after, cohort.period, "41", "43") == {
        "41": "ineligible",
        "43": "failed",
    }
    assert state(cohort, last_day_for_43, "43") == "failed"


# Key care processes and HbA1c ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "counts"),
    [
        (hba1c(20), True),
        (hba1c(195), True),
        (hba1c(19.9), False),
        (hba1c(195.1), False),
        (hba1c(3, unit=2), True),
        (hba1c(20, unit=2), True),
        (hba1c(2.9, unit=2), False),
        (hba1c(20.1, unit=2), False),
        (hba1c(60, unit=None), False),
        (hba1c(60, errors={"hba1c": ERROR}), False),
        (hba1c(60, errors={"hba1c_format": ERROR}), False),
        (hba1c(60, errors={"hba1c_date": ERROR}), False),
        ({**hba1c(60), "hba1c_date": "2024-03-31"}, False),
    ],
)
def test_an_hba1c_counts_only_when_valid_in_range_and_dated_in_p(row, counts):
    cohort = Cohort()
    child = cohort.child(rows=(row,))
    score(cohort)
    assert state(cohort, child, "25") == ("passed" if counts else "failed")
    assert (child.kpis.get().hba1c_median is not None) == counts


def test_percent_hba1c_is_converted_with_the_full_intercept():
    cohort = Cohort()
    child = cohort.child(rows=(hba1c(7.5, unit=2),))
    score(cohort)
    assert child.kpis.get().hba1c_median == pytest.approx((7.5 - 2.152) / 0.09148, abs=1e-9)


def test_hba1c_median_excludes_results_up_to_90_days_after_diagnosis():
    cohort = Cohort()
    child = cohort.child(
        diagnosis_date="2024-05-01",
        rows=(hba1c(100, date="2024-07-30"), hba1c(60, date="2024-07-31")),  # dx+90, dx+91
    )
    score(cohort)
    assert child.kpis.get().hba1c_median == 60
    assert state(cohort, child, "44") == "passed"


def test_33_counts_distinct_dates_not_rows():
    cohort = Cohort()
    same_date = cohort.child(rows=tuple(hba1c(60) for _ in range(4)))
    four_dates = cohort.child(
        rows=tuple(hba1c(60, date=f"2024-0{month}-01") for month in (5, 6, 7, 8))
    )
    score(cohort)
    assert state(cohort, same_date, "33") == "failed"
    assert state(cohort, four_dates, "33") == "passed"


def test_26_needs_height_and_weight_with_the_same_observation_date():
    cohort = Cohort()
    same = cohort.child(
        rows=(
            {**CLINIC, "height": 150, "height_weight_observation_date": "2024-06-01"},
            {**CLINIC, "weight": 40, "height_weight_observation_date": "2024-06-01"},
        )
    )
    different = cohort.child(
        rows=(
            {**CLINIC, "height": 150, "height_weight_observation_date": "2024-06-01"},
            {**CLINIC, "weight": 40, "height_weight_observation_date": "2024-06-02"},
        )
    )
    errored_weight = cohort.child(
        rows=(
            {
                **CLINIC,
                "height": 150,
                "weight": 40,
                "height_weight_observation_date": "2024-06-01",
                "errors": {"weight": ERROR},
            },
        )
    )
    score(cohort)
    assert state(cohort, same, "26") == "passed"
    assert state(cohort, different, "26") == "failed"
    assert state(cohort, errored_weight, "26") == "failed"


def test_12_plus_care_processes_need_p6_and_retinal_result_1_or_2():
    cohort = Cohort()
    child = cohort.child(
        date_of_birth="2010-01-01",
        rows=(
            {
                **hba1c(60),
                "retinal_screening_result": 99,
                "retinal_screening_observation_date": "2024-06-01",
                "systolic_blood_pressure": 110,
                "blood_pressure_observation_date": "2024-06-01",
                "foot_examination_observation_date": "2024-06-01",
            },
        ),
    )
    not_seen = cohort.child(date_of_birth="2010-01-01", rows=(CLINIC,))
    score(cohort)
    assert states(child, cohort.period, "6", "28", "29", "30", "31") == {
        "6": "passed",
        "28": "passed",
        "29": "failed",
        "30": "failed",
        "31": "passed",
    }
    # Not in P6 (no observation in P) but in P5>=12: every check expected and not done.
    assert states(not_seen, cohort.period, "28", "32.3") == {"28": "ineligible", "32.3": "failed"}
    assert (not_seen.kpis.get().health_checks_done, not_seen.kpis.get().health_checks_expected) == (
        0,
        6,
    )


def test_visit_in_p_measures_ignore_rows_whose_visit_is_outside_p():
    cohort = Cohort()
    before = cohort.child(
        date_of_birth="2010-01-01",
        rows=(
            hba1c(60),
            {
                "visit_date": "2024-03-30",
                "smoking_status": 1,
                "dietician_additional_appointment_offered": 1,
                "psychological_additional_support_status": 1,
            },
        ),
    )
    inside = cohort.child(
        date_of_birth="2010-01-01",
        rows=(
            {
                **hba1c(60),
                "smoking_status": 1,
                "dietician_additional_appointment_offered": 1,
                "psychological_additional_support_status": 1,
            },
        ),
    )
    score(cohort)
    assert states(before, cohort.period, "35", "37", "48") == dict.fromkeys(
        ("35", "37", "48"), "failed"
    )
    assert states(inside, cohort.period, "35", "37", "48") == dict.fromkeys(
        ("35", "37", "48"), "passed"
    )


@pytest.mark.parametrize(
    ("number", "fields"),
    [
        ("27", {"thyroid_function_date": "2024-06-01"}),
        ("34", {"psychological_screening_assessment_date": "2024-06-01"}),
        ("38", {"dietician_additional_appointment_date": "2024-06-01"}),
        ("39", {"flu_immunisation_recommended_date": "2024-06-01"}),
        ("40", {"sick_day_rules_training_date": "2024-06-01"}),
    ],
)
def test_an_event_date_in_p_passes_unless_errored(number, fields):
    cohort = Cohort()
    passes = cohort.child(rows=({**CLINIC, **fields},))
    errored = cohort.child(rows=({**CLINIC, **fields, "errors": dict.fromkeys(fields, ERROR)},))
    score(cohort)
    assert state(cohort, passes, number) == "passed"
    assert state(cohort, errored, number) == "failed"


def test_40_uses_every_eligible_child_as_denominator():
    cohort = Cohort()
    type_2 = cohort.child(diabetes_type=2, rows=(CLINIC,))
    score(cohort)
    assert states(type_2, cohort.period, "25", "40") == {"25": "ineligible", "40": "failed"}


def test_36_smokers_companion_reads_the_most_recent_status():
    cohort = Cohort()
    smoker = cohort.child(
        date_of_birth="2008-01-01",
        rows=(
            {**hba1c(60), "smoking_status": 2},
            {"visit_date": "2024-09-01", "smoking_status": 2},
        ),
    )
    quit_ = cohort.child(
        date_of_birth="2008-01-01",
        rows=(
            {**hba1c(60), "smoking_status": 2},
            {"visit_date": "2024-09-01", "smoking_status": 1},
        ),
    )
    score(cohort)
    assert smoker.kpis.get().current_smoker and not quit_.kpis.get().current_smoker


# Most recent values (§1.4) ---------------------------------------------------------------------


def test_most_recent_breaks_same_day_ties_by_source_row():
    cohort = Cohort()
    child = cohort.child(
        rows=(
            {"visit_date": "2024-06-01", "glucose_monitoring": 4},
            {"visit_date": "2024-06-01", "glucose_monitoring": 2},  # later row in the file wins
            {"visit_date": "2024-05-01", "glucose_monitoring": 4},
        )
    )
    score(cohort)
    assert states(child, cohort.period, "21", "22") == {"21": "passed", "22": "failed"}


def test_most_recent_skips_blank_errored_and_out_of_list_values():
    cohort = Cohort()
    child = cohort.child(
        rows=(
            {"visit_date": "2024-05-01", "gluten_free_diet": 1, "ketone_meter_training": 1},
            {
                "visit_date": "2024-06-01",
                "gluten_free_diet": 2,
                "errors": {"gluten_free_diet": ERROR},
            },
            {"visit_date": "2024-07-01", "ketone_meter_training": 42},
            {"visit_date": "2024-08-01"},
        )
    )
    score(cohort)
    assert states(child, cohort.period, "10", "12") == {"10": "passed", "12": "passed"}


def test_most_recent_ignores_rows_outside_p_and_after_c():
    cohort = Cohort()
    child = cohort.child(
        rows=(
            {"visit_date": "2024-03-01", "thyroid_treatment_status": 2},
            {"visit_date": "2024-06-01", "thyroid_treatment_status": 1},
            {"visit_date": "2024-12-01", "thyroid_treatment_status": 3},
        )
    )
    score(cohort, "2024-11-30")
    assert state(cohort, child, "11") == "failed"
    score(cohort)
    assert state(cohort, child, "11") == "passed"


def test_no_value_yet_is_incomplete_during_the_period_and_failed_after_it():
    cohort = Cohort()
    child = cohort.child(rows=(CLINIC,))
    score(cohort, "2024-12-31")
    assert states(child, cohort.period, "13", "21", "24", "25", "40", "44") == dict.fromkeys(
        ("13", "21", "24", "25", "40", "44"), "incomplete"
    )
    score(cohort)
    assert states(child, cohort.period, "13", "21", "24", "25", "40", "44") == dict.fromkeys(
        ("13", "21", "24", "25", "40", "44"), "failed"
    )
    assert m.KPI.objects.get(patient=child).calculation_date == E


def test_an_event_on_c_counts_and_one_after_c_does_not():
    cohort = Cohort()
    on_c = cohort.child(
        rows=({"visit_date": "2024-10-01", "flu_immunisation_recommended_date": "2024-10-01"},)
    )
    after_c = cohort.child(
        rows=(
            CLINIC,
            {"visit_date": "2024-10-02", "flu_immunisation_recommended_date": "2024-10-02"},
        )
    )
    score(cohort, "2024-10-01")
    assert state(cohort, on_c, "39") == "passed"
    assert state(cohort, after_c, "39") == "incomplete"


def test_24_needs_pump_with_closed_loop_on_the_row_of_the_most_recent_treatment():
    cohort = Cohort()
    closed_loop = cohort.child(rows=({**CLINIC, "treatment": 6, "closed_loop_system": 3},))
    open_loop = cohort.child(rows=({**CLINIC, "treatment": 3, "closed_loop_system": 1},))
    loop_elsewhere = cohort.child(
        rows=(
            {"visit_date": "2024-05-01", "closed_loop_system": 2},
            {"visit_date": "2024-06-01", "treatment": 3},
        )
    )
    score(cohort)
    assert state(cohort, closed_loop, "24") == "passed"
    assert state(cohort, open_loop, "24") == "failed"
    assert state(cohort, loop_elsewhere, "24") == "failed"
    assert states(closed_loop, cohort.period, "15", "18") == {"15": "failed", "18": "passed"}


def test_49_orders_by_the_acr_date_not_the_visit_date():
    cohort = Cohort()
    child = cohort.child(
        rows=(
            {  # entered later, but its ACR is older
                "visit_date": "2024-09-01",
                "albuminuria_stage": 1,
                "albumin_creatinine_ratio_date": "2024-05-01",
            },
            {
                "visit_date": "2024-06-01",
                "albuminuria_stage": 2,
                "albumin_creatinine_ratio_date": "2024-06-01",
            },
            {  # ACR dated before S: not considered
                "visit_date": "2024-10-01",
                "albuminuria_stage": 1,
                "albumin_creatinine_ratio_date": "2024-03-01",
            },
        )
    )
    score(cohort)
    assert state(cohort, child, "49") == "passed"


# Admissions ---------------------------------------------------------------------------------------


def test_admissions_spanning_the_period_edges_and_merged_spells():
    cohort = Cohort()
    child = cohort.child(
        diagnosis_date="2024-06-01",
        rows=(
            CLINIC,
            {
                "visit_date": "2024-03-30",
                "hospital_admission_date": "2024-03-30",
                "hospital_discharge_date": "2024-04-01",
                "hospital_admission_reason": 2,
            },
            {
                "visit_date": "2024-06-05",
                "hospital_admission_date": "2024-06-05",
                "hospital_admission_reason": 1,
            },
            {
                "visit_date": "2024-06-05",
                "hospital_admission_date": "2024-06-05",
                "hospital_discharge_date": "2024-06-09",
                "hospital_admission_reason": 2,
            },
            {
                "visit_date": "2024-02-01",
                "hospital_admission_date": "2024-02-01",
                "hospital_discharge_date": "2024-02-03",
                "hospital_admission_reason": 4,
            },
            {
                "visit_date": "2024-08-01",
                "hospital_admission_date": "2024-08-01",
                "hospital_admission_reason": 4,
                "errors": {"hospital_admission_reason": ERROR},
            },
        ),
    )
    score(cohort)
    kpi = child.kpis.get()
    assert (kpi.admissions, kpi.dka_admissions) == (2, 2)
    assert kpi.admissions_by_quarter == [2, 0, 0, 0]
    assert (kpi.admissions_near_diagnosis, kpi.dka_admissions_near_diagnosis) == (2, 2)
    assert states(child, cohort.period, "46", "47") == {"46": "passed", "47": "passed"}


# Audit progress -----------------------------------------------------------------------------------


def test_audit_progress_counts_recorded_fields_per_section():
    cohort = Cohort()
    child = cohort.child(
        date_of_birth="2015-01-01",  # under 12: the 12+ sections are not expected
        rows=(
            {
                **hba1c(60),
                "treatment": 2,
                "height": 140,
                "height_weight_observation_date": "2024-06-01",
            },
            {"visit_date": "2024-03-01", "weight": 35},  # before S: not counted
        ),
    )
    score(cohort)
    progress = m.AuditProgress.objects.get(patient=child, audit_period=cohort.period)
    sections = progress.sections
    assert sections["hba1c"] == {"completed": 3, "expected": 3}
    assert sections["measurements"] == {"completed": 2, "expected": 3}
    assert sections["treatment"] == {"completed": 1, "expected": 1}  # no closed loop: not a pump
    assert sections["blood_pressure"] == {"completed": 0, "expected": 0}
    assert sections["hospital_admission"] == {"completed": 0, "expected": 0}
    assert progress.completed_fields == sum(s["completed"] for s in sections.values()) == 6
    assert progress.expected_fields == sum(s["expected"] for s in sections.values())


# Scope of a run -----------------------------------------------------------------------------------


def test_only_the_active_submission_is_scored():
    cohort = Cohort()
    child = cohort.child(rows=(CLINIC,))
    cohort.submission.is_active, cohort.submission.status = False, "superseded"
    cohort.submission.save()
    newer = Cohort(period=cohort.period)
    kept = newer.child(rows=(CLINIC,))
    score(cohort)
    assert not m.KPI.objects.filter(patient=child).exists()
    assert state(newer, kept, "1") == "passed"


def test_a_unit_recompute_replaces_only_that_units_children():
    a, b = Cohort("PZ041"), None
    b = Cohort("PZ001", period=a.period)
    in_a, in_b = a.child(rows=(CLINIC,)), b.child(rows=(CLINIC,))
    score(a)
    b_row = m.KPI.objects.get(patient=in_b)
    a.submission.patients.remove(in_a)
    replacement = a.child(rows=(CLINIC,))
    compute_kpis(a.period, ["PZ041"], E)
    assert not m.KPI.objects.filter(patient=in_a).exists()
    assert not m.AuditProgress.objects.filter(patient=in_a).exists()
    assert state(a, replacement, "1") == "passed"
    assert m.KPI.objects.get(patient=in_b).computed_at == b_row.computed_at
    assert m.KPI.objects.filter(audit_period=a.period).count() == 2


def test_calculation_date_defaults_to_e_after_the_period_and_is_capped_at_e():
    cohort = Cohort()
    cohort.child(rows=(CLINIC,))
    result = compute_kpis(cohort.period)  # the period 2024-25 ended before today
    assert result.calculation_date == E
    assert compute_kpis(cohort.period, calculation_date=d("2026-01-01")).calculation_date == E
    assert S < E
