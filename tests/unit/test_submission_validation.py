"""Row-level rules of csv-submission.md §6, each with its code and message."""

from datetime import date
from decimal import Decimal

import pytest

from constants.csv_template import TEMPLATE_2021
from npda.submissions.validation import ChildDates, validate_patient, validate_visit

TODAY = date(2025, 6, 1)
START = date(2024, 4, 1)
CHILD = ChildDates(birth=date(2012, 6, 15), diagnosis=date(2019, 3, 3), death=None)

PATIENT = {
    "nhs_number": "9434765919",
    "date_of_birth": "15/06/2012",
    "postcode": "WC1X 8SH",
    "sex": "1",
    "ethnicity": "a",
    "diabetes_type": "1",
    "diagnosis_date": "03/03/2019",
    "date_leaving_service": None,
    "reason_leaving_service": None,
    "death_date": None,
    "gp_practice_ods_code": "A81001",
    "paediatric_diabetes_unit": "PZ041",
}


def patient(**changes):
    return validate_patient(
        {**PATIENT, **changes},
        template=TEMPLATE_2021,
        jersey=False,
        period_start=START,
        today=TODAY,
    )


def visit(child=CHILD, **cells):
    return validate_visit({"visit_date": "10/06/2024", **cells}, child, TODAY, TEMPLATE_2021)


def codes_of(errors) -> dict[str, list[str]]:
    return {field: [e["code"] for e in problems] for field, problems in errors.items()}


def message(errors, field) -> str:
    return errors[field][0]["message"]


def test_a_valid_patient():
    fields, site, errors = patient()
    assert errors == {}
    assert fields["ethnicity"] == "A" and fields["postcode"] == "WC1X8SH"
    assert fields["date_of_birth"] == date(2012, 6, 15) and fields["sex"] == 1
    assert site == {"date_leaving_service": None, "reason_leaving_service": None}


def test_e08_invalid_nhs_number():
    fields, _, errors = patient(nhs_number="943 476 5918")
    assert codes_of(errors) == {"nhs_number": ["E08"]}
    assert (
        message(errors, "nhs_number")
        == "9434765918 is not a valid NHS number. Please check the digits."
    )
    assert fields["nhs_number"] == "9434765918"


def test_e10_required_patient_fields():
    _, _, errors = patient(date_of_birth=None, diabetes_type=None, diagnosis_date=None)
    assert codes_of(errors) == {
        f: ["E10"] for f in ("date_of_birth", "diabetes_type", "diagnosis_date")
    }
    assert message(errors, "date_of_birth") == '"Date of Birth" is required.'


def test_e01_unreadable_date_of_birth_keeps_the_child():
    fields, _, errors = patient(date_of_birth="31/02/2012")
    assert fields["date_of_birth"] is None
    assert message(errors, "date_of_birth") == (
        '"Date of Birth" is not a valid date. Please use the format DD/MM/YYYY.'
    )


def test_e02_future_dates():
    _, _, errors = patient(date_of_birth="01/01/2026", diagnosis_date="02/01/2026")
    assert codes_of(errors)["date_of_birth"] == ["E02"]
    assert (
        message(errors, "diagnosis_date")
        == '"Date of Diabetes Diagnosis" cannot be a date in the future.'
    )


def test_e03_age_25_or_over_at_the_start_of_the_period():
    _, _, errors = patient(date_of_birth="01/04/1999", diagnosis_date="01/01/2008")
    assert message(errors, "date_of_birth") == (
        "The audit includes only children and young people under 25. This child was 25 on "
        "01/04/2024."
    )
    _, _, errors = patient(date_of_birth="02/04/1999", diagnosis_date="01/01/2008")
    assert "date_of_birth" not in errors  # 24 on 1 April 2024


def test_e04_diagnosis_before_birth():
    _, _, errors = patient(diagnosis_date="01/01/2010")
    assert (
        message(errors, "diagnosis_date")
        == "The date of diagnosis cannot be before the date of birth."
    )


def test_e05_death_before_diagnosis():
    _, _, errors = patient(death_date="01/01/2019")
    assert codes_of(errors) == {"death_date": ["E05"]}


def test_e20_codes_with_allowed_values_listed():
    fields, _, errors = patient(diabetes_type="7", sex="X", ethnicity="Q")
    assert codes_of(errors) == {"diabetes_type": ["E20"], "sex": ["E20"], "ethnicity": ["E20"]}
    assert fields["diabetes_type"] is None
    assert message(errors, "diabetes_type").startswith(
        '"7" is not an allowed value for "Diabetes Type". Allowed values: 1 = Type 1 diabetes, '
    )


