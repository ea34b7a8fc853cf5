"""The NPDA 2021 CSV upload template (csv-submission.md §2 and §3.2).

One entry per template column, in template order: the exact heading, the model and field it
fills, its type, and the alternative headings accepted. Headings are matched after
`normalise_heading`.
"""

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class ColumnType(StrEnum):
    TEXT = "text"
    DATE = "date"
    CODE = "code"
    DECIMAL_1DP = "decimal_1dp"  # rounded half-up to 1 dp
    DECIMAL_2DP = "decimal_2dp"  # HbA1c, kept to 2 dp
    WHOLE_NUMBER = "whole_number"  # blood pressure
    SEX = "sex"  # code with text values and legacy codes
    ETHNICITY = "ethnicity"  # letter code
    NHS_NUMBER = "nhs_number"
    PDU_NUMBER = "pdu_number"


class Target(StrEnum):
    PATIENT = "patient"
    SITE = "site"  # the Transfer record: leaving date and reason
    VISIT = "visit"
    SUBMISSION = "submission"  # the PDU Number, checked against the unit


@dataclass(frozen=True)
class Column:
    number: int
    heading: str
    target: Target
    field: str
    type: ColumnType
    aliases: tuple[str, ...] = ()

    @property
    def short_heading(self) -> str:
        """The heading as used in messages: long questions are shortened."""
        return SHORT_HEADINGS.get(self.number, self.heading.strip())


P, S, V, SUB = Target.PATIENT, Target.SITE, Target.VISIT, Target.SUBMISSION
T = ColumnType

NHS_NUMBER_HEADING = "NHS Number"
UNIQUE_REFERENCE_NUMBER_HEADING = "Unique Reference Number"
JERSEY_PZ_CODE = "PZ248"
IDENTIFIER_MAX_LENGTH = 50  # NHS number or Jersey URN as stored; longer values are cut

