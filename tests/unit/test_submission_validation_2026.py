"""The 2026 template's row rules (csv-submission.md Appendix B), each with its code and message;
everything else follows the 2021 rules, which test_submission_validation.py covers."""

from datetime import date
from decimal import Decimal

import pytest

from constants.csv_template import TEMPLATE_2026
from npda.submissions.validation import ChildDates, validate_patient, validate_visit

TODAY = date(2026, 12, 1)
START = date(2026, 4, 1)
CHILD = ChildDates(birth=date(2012, 6, 15), diagnosis=date(2019, 3, 3), death=None)
PATIENT = {
    "nhs_number": "9434765919",
    "date_of_birth": "15/06/2012",
    "postcode": "WC1X 8SH",
    "sex": "1",
    "ethnicity": "A",
    "adhd_asd_status": "2",
    "learning_disability_status": "1",
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
        template=TEMPLATE_2026,
        jersey=False,
        period_start=START,
        today=TODAY,
    )


def visit(child=CHILD, **cells):
    return validate_visit({"visit_date": "10/06/2026", **cells}, child, TODAY, TEMPLATE_2026)


def codes_of(errors) -> dict[str, list[str]]:
    return {field: [e["code"] for e in problems] for field, problems in errors.items()}


def message(errors, field) -> str:
    return errors[field][0]["message"]


# --- rule 3: the new patient-level items; rule 9: sex assigned at birth ------------------------


def test_new_patient_level_codes_are_stored_and_checked():
    fields, _, errors = patient()
    assert errors == {}
    assert fields["adhd_asd_status"] == 2 and fields["learning_disability_status"] == 1
    _, _, errors = patient(adhd_asd_status="5", learning_disability_status="Y")
    assert codes_of(errors) == {
        "adhd_asd_status": ["E20"],
        "learning_disability_status": ["E20"],
    }
    assert message(errors, "adhd_asd_status").startswith(
        '"5" is not an allowed value for "ADHD or ASD diagnosis". Allowed values: 1 = ADHD, '
    )
    fields, _, errors = patient(adhd_asd_status=None, learning_disability_status=None)
    assert errors == {} and fields["adhd_asd_status"] is None  # optional


@pytest.mark.parametrize(("text", "code"), [("Female", 2), ("m", 1), ("0", 99), ("9", 3)])
def test_sex_assigned_at_birth_takes_the_2021_text_values(text, code):
    fields, _, errors = patient(sex=text)
    assert errors == {} and fields["sex"] == code
    _, _, errors = patient(sex="7")
    assert message(errors, "sex").startswith('"7" is not an allowed value for "Sex assigned')


def test_new_visit_codes_are_stored():
    fields, errors = visit(
        insulin_regimen="5",
        non_insulin_medication="2",
        dietary_lifestyle_modification="1",
        cgm_use="1",
        psychological_support_outcome="3",
        smoking_vaping_status="3",
    )
    assert errors == {}
    assert (fields["insulin_regimen"], fields["non_insulin_medication"], fields["cgm_use"]) == (
        5,
        2,
        1,
    )
    _, errors = visit(insulin_regimen="6", psychological_support_outcome="0")
    assert codes_of(errors) == {
        "insulin_regimen": ["E20"],
        "psychological_support_outcome": ["E20"],
    }
    assert '"Insulin regime"' in message(errors, "insulin_regimen")


# --- rule 4: HbA1c --------------------------------------------------------------------------


def test_hba1c_is_mmol_per_mol_only():
    fields, errors = visit(hba1c="7.5", hba1c_date="10/06/2026")
    assert fields["hba1c"] == Decimal("7.50")  # kept as submitted, flagged
    assert message(errors, "hba1c") == (
        "An HbA1c of 7.50 mmol/mol is outside the accepted range (20–195). The 2026 template "
        "takes mmol/mol (IFCC) values only: please convert a percentage (DCCT) value."
    )
    assert visit(hba1c="20", hba1c_date="10/06/2026")[1] == {}
    assert visit(hba1c="195", hba1c_date="10/06/2026")[1] == {}
    assert codes_of(visit(hba1c="196", hba1c_date="10/06/2026")[1]) == {"hba1c": ["E12"]}


def test_hba1c_value_and_date_are_given_together():
    _, errors = visit(hba1c="58")
    assert codes_of(errors) == {"hba1c_date": ["E15"]}
    assert message(errors, "hba1c_date") == (
        '"Hba1c Value" is filled in, so "Observation Date: HbA1c Value" is needed as well.'
    )
    assert codes_of(visit(hba1c_date="10/06/2026")[1]) == {"hba1c": ["E15"]}