def test_e09_postcode_and_pseudo_postcodes():
    assert codes_of(patient(postcode="NOWHERE")[2]) == {"postcode": ["E09"]}
    assert (
        message(patient(postcode="12345")[2], "postcode")
        == "12345 is not a recognised UK postcode."
    )
    assert patient(postcode="ZZ99 3VZ")[2] == {}


def test_e06_and_e07_gp_practice():
    assert message(patient(gp_practice_ods_code=None)[2], "gp_practice_ods_code") == (
        "Please give the GP practice code."
    )
    assert message(patient(gp_practice_ods_code="XYZ")[2], "gp_practice_ods_code") == (
        "We could not find a GP practice with the code XYZ."
    )


def test_leaving_date_and_reason_go_together():
    _, site, errors = patient(date_leaving_service="30/11/2024")
    assert codes_of(errors) == {"reason_leaving_service": ["E15"]}
    assert message(errors, "reason_leaving_service") == (
        '"Date of leaving service" is filled in, so "Reason for leaving service" is needed as well.'
    )
    _, site, errors = patient(date_leaving_service="30/11/2024", reason_leaving_service="2")
    assert errors == {} and site == {
        "date_leaving_service": date(2024, 11, 30),
        "reason_leaving_service": 2,
    }
    assert codes_of(patient(date_leaving_service="30/11/2024", reason_leaving_service="4")[2]) == {
        "reason_leaving_service": ["E20"]
    }
    assert codes_of(patient(date_leaving_service="01/01/2010", reason_leaving_service="1")[2]) == {
        "date_leaving_service": ["E11"]
    }


def test_jersey_uses_the_unique_reference_number():
    fields, _, errors = validate_patient(
        {
            **PATIENT,
            "nhs_number": None,
            "unique_reference_number": "JSY123",
            "gp_practice_ods_code": "JSY01",
        },
        template=TEMPLATE_2021,
        jersey=True,
        period_start=START,
        today=TODAY,
    )
    assert errors == {} and fields["unique_reference_number"] == "JSY123"
    assert fields["nhs_number"] is None


# --- visits -----------------------------------------------------------------------------------


def test_a_valid_visit_keeps_only_given_values():
    fields, errors = visit(hba1c="58", hba1c_format="1", hba1c_date="10/06/2024")
    assert errors == {}
    assert fields == {
        "visit_date": date(2024, 6, 10),
        "hba1c": Decimal("58.00"),
        "hba1c_format": 1,
        "hba1c_date": date(2024, 6, 10),
    }


def test_e10_visit_date_required():
    _, errors = validate_visit({"hba1c": "58"}, CHILD, TODAY, TEMPLATE_2021)
    assert errors["visit_date"][0]["code"] == "E10"


def test_e02_future_observation_date():
    _, errors = visit(foot_examination_observation_date="02/06/2025")
    assert message(errors, "foot_examination_observation_date") == (
        '"Foot Assessment / Examination Date" cannot be a date in the future.'
    )


def test_e11_before_birth_after_death_before_diagnosis():
    _, errors = visit(foot_examination_observation_date="01/01/2012")
    assert message(errors, "foot_examination_observation_date").endswith(
        "cannot be before the child's date of birth."
    )
    died = ChildDates(CHILD.birth, CHILD.diagnosis, date(2024, 7, 1))
    _, errors = visit(died, foot_examination_observation_date="02/07/2024")
    assert message(errors, "foot_examination_observation_date").endswith(
        "cannot be after the date of death."
    )
    new = ChildDates(CHILD.birth, date(2024, 6, 1), None)
    _, errors = visit(new, visit_date="01/06/2024", foot_examination_observation_date="31/05/2024")
    assert message(errors, "foot_examination_observation_date").endswith(
        "cannot be before the date of diagnosis."
    )


def test_allowed_dates_before_diagnosis():
    new = ChildDates(CHILD.birth, date(2024, 6, 1), None)
    _, errors = visit(
        new,
        visit_date="03/03/2024",
        coeliac_screen_date="03/03/2024",
        thyroid_function_date="03/03/2024",
    )  # dx - 90
    assert errors == {}
    _, errors = visit(new, visit_date="02/03/2024", coeliac_screen_date="02/03/2024")
    assert set(errors) == {"visit_date", "coeliac_screen_date"}
    _, errors = visit(
        new,
        visit_date="21/05/2024",
        hospital_admission_date="21/05/2024",
        hospital_admission_reason="1",
    )  # dx - 11
    assert errors == {}
    _, errors = visit(
        new,
        visit_date="20/05/2024",
        hospital_admission_date="20/05/2024",
        hospital_admission_reason="1",
    )
    assert set(errors) == {"visit_date", "hospital_admission_date"}
    _, errors = visit(
        new, visit_date="25/05/2024", carbohydrate_counting_level_three_education_date="25/05/2024"
    )  # dx - 7
    assert errors == {}


