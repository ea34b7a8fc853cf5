"""The words of the web forms that enter a child's details and clinic contacts: a plain-English
label, an optional hint and, for a dependent question, when it applies.

One entry per field of the CSV templates (`constants.csv_template`), keyed by model field name,
except the PDU Number, which the form takes from the unit. The wording comes from
data-dictionary.md (§3 Patient, §3.1 Transfer, §4 Visit notes, §6 code lists, §8, §10 for 2026)
and csv-submission.md (§6.4 paired fields, Appendix A and B for 2026). `FIELD_TEXT` holds the
2021 wording; `FIELD_TEXT_2026` only the fields new in 2026 or worded differently there.

Dates are entered day first, so a date field's hint ends with `DATE_EXAMPLE`. Labels carry the
unit where the dictionary gives one, and never end with a full stop.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldText:
    label: str
    hint: str = ""
    shown_when: str = ""  # for a dependent question, the condition in words


DATE_EXAMPLE = "For example, 27/03/2025."


def _date(label: str, hint: str = "", shown_when: str = "") -> FieldText:
    """A date field: its hint ends with the day-first example."""
    return FieldText(label, f"{hint} {DATE_EXAMPLE}".strip(), shown_when)


_WITH_ADMISSION = "Only with a hospital admission date"
_PSYCHOLOGY_SCREENING = "Needed if the answer on extra psychological support is Yes (1) or No (2)"
_REASON_OTHER = "Only if the reason for admission is Other (6)"

# The 2021 dataset (data-dictionary §3, §3.1 and §4).
FIELD_TEXT: dict[str, FieldText] = {
    # Patient
    "nhs_number": FieldText("NHS number", "10 digits. Spaces and hyphens are ignored."),
    "unique_reference_number": FieldText(
        "Unique reference number", "Jersey (PZ248) only: used instead of the NHS number."
    ),
    "date_of_birth": _date(
        "Date of birth", "The child must be under 25 on the first day of the audit year."
    ),
    "postcode": FieldText(
        "Postcode of usual address", "The postcode of the child's home. It is never published."
    ),
    "sex": FieldText("Stated gender"),
    "ethnicity": FieldText("Ethnic category", "The NHS ethnic category."),
    "diabetes_type": FieldText("Diabetes type"),
    "diagnosis_date": _date("Date of diabetes diagnosis", "Not before the date of birth."),
    "death_date": _date("Date of death", "Not before the date of birth or the date of diagnosis."),
    "gp_practice_ods_code": FieldText(
        "GP practice code",
        "The ODS code of the child's registered GP practice. If you do not know it, give the "
        "practice's postcode instead.",
    ),
    "gp_practice_postcode": FieldText(
        "GP practice postcode",
        "Give this or the GP practice code: the other is looked up.",
    ),
    # Site (the Transfer record)
    "date_leaving_service": _date(
        "Date of leaving the unit", "Give the reason for leaving as well."
    ),
    "reason_leaving_service": FieldText(
        "Reason for leaving the unit", "Give the date of leaving as well."
    ),
    "previous_pz_code": FieldText(
        "Previous unit (PZ code)", "The unit the child came from, if any."
    ),
    # Visit: core
    "visit_date": _date(
        "Date of the contact",
        "For a result that came back after the visit, the result's date. For an admission, "
        "the admission date. For a child who left with no other contact in the year, the "
        "leaving date.",
    ),
    # Measurements
    "height": FieldText("Height (cm)", "Rounded to 1 decimal place."),
    "weight": FieldText("Weight (kg)", "Rounded to 1 decimal place."),
    "height_weight_observation_date": _date(
        "Date of height and weight measurement", "Applies to the height and the weight."
    ),
    # HbA1c
    "hba1c": FieldText(
        "HbA1c",
        "In the unit chosen as the result format. Enter every HbA1c result of the year.",
    ),
    "hba1c_format": FieldText("HbA1c result format", "mmol/mol (IFCC) or % (DCCT)."),
    "hba1c_date": _date("Date of the HbA1c"),
    # Treatment and glucose monitoring
    "treatment": FieldText("Diabetes treatment at the time of the HbA1c"),
    "closed_loop_system": FieldText(
        "Closed-loop system",
        "Was the insulin pump part of a closed-loop system?",
        "Only if the treatment is an insulin pump (3 or 6)",
    ),
    "glucose_monitoring": FieldText(
        "Glucose monitoring in addition to finger-prick testing", "At the time of the HbA1c."
    ),
    # Blood pressure
    "systolic_blood_pressure": FieldText("Systolic blood pressure (mmHg)", "A whole number."),
    "diastolic_blood_pressure": FieldText("Diastolic blood pressure (mmHg)", "A whole number."),
    "blood_pressure_observation_date": _date("Date of blood pressure measurement"),
    # Annual review
    "foot_examination_observation_date": _date("Date of foot assessment or examination"),
    "retinal_screening_observation_date": _date("Date of retinal screening"),
    "retinal_screening_result": FieldText(
        "Retinal screening result", "Abnormal means any retinopathy in either eye."
    ),
    "albumin_creatinine_ratio": FieldText(
        "Urinary albumin:creatinine ratio (mg/mmol)", "ACR, rounded to 1 decimal place."
    ),
    "albumin_creatinine_ratio_date": _date("Date of the urinary albumin test"),
    "albuminuria_stage": FieldText(
        "Albuminuria stage", "Microalbuminuria is an ACR of 3–30 mg/mmol."
    ),
    "total_cholesterol": FieldText("Total cholesterol (mmol/l)", "Rounded to 1 decimal place."),
    "total_cholesterol_date": _date("Date of the cholesterol test"),
    "thyroid_function_date": _date(
        "Date of the thyroid function test",
        shown_when="Needed if the thyroid treatment is thyroxine (2) or an antithyroid drug (3)",
    ),
    "thyroid_treatment_status": FieldText(
        "Thyroid treatment", "Prescribed at the time of, or after, the thyroid function test."
    ),
    "coeliac_screen_date": _date("Date of coeliac disease screening"),
    "gluten_free_diet": FieldText("Recommended a gluten-free diet"),
    "psychological_screening_assessment_date": _date(
        "Date of psychological screening assessment", shown_when=_PSYCHOLOGY_SCREENING
    ),
    "psychological_additional_support_status": FieldText(
        "Needs extra psychological or CAMHS support",
        "Assessed as needing support outside MDT clinics.",
    ),
    "smoking_status": FieldText("Smoking status"),
    "smoking_cessation_referral_date": _date(
        "Date a smoking cessation referral was offered",
        shown_when="Only if the child is a current smoker (2)",
    ),
    "carbohydrate_counting_level_three_education_date": _date(
        "Date of level 3 carbohydrate counting education"
    ),
    "dietician_additional_appointment_offered": FieldText(
        "Offered an extra dietitian appointment",
        "An additional appointment with a paediatric dietitian.",
    ),
    "dietician_additional_appointment_date": _date(
        "Date of the extra dietitian appointment",
        shown_when="Not if the answer on the offer of an extra dietitian appointment is No (2)",
    ),
    "ketone_meter_training": FieldText(
        "Using, or trained to use, blood ketone testing", "At the time of the visit."
    ),
    "flu_immunisation_recommended_date": _date("Date flu immunisation was recommended"),
    "sick_day_rules_training_date": _date(
        "Date of sick-day rules advice",
        "Advice on managing diabetes during illness or high blood glucose (hyperglycaemia).",
    ),
    # Inpatient entry
    "hospital_admission_date": _date(
        "Date of hospital admission",
        "The start of the hospital stay (hospital provider spell). Give the reason for "
        "admission as well.",
    ),
    "hospital_discharge_date": _date(
        "Date of hospital discharge", "Not before the admission date.", _WITH_ADMISSION
    ),
    "hospital_admission_reason": FieldText(
        "Reason for admission", "Give the admission date as well."
    ),
    "dka_additional_therapies": FieldText(
        "Extra therapies during the DKA admission",
        shown_when="Only if the reason for admission is diabetic ketoacidosis (DKA) (2)",
    ),
    "hospital_admission_other": FieldText(
        "Other reason for admission", "Up to 500 characters.", _REASON_OTHER
    ),
}

# The 2026 dataset: only what is new or worded differently (data-dictionary §10, csv-submission
# Appendix A and B).
FIELD_TEXT_2026: dict[str, FieldText] = {
    # Patient
    "sex": FieldText("Sex assigned at birth"),
    "adhd_asd_status": FieldText(
        "ADHD or autism (ASD) diagnosis",
        "Attention deficit hyperactivity disorder or autism spectrum disorder.",
    ),
    "learning_disability_status": FieldText("Learning disability diagnosis"),
    # HbA1c: mmol/mol only (Appendix B rule 4)
    "hba1c": FieldText("HbA1c (mmol/mol)", "Enter every HbA1c result of the year."),
    # Treatment and glucose monitoring
    "insulin_regimen": FieldText("Insulin regimen", "At the time of the visit."),
    "non_insulin_medication": FieldText(
        "Other (non-insulin) blood glucose lowering medicine", "At the time of the visit."
    ),
    "dietary_lifestyle_modification": FieldText(
        "Lifestyle and dietary changes recommended", "To lower blood glucose levels."
    ),
    "cgm_use": FieldText("Using a continuous glucose monitor (CGM)", "At the time of the visit."),
    "immunotherapy_received": FieldText(
        "Immunotherapy received", "Before or after the diagnosis of stage 3 type 1 diabetes."
    ),
    "immunotherapy_date": _date(
        "Date immunotherapy started", "This may be before the date of diagnosis."
    ),
    # Smoking and vaping (Appendix B rule 5)
    "smoking_vaping_status": FieldText("Smoking and vaping status"),
    "smoking_cessation_referral_date": _date(
        "Date smoking cessation advice was offered",
        shown_when="Only if the child smokes: smokes but does not vape (2) or smokes and vapes (4)",
    ),
    # Psychology
    "psychological_screening_assessment_date": _date(
        "Date of the annual psychological screening", shown_when=_PSYCHOLOGY_SCREENING
    ),
    "psychological_additional_support_status": FieldText(
        "Needs extra psychological support",
        "Assessed at the annual psychological screening as needing support outside routine care.",
    ),
    "psychological_support_outcome": FieldText(
        "Offered an appointment with a mental health professional",
        "An additional appointment as part of the diabetes MDT.",
    ),
    # Dietitian
    "dietician_additional_appointment_offered": FieldText(
        "Offered an extra dietitian appointment",
        "An additional appointment with a paediatric dietitian during the audit year.",
    ),
    # Inpatient entry (Appendix B rules 6 and 7)
    "hospital_admission_reason_2026": FieldText(
        "Reason for admission", "Give the admission date as well."
    ),
    "dka_additional_therapies": FieldText(
        "Extra therapies during the DKA admission",
        shown_when="Only if the reason for admission is acute DKA (1)",
    ),
    "blood_gas_ph": FieldText(
        "Initial blood pH at admission",
        "The first blood pH on admission, rounded to 3 decimal places.",
        _WITH_ADMISSION,
    ),
    "blood_gas_bicarbonate": FieldText(
        "Initial standard bicarbonate at admission (mmol/l)",
        "The first standard bicarbonate on admission, rounded to 2 decimal places.",
        _WITH_ADMISSION,
    ),
}


def field_text(field: str, dataset_year: int) -> FieldText:
    """The words of a field for a dataset year: the 2026 wording where it differs, else 2021's.
    An unknown field is a KeyError."""
    if dataset_year >= 2026 and field in FIELD_TEXT_2026:
        return FIELD_TEXT_2026[field]
    return FIELD_TEXT[field]