def test_no_closed_loop_pairing_any_more():
    """A pump or closed loop needs no second answer in 2026; E16 does not exist there."""
    assert visit(insulin_regimen="4")[1] == {}
    assert visit(insulin_regimen="5", non_insulin_medication="1")[1] == {}


# --- rule 5: smoking ------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["2", "4"])
def test_smoking_advice_date_with_a_smoker(status):
    cells = {"smoking_vaping_status": status, "smoking_cessation_referral_date": "10/06/2026"}
    assert visit(**cells)[1] == {}


@pytest.mark.parametrize("status", ["1", "3", "99", None])
def test_smoking_advice_date_without_a_smoker_is_e17(status):
    cells = {"smoking_cessation_referral_date": "10/06/2026"}
    if status:
        cells["smoking_vaping_status"] = status
    _, errors = visit(**cells)
    assert codes_of(errors) == {"smoking_cessation_referral_date": ["E17"]}
    assert message(errors, "smoking_cessation_referral_date") == (
        "Leave the smoking cessation advice date blank unless the child smokes (status 2 or 4)."
    )


def test_a_smoker_without_an_advice_date_is_accepted():
    assert visit(smoking_vaping_status="4")[1] == {}


# --- rule 6: DKA and the 2026 admission reasons ----------------------------------------------

ADMISSION = {"hospital_admission_date": "01/06/2026", "hospital_discharge_date": "03/06/2026"}


def test_reason_1_acute_dka_needs_the_therapies_answer():
    _, errors = visit(**ADMISSION, hospital_admission_reason_2026="1")
    assert codes_of(errors) == {"dka_additional_therapies": ["E15"]}
    assert message(errors, "dka_additional_therapies") == (
        '"Reason for admission" is filled in, so "DKA therapies" is needed as well.'
    )
    fields, errors = visit(
        **ADMISSION, hospital_admission_reason_2026="1", dka_additional_therapies="1"
    )
    assert errors == {} and fields["hospital_admission_reason_2026"] == 1


@pytest.mark.parametrize("reason", ["2", "3", "4", "5"])
def test_the_therapies_answer_only_with_reason_1(reason):
    _, errors = visit(
        **ADMISSION, hospital_admission_reason_2026=reason, dka_additional_therapies="1"
    )
    assert codes_of(errors) == {"dka_additional_therapies": ["E22"]}
    assert message(errors, "dka_additional_therapies") == (
        'Leave "DKA therapies" blank unless "Reason for admission" is 1 (acute DKA).'
    )


def test_reason_6_and_its_free_text_are_unchanged():
    _, errors = visit(**ADMISSION, hospital_admission_reason_2026="6")
    assert codes_of(errors) == {"hospital_admission_other": ["E15"]}
    _, errors = visit(
        **ADMISSION, hospital_admission_reason_2026="3", hospital_admission_other="fell"
    )
    assert codes_of(errors) == {"hospital_admission_other": ["E22"]}
    assert (
        visit(**ADMISSION, hospital_admission_reason_2026="6", hospital_admission_other="fell")[1]
        == {}
    )


def test_admission_start_and_reason_are_given_together():
    _, errors = visit(hospital_admission_date="01/06/2026")
    assert codes_of(errors) == {"hospital_admission_reason_2026": ["E15"]}
    _, errors = visit(hospital_admission_reason_2026="2")
    assert codes_of(errors) == {"hospital_admission_date": ["E15"]}
    _, errors = visit(hospital_admission_reason_2026="7", hospital_admission_date="01/06/2026")
    assert codes_of(errors) == {"hospital_admission_reason_2026": ["E20"]}


# --- rule 7: pH and bicarbonate --------------------------------------------------------------


def test_ph_and_bicarbonate_on_an_admission_are_rounded_half_up():
    fields, errors = visit(
        **ADMISSION,
        hospital_admission_reason_2026="1",
        dka_additional_therapies="2",
        blood_gas_ph="7.1235",
        blood_gas_bicarbonate="8.125",
    )
    assert errors == {}
    assert fields["blood_gas_ph"] == Decimal("7.124")
    assert fields["blood_gas_bicarbonate"] == Decimal("8.13")


def test_ph_and_bicarbonate_have_no_plausibility_range_yet():
    fields, errors = visit(
        **ADMISSION,
        hospital_admission_reason_2026="2",
        blood_gas_ph="9.9",
        blood_gas_bicarbonate="0",
    )
    assert errors == {} and fields["blood_gas_ph"] == Decimal("9.900")