def test_e12_hba1c_ranges_in_the_submitted_unit():
    fields, errors = visit(hba1c="250", hba1c_format="1", hba1c_date="10/06/2024")
    assert fields["hba1c"] == Decimal("250.00")  # kept as submitted, flagged
    assert message(errors, "hba1c") == (
        "An HbA1c of 250.00 mmol/mol is outside the accepted range (20–195). If it is a "
        "percentage (DCCT) value, set the HbA1c result format to 2."
    )
    _, errors = visit(hba1c="58", hba1c_format="2", hba1c_date="10/06/2024")
    assert message(errors, "hba1c").startswith(
        "An HbA1c of 58.00% is outside the accepted range (3–20)."
    )
    assert visit(hba1c="7.5", hba1c_format="2", hba1c_date="10/06/2024")[1] == {}
    assert visit(hba1c="20", hba1c_format="1", hba1c_date="10/06/2024")[1] == {}
    assert visit(hba1c="195", hba1c_format="1", hba1c_date="10/06/2024")[1] == {}


@pytest.mark.parametrize(
    ("cells", "field", "text"),
    [
        (
            {"systolic_blood_pressure": "79", "diastolic_blood_pressure": "60"},
            "systolic_blood_pressure",
            "Systolic blood pressure of 79 is outside the accepted range (80–240 mmHg).",
        ),
        (
            {"systolic_blood_pressure": "120", "diastolic_blood_pressure": "121"},
            "diastolic_blood_pressure",
            "Diastolic blood pressure of 121 is outside the accepted range (20–120 mmHg).",
        ),
    ],
)
def test_e13_blood_pressure_ranges(cells, field, text):
    _, errors = visit(blood_pressure_observation_date="10/06/2024", **cells)
    assert message(errors, field) == text


def test_e13_acr_and_cholesterol():
    _, errors = visit(
        albumin_creatinine_ratio="1000",
        albuminuria_stage="3",
        albumin_creatinine_ratio_date="10/06/2024",
        total_cholesterol="12.1",
        total_cholesterol_date="10/06/2024",
    )
    assert codes_of(errors) == {"albumin_creatinine_ratio": ["E13"], "total_cholesterol": ["E13"]}
    assert message(errors, "total_cholesterol") == (
        "Total cholesterol of 12.1 is outside the accepted range (2–12 mmol/l)."
    )


def test_values_too_large_to_store_are_null_with_their_range_error():
    fields, errors = visit(height="1750", weight="45", height_weight_observation_date="10/06/2024")
    assert "height" not in fields and fields["weight"] == Decimal("45.0")
    assert codes_of(errors) == {"height": ["E14"]}
    assert message(errors, "height") == (
        "The height of 1750.0 is not plausible for a child of this age and sex. Please check the "
        "value and its unit."
    )


def test_e14_height_below_40():
    _, errors = visit(height="39.9", weight="20", height_weight_observation_date="10/06/2024")
    assert codes_of(errors) == {"height": ["E14"]}