COLUMNS: tuple[Column, ...] = (
    Column(1, NHS_NUMBER_HEADING, P, "nhs_number", T.NHS_NUMBER, ("NHSNumber",)),
    Column(2, "Date of Birth", P, "date_of_birth", T.DATE, ("DOB",)),
    Column(3, "Postcode of usual address", P, "postcode", T.TEXT),
    Column(4, "Stated gender", P, "sex", T.SEX),
    Column(5, "Ethnic Category", P, "ethnicity", T.ETHNICITY, ("Ethnic cateogry",)),
    Column(6, "Diabetes Type", P, "diabetes_type", T.CODE),
    Column(7, "Date of Diabetes Diagnosis", P, "diagnosis_date", T.DATE, ("Date of Diagnosis",)),
    Column(8, "Date of leaving service", S, "date_leaving_service", T.DATE),
    Column(9, "Reason for leaving service", S, "reason_leaving_service", T.CODE),
    Column(10, "Death Date", P, "death_date", T.DATE, ("Effective Death Date",)),
    Column(11, "GP Practice Code", P, "gp_practice_ods_code", T.TEXT),
    Column(12, "PDU Number", SUB, "paediatric_diabetes_unit", T.PDU_NUMBER),
    Column(13, "Visit/Appointment Date", V, "visit_date", T.DATE, ("Visit Date",)),
    Column(14, "Patient Height (cm)", V, "height", T.DECIMAL_1DP),
    Column(15, "Patient Weight (kg)", V, "weight", T.DECIMAL_1DP),
    Column(16, "Observation Date (Height and weight)", V, "height_weight_observation_date", T.DATE),
    Column(17, "Hba1c Value", V, "hba1c", T.DECIMAL_2DP),
    Column(18, "HbA1c result format", V, "hba1c_format", T.CODE, ("HB1AC Result Format",)),
    Column(19, "Observation Date: Hba1c Value", V, "hba1c_date", T.DATE),
    Column(
        20,
        "Diabetes Treatment at time of Hba1c measurement",
        V,
        "treatment",
        T.CODE,
        ("Diabetes Treatment at the time of HbA1c measurement",),
    ),
    Column(
        21,
        "If treatment included insulin pump therapy (i.e. option 3 or 6 selected), was "
        "this part of a closed loop system?",
        V,
        "closed_loop_system",
        T.CODE,
        (
            "If treatment included insulin pump therapy (i.e. option 3 or 6 selected), was "
            "this as part of a closed loop system?)",
        ),
    ),
    Column(
        22,
        "At the time of HbA1c measurement, in addition to standard blood glucose "
        "monitoring (SBGM), was the patient using any other method of glucose monitoring?",
        V,
        "glucose_monitoring",
        T.CODE,
        (
            "At the time of HbA1c measurement, was the patient using any other method of "
            "glucose monitoring?",
        ),
    ),
    Column(23, "Systolic Blood Pressure", V, "systolic_blood_pressure", T.WHOLE_NUMBER),
    Column(24, "Diastolic Blood pressure", V, "diastolic_blood_pressure", T.WHOLE_NUMBER),
    Column(25, "Observation Date (Blood Pressure)", V, "blood_pressure_observation_date", T.DATE),
    Column(
        26,
        "Foot Assessment / Examination Date",
        V,
        "foot_examination_observation_date",
        T.DATE,
        ("Foot Assessment/Examination Date",),
    ),
    Column(27, "Retinal Screening date", V, "retinal_screening_observation_date", T.DATE),
    Column(28, "Retinal Screening Result", V, "retinal_screening_result", T.CODE),
    Column(29, "Urinary Albumin Level (ACR)", V, "albumin_creatinine_ratio", T.DECIMAL_1DP),
    Column(
        30, "Observation Date: Urinary Albumin Level", V, "albumin_creatinine_ratio_date", T.DATE
    ),
    Column(31, "Albuminuria Stage", V, "albuminuria_stage", T.CODE),
    Column(32, "Total Cholesterol Level (mmol/l)", V, "total_cholesterol", T.DECIMAL_1DP),
    Column(33, "Observation Date: Total Cholesterol Level", V, "total_cholesterol_date", T.DATE),
    Column(34, "Observation Date: Thyroid Function ", V, "thyroid_function_date", T.DATE),
    Column(
        35,
        "At time of, or following measurement of thyroid function, was the patient "
        "prescribed any thyroid treatment?",
        V,
        "thyroid_treatment_status",
        T.CODE,
        (
            "At the time of, or following measurement of thyroid function, was the patient "
            "prescribed any thyroid treatment?",
        ),
    ),
    Column(36, "Observation Date: Coeliac Disease Screening", V, "coeliac_screen_date", T.DATE),
    Column(
        37, "Has the patient been recommended a Gluten-free diet?", V, "gluten_free_diet", T.CODE
    ),
    Column(
        38,
        "Observation Date - Psychological Screening Assessment",
        V,
        "psychological_screening_assessment_date",
        T.DATE,
        ("Observation Date -Psychological Assessment Screening",),
    ),
    Column(
        39,
        "Was the patient assessed as requiring additional psychological/CAMHS support "
        "outside of MDT clinics?",
        V,
        "psychological_additional_support_status",
        T.CODE,
    ),
    Column(40, "Does the patient smoke?", V, "smoking_status", T.CODE),
    Column(
        41,
        "Date of offer of referral to smoking cessation service (if patient is a current smoker)",
        V,
        "smoking_cessation_referral_date",
        T.DATE,
    ),
    Column(
        42,
        "Date of Level 3 carbohydrate counting education received",
        V,
        "carbohydrate_counting_level_three_education_date",
        T.DATE,
        ("Date Level 3 carbohydrate counting education received",),
    ),
    Column(
        43,
        "Was the patient offered an additional appointment with a paediatric dietitian?",
        V,
        "dietician_additional_appointment_offered",
        T.CODE,
    ),
    Column(
        44,
        "Date of additional appointment with dietitian",
        V,
        "dietician_additional_appointment_date",
        T.DATE,
    ),
    Column(
        45,
        "Was the patient using (or trained to use) blood ketone testing equipment at time "
        "of visit?",
        V,
        "ketone_meter_training",
        T.CODE,
    ),
    Column(
        46,
        "Date that influenza immunisation was recommended",
        V,
        "flu_immunisation_recommended_date",
        T.DATE,
    ),
    Column(
        47,
        "Date of provision of advice ('sick-day rules') about managing diabetes during "
        "intercurrent illness or episodes of hyperglycaemia",
        V,
        "sick_day_rules_training_date",
        T.DATE,
        (
            "Date of provision of advice('sick-day rules') about managing diabetes during "
            "intercurrent illness or episodes of hyperglycaemia",
        ),
    ),
    Column(48, "Start date (Hospital Provider Spell)", V, "hospital_admission_date", T.DATE),
    Column(49, "Discharge date (Hospital provider spell)", V, "hospital_discharge_date", T.DATE),
    Column(50, "Reason for admission", V, "hospital_admission_reason", T.CODE),
    Column(
        51,
        "Only complete if DKA selected in previous question: During this DKA admission did "
        "the patient receive any of the following therapies?",
        V,
        "dka_additional_therapies",
        T.CODE,
        ("During this DKA admission did the patient receive any of the following therapies?",),
    ),
    Column(
        52,
        "Only complete if OTHER selected: Reason for admission (free text)",
        V,
        "hospital_admission_other",
        T.TEXT,
    ),
)

# Jersey's template has this heading in column 1 instead of the NHS Number.
UNIQUE_REFERENCE_NUMBER_COLUMN = Column(
    1, UNIQUE_REFERENCE_NUMBER_HEADING, P, "unique_reference_number", T.TEXT
)

SHORT_HEADINGS = {
    21: "Closed-loop system",
    22: "Glucose monitoring",
    35: "Thyroid treatment",
    37: "Gluten-free diet",
    39: "Additional psychological support",
    41: "Smoking cessation referral date",
    42: "Level 3 carbohydrate counting date",
    43: "Offered additional dietitian appointment",
    45: "Blood ketone testing",
    46: "Flu immunisation recommended date",
    47: "Sick-day rules advice date",
    51: "DKA therapies",
    52: "Reason for admission (free text)",
}

COLUMNS_BY_FIELD = {column.field: column for column in COLUMNS}
PATIENT_LEVEL_NUMBERS = range(1, 13)  # read from each child's first row

_FOOTNOTE = re.compile(r"[†‡*]+$")
_SPACES = re.compile(r"\s+")


def normalise_heading(heading: str) -> str:
    """csv-submission.md §3.1: BOM, quotes, Unicode spaces, footnote markers, case."""
    text = heading.replace("\ufeff", "")
    text = "".join(" " if unicodedata.category(ch) == "Zs" else ch for ch in text)
    text = _SPACES.sub(" ", text).strip()
    while len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    text = _FOOTNOTE.sub("", text).strip()
    return text.casefold()


def template_headings(jersey: bool = False) -> list[str]:
    """The header row of a template file (Jersey's has the Unique Reference Number)."""
    first = UNIQUE_REFERENCE_NUMBER_HEADING if jersey else NHS_NUMBER_HEADING
    return [first, *(column.heading for column in COLUMNS[1:])]
