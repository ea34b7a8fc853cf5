"""Every generated record passes the validation rules of csv-submission.md §6.

The rules are restated here from the specification, independently of the importer's validator
(which is exercised separately by the round-trip test), over a sample of units that includes the
outliers and Jersey.
"""

from datetime import date, timedelta

import pytest

from constants import codes
from npda.synthetic.generator import generate_unit
from tests.synthetic_units import TODAY, YEAR

BEFORE_DIAGNOSIS_DAYS = {
    "hospital_admission_date": 11,
    "coeliac_screen_date": 90,
    "thyroid_function_date": 90,
    "carbohydrate_counting_level_three_education_date": 7,
}
CODE_LISTS = {
    "hba1c_format": codes.HbA1cFormat,
    "treatment": codes.Treatment,
    "closed_loop_system": codes.ClosedLoopSystem,
    "glucose_monitoring": codes.GlucoseMonitoring,
    "retinal_screening_result": codes.RetinalScreeningResult,
    "albuminuria_stage": codes.AlbuminuriaStage,
    "thyroid_treatment_status": codes.ThyroidTreatmentStatus,
    "gluten_free_diet": codes.YesNoUnknown,
    "psychological_additional_support_status": codes.YesNoUnknown,
    "smoking_status": codes.SmokingStatus,
    "dietician_additional_appointment_offered": codes.YesNoUnknown,
    "ketone_meter_training": codes.YesNoUnknown,
    "hospital_admission_reason": codes.AdmissionReason,
    "dka_additional_therapies": codes.DKAAdditionalTherapies,
}
ALL_OR_NONE = (
    ("hba1c", "hba1c_format", "hba1c_date"),
    ("systolic_blood_pressure", "diastolic_blood_pressure", "blood_pressure_observation_date"),
    ("retinal_screening_observation_date", "retinal_screening_result"),
    ("albumin_creatinine_ratio", "albuminuria_stage", "albumin_creatinine_ratio_date"),
    ("total_cholesterol", "total_cholesterol_date"),
    ("hospital_admission_date", "hospital_admission_reason"),
)
RANGES = {
    "systolic_blood_pressure": (80, 240),
    "diastolic_blood_pressure": (20, 120),
    "albumin_creatinine_ratio": (0, 999),
    "total_cholesterol": (2, 12),
}


@pytest.fixture(scope="module")
def sample(plan):
    codes_ = sorted(plan.units)
    chosen = {*codes_[::5], "PZ248", *(c for c, u in plan.units.items() if u.outlier)}
    return [generate_unit(plan, code, YEAR) for code in sorted(chosen)]


def patient_problems(patient, start: date) -> list[str]:
    f, site = patient.fields, patient.site_fields
    birth, dx, death = f["date_of_birth"], f["diagnosis_date"], f["death_date"]
    problems = []
    if not birth or not dx or f["diabetes_type"] not in codes.DiabetesType.values:
        problems.append("required patient field missing")
    if birth > TODAY or dx > TODAY or (death and death > TODAY):
        problems.append("date in the future")
    if birth <= date(start.year - 25, 4, 1):
        problems.append("25 or over at the start")
    if dx < birth or (death and (death < birth or death < dx)):
        problems.append("diagnosis or death out of order")
    if f["sex"] not in codes.Sex.values or f["ethnicity"] not in codes.Ethnicity.values:
        problems.append("sex or ethnicity code")
    if not f["gp_practice_ods_code"]:
        problems.append("no GP practice")
    left, reason = site["date_leaving_service"], site["reason_leaving_service"]
    if (left is None) != (reason is None) or (reason and reason not in (1, 2, 3)):
        problems.append("leaving date and reason")
    if left and (left > TODAY or left < birth):
        problems.append("leaving date")
    return problems


