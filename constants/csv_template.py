"""The NPDA CSV upload templates: 2021 (csv-submission.md §2 and §3.2) and 2026 (Appendix A
and B). An audit period's dataset year picks its template (`template_for`).

One entry per template column, in template order: the exact heading, the model and field it
fills, its type, and the alternative headings accepted. Headings are matched after
`normalise_heading`.
"""

import re
import unicodedata
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import cached_property


class ColumnType(StrEnum):
    TEXT = "text"
    DATE = "date"
    CODE = "code"
    DECIMAL_1DP = "decimal_1dp"  # rounded half-up to 1 dp
    DECIMAL_2DP = "decimal_2dp"  # HbA1c, kept to 2 dp; bicarbonate rounded half-up to 2 dp
    DECIMAL_3DP = "decimal_3dp"  # blood pH, rounded half-up to 3 dp
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
    short: str = ""  # the name used in messages, for a long question

    @property
    def short_heading(self) -> str:
        """The heading as used in messages: long questions are shortened."""
        return self.short or self.heading.strip()


P, S, V, SUB = Target.PATIENT, Target.SITE, Target.VISIT, Target.SUBMISSION
T = ColumnType

NHS_NUMBER_HEADING = "NHS Number"
UNIQUE_REFERENCE_NUMBER_HEADING = "Unique Reference Number"
JERSEY_PZ_CODE = "PZ248"
IDENTIFIER_MAX_LENGTH = 50  # NHS number or Jersey URN as stored; longer values are cut