def test_ph_and_bicarbonate_without_an_admission_are_e22_on_themselves():
    fields, errors = visit(blood_gas_ph="7.2", blood_gas_bicarbonate="12")
    assert codes_of(errors) == {"blood_gas_ph": ["E22"], "blood_gas_bicarbonate": ["E22"]}
    assert message(errors, "blood_gas_ph") == (
        'Leave "Initial pH" blank unless "Start date (Hospital Provider Spell)" is filled in.'
    )
    assert fields["blood_gas_ph"] == Decimal("7.200")  # kept as submitted, flagged


def test_ph_that_is_not_a_number_is_e21():
    fields, errors = visit(**ADMISSION, hospital_admission_reason_2026="2", blood_gas_ph="acidic")
    assert "blood_gas_ph" not in fields
    assert codes_of(errors) == {"blood_gas_ph": ["E21"]}
    assert message(errors, "blood_gas_ph") == (
        '"Initial pH" must be a number (a whole number for blood pressure).'
    )
    fields, errors = visit(**ADMISSION, hospital_admission_reason_2026="2", blood_gas_ph="71.5")
    assert codes_of(errors) == {"blood_gas_ph": ["E21"]}  # too large to store: decimal(4, 3)
    assert message(errors, "blood_gas_ph") == (
        '"Initial pH" of 71.500 is too large to be right. Please check the value.'
    )


def test_an_hba1c_too_large_to_store_gets_the_2026_message():
    fields, errors = visit(hba1c="1000", hba1c_date="10/06/2026")
    assert "hba1c" not in fields
    assert message(errors, "hba1c").endswith("please convert a percentage (DCCT) value.")


# --- rule 8: the immunotherapy date ----------------------------------------------------------


def test_immunotherapy_may_start_before_diagnosis_without_limit():
    fields, errors = visit(immunotherapy_received="1", immunotherapy_date="01/01/2014")
    assert errors == {} and fields["immunotherapy_date"] == date(2014, 1, 1)
    # other dates keep the §6.2 rule
    assert codes_of(visit(foot_examination_observation_date="01/01/2014")[1]) == {
        "foot_examination_observation_date": ["E11"]
    }


def test_a_row_recording_immunotherapy_may_be_dated_before_diagnosis():
    """§1.1: a result's own date may be the row's visit date; for immunotherapy, which may
    start before diagnosis without limit, so may the row (else its answer would be lost)."""
    _, errors = visit(
        visit_date="01/01/2014", immunotherapy_received="1", immunotherapy_date="01/01/2014"
    )
    assert errors == {}
    assert codes_of(visit(visit_date="01/01/2014", cgm_use="1")[1]) == {"visit_date": ["E11"]}


def test_immunotherapy_date_keeps_the_other_date_rules():
    _, errors = visit(immunotherapy_date="01/01/2012")
    assert message(errors, "immunotherapy_date") == (
        '"Date immunotherapy started" cannot be before the child\'s date of birth.'
    )
    died = ChildDates(CHILD.birth, CHILD.diagnosis, date(2026, 5, 1))
    _, errors = visit(died, visit_date="01/05/2026", immunotherapy_date="02/05/2026")
    assert codes_of(errors) == {"immunotherapy_date": ["E11"]}
    assert codes_of(visit(immunotherapy_date="02/12/2026")[1]) == {"immunotherapy_date": ["E02"]}
    assert codes_of(visit(immunotherapy_date="31/02/2026")[1]) == {"immunotherapy_date": ["E01"]}


def test_no_pairing_between_the_immunotherapy_answer_and_date():
    assert visit(immunotherapy_received="1")[1] == {}
    assert visit(immunotherapy_date="01/05/2026")[1] == {}
    assert visit(immunotherapy_received="2", immunotherapy_date="01/05/2026")[1] == {}


# --- unchanged rules still apply, with the 2026 headings ------------------------------------


def test_2021_rules_that_carry_over_name_the_2026_columns():
    _, errors = visit(psychological_additional_support_status="1")
    assert message(errors, "psychological_screening_assessment_date") == (
        '"Additional psychological support" is filled in, so "Date of Annual Psychological '
        'Screening Assessment" is needed as well.'
    )
    _, errors = visit(
        dietician_additional_appointment_offered="2",
        dietician_additional_appointment_date="10/06/2026",
    )
    assert codes_of(errors) == {"dietician_additional_appointment_date": ["E18"]}