def test_e21_not_a_number_and_not_whole():
    fields, errors = visit(
        weight="heavy", height="140", height_weight_observation_date="10/06/2024"
    )
    assert "weight" not in fields
    assert (
        message(errors, "weight")
        == '"Patient Weight (kg)" must be a number (a whole number for blood pressure).'
    )
    _, errors = visit(
        systolic_blood_pressure="120.5",
        diastolic_blood_pressure="80",
        blood_pressure_observation_date="10/06/2024",
    )
    assert codes_of(errors) == {"systolic_blood_pressure": ["E21"]}


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ({"height": "140"}, {"height_weight_observation_date": ["E15"]}),
        ({"height_weight_observation_date": "10/06/2024"}, {"height": ["E15"]}),
        ({"hba1c": "58"}, {"hba1c_format": ["E15"], "hba1c_date": ["E15"]}),
        ({"hba1c_date": "10/06/2024", "hba1c_format": "1"}, {"hba1c": ["E15"]}),
        ({"treatment": "3"}, {"closed_loop_system": ["E15"]}),
        ({"treatment": "2", "closed_loop_system": "1"}, {"closed_loop_system": ["E16"]}),
        ({"closed_loop_system": "2"}, {"closed_loop_system": ["E16"]}),
        (
            {"systolic_blood_pressure": "110"},
            {"diastolic_blood_pressure": ["E15"], "blood_pressure_observation_date": ["E15"]},
        ),
        (
            {"retinal_screening_observation_date": "10/06/2024"},
            {"retinal_screening_result": ["E15"]},
        ),
        (
            {"albuminuria_stage": "1"},
            {"albumin_creatinine_ratio": ["E15"], "albumin_creatinine_ratio_date": ["E15"]},
        ),
        ({"total_cholesterol": "4.1"}, {"total_cholesterol_date": ["E15"]}),
        ({"thyroid_treatment_status": "2"}, {"thyroid_function_date": ["E15"]}),
        (
            {"psychological_additional_support_status": "1"},
            {"psychological_screening_assessment_date": ["E15"]},
        ),
        (
            {"smoking_status": "1", "smoking_cessation_referral_date": "10/06/2024"},
            {"smoking_cessation_referral_date": ["E17"]},
        ),
        (
            {
                "dietician_additional_appointment_offered": "2",
                "dietician_additional_appointment_date": "10/06/2024",
            },
            {"dietician_additional_appointment_date": ["E18"]},
        ),
        ({"hospital_admission_date": "10/06/2024"}, {"hospital_admission_reason": ["E15"]}),
        ({"hospital_discharge_date": "12/06/2024"}, {"hospital_admission_date": ["E15"]}),
        (
            {
                "hospital_admission_date": "10/06/2024",
                "hospital_discharge_date": "09/06/2024",
                "hospital_admission_reason": "1",
            },
            {"hospital_discharge_date": ["E19"]},
        ),
        (
            {"hospital_admission_date": "10/06/2024", "hospital_admission_reason": "2"},
            {"dka_additional_therapies": ["E15"]},
        ),
        (
            {
                "hospital_admission_date": "10/06/2024",
                "hospital_admission_reason": "1",
                "dka_additional_therapies": "4",
            },
            {"dka_additional_therapies": ["E22"]},
        ),
        (
            {"hospital_admission_date": "10/06/2024", "hospital_admission_reason": "6"},
            {"hospital_admission_other": ["E15"]},
        ),
        (
            {
                "hospital_admission_date": "10/06/2024",
                "hospital_admission_reason": "4",
                "hospital_admission_other": "fell",
            },
            {"hospital_admission_other": ["E22"]},
        ),
    ],
)
def test_paired_and_conditional_fields(cells, expected):
    assert codes_of(visit(**cells)[1]) == expected


@pytest.mark.parametrize(
    "cells",
    [
        {"gluten_free_diet": "1"},  # no coeliac screening date: accepted
        {"smoking_status": "2"},  # current smoker without a referral date: accepted
        {"dietician_additional_appointment_offered": "1"},  # offered, no date: accepted
        {"thyroid_treatment_status": "1"},
        {"treatment": "6", "closed_loop_system": "2"},
        {
            "hospital_admission_date": "10/06/2024",
            "hospital_admission_reason": "2",
            "dka_additional_therapies": "1",
            "hospital_discharge_date": "12/06/2024",
        },
    ],
)
def test_accepted_combinations(cells):
    assert visit(**cells)[1] == {}


def test_e22_and_e15_messages():
    _, errors = visit(
        hospital_admission_date="10/06/2024",
        hospital_admission_reason="1",
        dka_additional_therapies="4",
    )
    assert message(errors, "dka_additional_therapies") == (
        'Leave "DKA therapies" blank unless "Reason for admission" is 2 (DKA).'
    )
    _, errors = visit(treatment="3")
    assert message(errors, "closed_loop_system") == (
        '"Diabetes Treatment at time of Hba1c measurement" is filled in, so "Closed-loop system" '
        "is needed as well."
    )


def test_legacy_treatment_code_nine_is_not_known():
    fields, errors = visit(treatment="9")
    assert errors == {} and fields["treatment"] == 99


def test_paired_rules_report_in_the_order_of_section_6_4():
    """The order of a field's messages is the report's and the XLSX note's: the admission
    pair (start and reason) comes before the discharge rule."""
    _, errors = visit(hospital_admission_reason="4", hospital_discharge_date="10/06/2024")
    messages = [e["message"] for e in errors["hospital_admission_date"]]
    assert messages == [
        '"Reason for admission" is filled in, so "Start date (Hospital Provider Spell)" is '
        "needed as well.",
        '"Discharge date (Hospital provider spell)" is filled in, so "Start date (Hospital '
        'Provider Spell)" is needed as well.',
    ]