_COLUMNS_2021: tuple[Column, ...] = (
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


_SHORT_2021 = {
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


@dataclass(frozen=True)
class Template:
    """One dataset year's upload template: its columns in order (the first is the identifier)
    and how many of them are patient-level (read from each child's first row)."""

    dataset_year: int
    columns: tuple[Column, ...]
    patient_level_count: int

    def __hash__(self) -> int:
        # One template per dataset year; caches keyed on a template hash it for every row, and
        # the generated hash would walk all its columns each time.
        return hash(self.dataset_year)

    @property
    def name(self) -> str:
        return f"{self.dataset_year} template"

    @property
    def description(self) -> str:
        """As messages name it: "2026 template (59 columns)"."""
        return f"{self.name} ({len(self.columns)} columns)"

    @cached_property
    def by_field(self) -> dict[str, Column]:
        return {column.field: column for column in (*self.columns, UNIQUE_REFERENCE_NUMBER_COLUMN)}

    @cached_property
    def patient_fields(self) -> tuple[str, ...]:
        """Patient-level fields, without the identifier."""
        return tuple(c.field for c in self.columns[1 : self.patient_level_count])

    @cached_property
    def fields(self) -> frozenset[str]:
        return frozenset(self.by_field)

    def headings(self, jersey: bool = False) -> list[str]:
        """The header row of a template file (Jersey's has the Unique Reference Number)."""
        first = UNIQUE_REFERENCE_NUMBER_HEADING if jersey else NHS_NUMBER_HEADING
        return [first, *(column.heading for column in self.columns[1:])]

    def label(self, field_name: str) -> str:
        return self.by_field[field_name].short_heading


TEMPLATE_2021 = Template(
    2021,
    tuple(replace(c, short=_SHORT_2021.get(c.number, "")) for c in _COLUMNS_2021),
    patient_level_count=12,
)


def _kept(field_name: str, number: int, *, aliases: bool = True, short: str = "") -> Column:
    """A 2021 column the 2026 template keeps, at its 2026 place. Appendix B rule 2: only the
    columns 1, 2, 5, 9, 12, 15, 31, 40, 46, 50 and 57 keep their alternative headings."""
    column = TEMPLATE_2021.by_field[field_name]
    return replace(
        column,
        number=number,
        heading=column.heading.strip(),  # as Appendix A prints it (2021's 34 had a space)
        aliases=column.aliases if aliases else (),
        short=short or column.short,
    )


def _new(number: int, heading: str, target: Target, field_name: str, type_: ColumnType, short=""):
    return Column(number, heading, target, field_name, type_, (), short)


# Appendix A: 59 columns. Headings in italics there (new or reworded) are `_new`.
_COLUMNS_2026: tuple[Column, ...] = (
    _kept("nhs_number", 1),
    _kept("date_of_birth", 2),
    _kept("postcode", 3),
    _new(4, "Sex assigned at birth", P, "sex", T.SEX),
    _kept("ethnicity", 5),
    _new(
        6,
        "Has the patient had a diagnosis of Attention Deficit Hyperactivity Disorder (ADHD) or "
        "Autism Spectrum Disorder (ASD)?",
        P,
        "adhd_asd_status",
        T.CODE,
        "ADHD or ASD diagnosis",
    ),
    _new(
        7,
        "Does the patient have a diagnosis of a learning disability?",
        P,
        "learning_disability_status",
        T.CODE,
        "Learning disability diagnosis",
    ),
    _kept("diabetes_type", 8),
    _kept("diagnosis_date", 9),
    _kept("date_leaving_service", 10),
    _kept("reason_leaving_service", 11),
    _kept("death_date", 12),
    _kept("gp_practice_ods_code", 13),
    _kept("paediatric_diabetes_unit", 14),
    _kept("visit_date", 15),
    _kept("height", 16),
    _kept("weight", 17),
    _kept("height_weight_observation_date", 18),
    _kept("hba1c", 19),
    _new(20, "Observation Date: HbA1c Value", V, "hba1c_date", T.DATE),
    _new(21, "Insulin regime at time of visit", V, "insulin_regimen", T.CODE, "Insulin regime"),
    _new(
        22,
        "Other (non-insulin) blood glucose lowering medication at time of visit",
        V,
        "non_insulin_medication",
        T.CODE,
        "Non-insulin medication",
    ),
    _new(
        23,
        "Has lifestyle and dietary modification been recommended to reduce blood glucose levels?",
        V,
        "dietary_lifestyle_modification",
        T.CODE,
        "Lifestyle and dietary modification",
    ),
    _new(
        24,
        "Was the patient using a continuous glucose monitor (CGM) at time of visit?",
        V,
        "cgm_use",
        T.CODE,
        "CGM in use",
    ),
    _kept("ketone_meter_training", 25, aliases=False),
    _new(
        26,
        "Did the patient receive immunotherapy prior to or after the diagnosis of stage 3 Type 1 "
        "diabetes?",
        V,
        "immunotherapy_received",
        T.CODE,
        "Immunotherapy received",
    ),
    _new(27, "Date immunotherapy started", V, "immunotherapy_date", T.DATE),
    _kept("systolic_blood_pressure", 28),
    _kept("diastolic_blood_pressure", 29),
    _kept("blood_pressure_observation_date", 30),
    _kept("foot_examination_observation_date", 31),
    _kept("retinal_screening_observation_date", 32),
    _kept("retinal_screening_result", 33),
    _kept("albumin_creatinine_ratio", 34),
    _kept("albumin_creatinine_ratio_date", 35),
    _kept("albuminuria_stage", 36),
    _kept("total_cholesterol", 37),
    _kept("total_cholesterol_date", 38),
    _kept("thyroid_function_date", 39),
    _kept("thyroid_treatment_status", 40),
    _kept("coeliac_screen_date", 41),
    _kept("gluten_free_diet", 42, aliases=False),
    _new(43, "Does the patient smoke and/or vape", V, "smoking_vaping_status", T.CODE),
    _new(
        44,
        "Date of offer of smoking cessation advice (if patient is a current smoker)",
        V,
        "smoking_cessation_referral_date",
        T.DATE,
        "Smoking cessation advice date",
    ),
    _kept("flu_immunisation_recommended_date", 45, aliases=False),
    _kept("sick_day_rules_training_date", 46),
    _new(
        47,
        "Date of Annual Psychological Screening Assessment",
        V,
        "psychological_screening_assessment_date",
        T.DATE,
    ),
    _new(
        48,
        "Following annual psychological screening, was the patient assessed as requiring "
        "additional psychological support outside of routine care?",
        V,
        "psychological_additional_support_status",
        T.CODE,
        "Additional psychological support",
    ),
    _new(
        49,
        "Was the patient offered an additional appointment with a mental health professional as "
        "part of the diabetes MDT?",
        V,
        "psychological_support_outcome",
        T.CODE,
        "Mental health appointment offered",
    ),
    _kept("carbohydrate_counting_level_three_education_date", 50),
    _new(
        51,
        "Was the patient offered an additional appointment with a paediatric dietitian during "
        "the audit year?",
        V,
        "dietician_additional_appointment_offered",
        T.CODE,
        "Offered additional dietitian appointment",
    ),
    _kept("dietician_additional_appointment_date", 52),
    _kept("hospital_admission_date", 53),
    _kept("hospital_discharge_date", 54),
    _new(55, "Reason for admission", V, "hospital_admission_reason_2026", T.CODE),
    _kept("hospital_admission_other", 56),
    _kept("dka_additional_therapies", 57),
    _new(58, "Initial pH at admission", V, "blood_gas_ph", T.DECIMAL_3DP, "Initial pH"),
    _new(
        59,
        "Initial Standard bicarbonate at admission (mmol/l)",
        V,
        "blood_gas_bicarbonate",
        T.DECIMAL_2DP,
        "Initial bicarbonate",
    ),
)

TEMPLATE_2026 = Template(2026, _COLUMNS_2026, patient_level_count=14)
TEMPLATES = {template.dataset_year: template for template in (TEMPLATE_2021, TEMPLATE_2026)}


def template_for(dataset_year: int) -> Template:
    """The template of an audit period's dataset year (Appendix B rule 1)."""
    return TEMPLATES[dataset_year]