def visit_problems(row: dict, patient) -> list[str]:
    f = patient.fields
    birth, dx, death = f["date_of_birth"], f["diagnosis_date"], f["death_date"]
    problems = []
    if "visit_date" not in row:
        problems.append("no visit date")
    for name, value in row.items():
        if value is None:
            problems.append(f"{name} stored as an explicit blank")
        if not isinstance(value, date):
            continue
        allowance = timedelta(days=BEFORE_DIAGNOSIS_DAYS.get(name, 0))
        if value > TODAY or value < birth or (death and value > death) or value < dx - allowance:
            problems.append(f"{name} {value} outside the child's dates")
    for name, code_list in CODE_LISTS.items():
        if name in row and row[name] not in code_list.values:
            problems.append(f"{name} code {row[name]}")
    for group in ALL_OR_NONE:
        if 0 < sum(name in row for name in group) < len(group):
            problems.append(f"incomplete {group}")
    if ("height" in row or "weight" in row) != ("height_weight_observation_date" in row):
        problems.append("height/weight and date")
    if ("height" in row and row["height"] < 40) or ("weight" in row and row["weight"] <= 0):
        problems.append("height or weight")
    pump = row.get("treatment") in codes.PUMP_TREATMENTS
    if pump != ("closed_loop_system" in row):
        problems.append("closed loop only and always with a pump")
    for name, (low, high) in RANGES.items():
        if name in row and not low <= row[name] <= high:
            problems.append(f"{name} range")
    if "hba1c" in row:
        low, high = (20, 195) if row["hba1c_format"] == 1 else (3, 20)
        if not low <= row["hba1c"] <= high:
            problems.append("HbA1c range")
    if row.get("thyroid_treatment_status") in (2, 3) and "thyroid_function_date" not in row:
        problems.append("thyroid treatment without a date")
    support = row.get("psychological_additional_support_status")
    if support in (1, 2) and "psychological_screening_assessment_date" not in row:
        problems.append("psychological support without a date")
    if "smoking_cessation_referral_date" in row and row.get("smoking_status") != 2:
        problems.append("cessation referral for a non-smoker")
    if (
        row.get("dietician_additional_appointment_offered") == 2
        and "dietician_additional_appointment_date" in row
    ):
        problems.append("dietitian not offered but attended")
    if "hospital_discharge_date" in row:
        if "hospital_admission_date" not in row:
            problems.append("discharge without admission")
        elif row["hospital_admission_date"] > row["hospital_discharge_date"]:
            problems.append("discharged before admitted")
    reason = row.get("hospital_admission_reason")
    if (reason == 2) != ("dka_additional_therapies" in row):
        problems.append("DKA therapies only and always with DKA")
    if (reason == 6) != bool(row.get("hospital_admission_other")):
        problems.append("free text only and always with reason 6")
    return problems


def test_every_record_passes_the_validation_rules(sample):
    problems = []
    for cohort in sample:
        patients = {p.key: p for p in cohort.patients}
        for patient in cohort.patients:
            problems += [
                (cohort.pz_code, patient.key, x) for x in patient_problems(patient, YEAR.start)
            ]
        for visit in cohort.visits:
            assert visit.errors == {}
            for problem in visit_problems(visit.fields, patients[visit.patient_key]):
                problems.append((cohort.pz_code, visit.source_row, problem))
    assert problems == []


def test_the_sample_is_large(sample):
    assert len(sample) >= 38
    assert sum(len(cohort.visits) for cohort in sample) > 100_000


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"closed_loop_system": 2, "treatment": 2}, "closed loop"),
        ({"hospital_admission_date": date(2024, 6, 1)}, "incomplete"),
        ({"smoking_cessation_referral_date": date(2024, 6, 1)}, "cessation"),
        ({"hba1c": 8, "hba1c_format": 1, "hba1c_date": date(2024, 6, 1)}, "HbA1c range"),
        ({"thyroid_function_date": date(2000, 1, 1)}, "outside the child's dates"),
        ({"hospital_admission_date": date(2024, 6, 1), "hospital_admission_reason": 2}, "DKA"),
    ],
)
def test_the_checker_finds_broken_rows(sample, change, problem):
    cohort = sample[0]
    visit = cohort.visits[0]
    patient = next(p for p in cohort.patients if p.key == visit.patient_key)
    found = visit_problems({**visit.fields, **change}, patient)
    assert any(problem in text for text in found)
