"""Row-level validation (csv-submission.md §6, and Appendix B for the 2026 template): typed
values plus errors, never a rejection.

Values that fail a type or code check become null; values that fail a range or consistency
check are kept as submitted and flagged. Errors are keyed by model field name. Each template
has its own paired-field rules (`PAIRED_RULES`); messages name columns by that template's
headings.
"""

import functools
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from constants import codes
from constants.csv_template import (
    NHS_NUMBER_HEADING,
    TEMPLATE_2021,
    TEMPLATE_2026,
    UNIQUE_REFERENCE_NUMBER_HEADING,
    Column,
    ColumnType,
    Target,
    Template,
)
from npda.data_model.models import Patient, Site, Visit
from npda.submissions import cells, messages
from npda.submissions.cells import CellError
from npda.submissions.messages import ROW
from npda.submissions.records import Errors, add_error

_MODELS = {Target.PATIENT: Patient, Target.SITE: Site, Target.VISIT: Visit}
# Dates allowed before the diagnosis date, and by how many days (§6.2).
BEFORE_DIAGNOSIS_ALLOWANCE = {
    "hospital_admission_date": 11,
    "coeliac_screen_date": 90,
    "thyroid_function_date": 90,
    "carbohydrate_counting_level_three_education_date": 7,
}
# Appendix B rule 8: immunotherapy delays stage 3 disease, so it may start before diagnosis.
NO_DIAGNOSIS_LIMIT = frozenset({"immunotherapy_date"})
DECIMAL_PLACES = {ColumnType.DECIMAL_1DP: 1, ColumnType.DECIMAL_2DP: 2, ColumnType.DECIMAL_3DP: 3}
# Accepted ranges (inclusive) and the error shown when a value is outside (§6.3).
RANGES = {
    "systolic_blood_pressure": (80, 240, "Systolic blood pressure", "mmHg"),
    "diastolic_blood_pressure": (20, 120, "Diastolic blood pressure", "mmHg"),
    "albumin_creatinine_ratio": (0, 999, "Urinary albumin:creatinine ratio", "mg/mmol"),
    "total_cholesterol": (2, 12, "Total cholesterol", "mmol/l"),
}
HBA1C_RANGES = {  # by result format: 1 mmol/mol, 2 %
    1: (*codes.HBA1C_MMOL_PER_MOL_RANGE, "E12_MMOL"),
    2: (*codes.HBA1C_PERCENT_RANGE, "E12_PERCENT"),
}
SMALLINT_MAX = 32767


@functools.cache
def visit_date_fields(template: Template) -> tuple[str, ...]:
    return tuple(
        c.field for c in template.columns if c.target == Target.VISIT and c.type == ColumnType.DATE
    )


@functools.cache
def allowed_codes(column: Column) -> dict[int | str, str]:
    """The column's code list (from the model field's choices); cached: it is read per cell."""
    field = _MODELS[column.target]._meta.get_field(column.field)
    return dict(field.choices)


@functools.cache
def _allowed_code_set(column: Column) -> frozenset[int | str]:
    return frozenset(allowed_codes(column))


ETHNICITY_CODES = frozenset(codes.Ethnicity.values)


def error(errors: Errors, field_name: str, code: str, key: str | None = None, **values) -> None:
    add_error(errors, field_name, code, ROW[key or code].format(**values))


@functools.cache
def _capacity(column: Column) -> Decimal:
    """Largest value a decimal column can hold (model max_digits / decimal_places)."""
    field = Visit._meta.get_field(column.field)
    return Decimal(10) ** (field.max_digits - field.decimal_places)


def _code_error(errors: Errors, column: Column, raw: str) -> None:
    allowed = ", ".join(f"{code} = {label}" for code, label in allowed_codes(column).items())
    error(errors, column.field, "E20", value=raw, column=column.short_heading, allowed=allowed)


def parse_cell(
    column: Column, raw: str, today: date, errors: Errors, template: Template = TEMPLATE_2021
):
    """The typed value of one non-blank cell, or None with an error recorded."""
    try:
        match column.type:
            case ColumnType.DATE:
                return cells.parse_date(raw, today)
            case ColumnType.CODE:
                legacy = {9: 99} if column.field == "treatment" else None
                return cells.parse_code(raw, _allowed_code_set(column), legacy)
            case ColumnType.SEX:
                return cells.parse_sex(raw)
            case ColumnType.ETHNICITY:
                return cells.parse_ethnicity(raw, ETHNICITY_CODES)
            case ColumnType.DECIMAL_1DP | ColumnType.DECIMAL_2DP | ColumnType.DECIMAL_3DP:
                value = cells.parse_decimal(raw, DECIMAL_PLACES[column.type])
                if abs(value) >= _capacity(column):
                    _out_of_capacity(column, value, errors, template)
                    return None
                return value
            case ColumnType.WHOLE_NUMBER:
                value = cells.parse_whole_number(raw)
                if abs(value) > SMALLINT_MAX:
                    _out_of_capacity(column, value, errors, template)
                    return None
                return value
            case _:  # free text: kept to what the field holds (an admission's "other" reason)
                return raw[: _MODELS[column.target]._meta.get_field(column.field).max_length]
    except CellError as exc:
        if exc.code == "E20":
            _code_error(errors, column, raw)
        else:
            error(errors, column.field, exc.code, column=column.short_heading)
        return None


def _out_of_capacity(column: Column, value, errors: Errors, template: Template) -> None:
    """Too large to store at all: stored as null with the field's range error (a number error
    where no range applies)."""
    if column.field in ("height", "weight"):
        error(errors, column.field, "E14", measure=column.field, value=value)
    elif column.field == "hba1c":
        error(errors, "hba1c", "E12", _mmol_message(template), value=value)
    elif column.field not in RANGES:  # pH and bicarbonate: no agreed range (Appendix B rule 7)
        error(errors, column.field, "E21", "E21_TOO_LARGE", column=column.short_heading,
              value=value)  # fmt: skip
    else:
        low, high, name, unit = RANGES[column.field]
        error(errors, column.field, "E13", field=name, value=value, low=low, high=high, unit=unit)


# --- patient level ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChildDates:
    """The child's valid dates, for checking visit dates."""

    birth: date | None
    diagnosis: date | None
    death: date | None


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


PATIENT_CODED_FIELDS = (
    "date_of_birth",
    "sex",
    "ethnicity",
    "diabetes_type",
    "diagnosis_date",
    "death_date",
    "adhd_asd_status",  # 2026
    "learning_disability_status",  # 2026
)


# Patient-level values other than the identifier, in the order their errors are listed.
PATIENT_VALUE_FIELDS = (
    *PATIENT_CODED_FIELDS,
    "postcode",
    "gp_practice_ods_code",
    "date_leaving_service",
    "reason_leaving_service",
)
SITE_VALUE_FIELDS = ("date_leaving_service", "reason_leaving_service")
# In the web form only (csv-submission.md §6.1): the GP practice's postcode in place of its
# code (the code is looked up from it when a GP directory is reachable).
WEB_FORM_PATIENT_FIELDS = ("gp_practice_postcode",)
REQUIRED_PATIENT_FIELDS = ("date_of_birth", "diabetes_type", "diagnosis_date")


@dataclass(frozen=True, slots=True)
class PatientContext:
    """What a patient-level value is judged against besides itself."""

    template: Template
    jersey: bool
    period_start: date
    today: date


def check_patient_value(name: str, raw: str, context: PatientContext) -> tuple[object, Errors]:
    """One non-blank patient-level cell on its own: its typed value and its own errors (format,
    code, a date in the future, an age of 25 or more, postcode, GP practice code). A value with
    an error here is not a valid value (csv-submission.md §5.6); one that fails a range check
    is still returned, as submitted, with its error."""
    errors: Errors = {}
    template, today = context.template, context.today
    if name in ("postcode", "gp_practice_postcode"):
        value = cells.normalise_postcode(raw)[:8]
        try:
            cells.check_postcode(cells.normalise_postcode(raw))
        except CellError:
            error(errors, name, "E09", value=raw)
        return value, errors
    if name == "gp_practice_ods_code":
        if not context.jersey:  # Jersey practices are not in the NHS directory
            try:
                cells.check_gp_practice_code(raw)
            except CellError:
                error(errors, name, "E07", practice=raw)
        return raw.upper()[:10], errors
    value = parse_cell(template.by_field[name], raw, today, errors, template)
    if isinstance(value, date) and value > today:
        error(errors, name, "E02", column=template.label(name))
    elif name == "date_of_birth" and value and age_on(value, context.period_start) >= 25:
        start = context.period_start
        error(errors, name, "E03", age=age_on(value, start), start_date=f"{start:%d/%m/%Y}")
    return value, errors


def validate_patient(
    raw: dict[str, str | None],
    *,
    template: Template,
    jersey: bool,
    period_start: date,
    today: date,
) -> tuple[dict, dict, Errors]:
    """(patient fields, site fields, errors) of one set of patient-level values, raw cells by
    field (one row of a file, or a form): each value on its own, then the child's checks."""
    context = PatientContext(template, jersey, period_start, today)
    errors: Errors = {}
    values: dict = {}
    for name in (*PATIENT_VALUE_FIELDS, *WEB_FORM_PATIENT_FIELDS):
        if (name in template.fields or name in WEB_FORM_PATIENT_FIELDS) and raw.get(name):
            value, own = check_patient_value(name, raw[name], context)
            merge_errors(errors, own)
            if not own:  # a value with its own error is not a valid value (§5.6), as in a file
                values[name] = value
    given = {name for name in (*template.fields, *WEB_FORM_PATIENT_FIELDS) if raw.get(name)}
    fields, site = check_child(raw, values, given, errors, context)
    return fields, site, errors


def merge_errors(errors: Errors, more: Errors) -> None:
    for name, problems in more.items():
        errors.setdefault(name, []).extend(problems)


def check_child(
    raw: dict[str, str | None],
    values: dict,
    given: Collection[str],
    errors: Errors,
    context: PatientContext,
) -> tuple[dict, dict]:
    """The child's own checks, on the values kept for it (`values`, by field; `given`: the
    fields some row gave a value for, valid or not): identifier, required fields, dates against
    each other, GP practice given, leaving date and reason together. Returns (patient fields,
    site fields)."""
    template = context.template
    fields = _identifier(raw, context.jersey, errors)
    for name in PATIENT_CODED_FIELDS:
        if name in template.fields:
            fields[name] = values.get(name)
    for name in REQUIRED_PATIENT_FIELDS:
        if name not in given:
            error(errors, name, "E10", column=template.label(name))
    _check_date_order(fields, errors)
    fields["postcode"] = values.get("postcode") or ""
    fields["gp_practice_ods_code"] = values.get("gp_practice_ods_code") or ""
    if "gp_practice_postcode" in given:  # a web form's answer (§6.1)
        fields["gp_practice_postcode"] = values.get("gp_practice_postcode") or ""
    if "gp_practice_ods_code" not in given and "gp_practice_postcode" not in given:
        error(errors, "gp_practice_ods_code", "E06")
    site = {name: values.get(name) for name in SITE_VALUE_FIELDS}
    _check_leaving(site, given, fields, errors, template)
    return fields, site


def _identifier(raw: dict, jersey: bool, errors: Errors) -> dict:
    name = "unique_reference_number" if jersey else "nhs_number"
    if not raw.get(name):  # a form left blank (a file without one is refused whole: F11)
        label = UNIQUE_REFERENCE_NUMBER_HEADING if jersey else NHS_NUMBER_HEADING
        error(errors, name, "E10", column=label)
        return {name: None, "nhs_number": None}
    if jersey:
        urn = cells.identifier_key(raw["unique_reference_number"], "unique_reference_number")
        return {"unique_reference_number": urn, "nhs_number": None}
    nhs = cells.identifier_key(raw["nhs_number"], "nhs_number")
    try:
        cells.check_nhs_number(nhs)
    except CellError:
        error(errors, "nhs_number", "E08", value=nhs)
    return {"nhs_number": nhs}


def _check_date_order(fields: dict, errors: Errors) -> None:
    birth, diagnosis, death = (fields[n] for n in ("date_of_birth", "diagnosis_date", "death_date"))
    if birth and diagnosis and diagnosis < birth:
        error(errors, "diagnosis_date", "E04")
    if death and ((birth and death < birth) or (diagnosis and death < diagnosis)):
        error(errors, "death_date", "E05")


def _check_leaving(
    site: dict, given: Collection[str], patient: dict, errors: Errors, template: Template
) -> None:
    """A date given without a reason, or a reason without a date, needs the other (E15: an
    invalid one has its own error already); the date kept cannot be before the date of birth
    kept (E11)."""
    row = Row(given, site, errors, template)
    if "date_leaving_service" in given and "reason_leaving_service" not in given:
        row.pair_error("date_leaving_service", "reason_leaving_service")
    if "reason_leaving_service" in given and "date_leaving_service" not in given:
        row.pair_error("reason_leaving_service", "date_leaving_service")
    left = site["date_leaving_service"]
    if left and patient["date_of_birth"] and left < patient["date_of_birth"]:
        label = template.label("date_leaving_service")
        error(errors, "date_leaving_service", "E11", "E11_BIRTH", column=label)


def child_dates(fields: dict, errors: Errors) -> ChildDates:
    def valid(name: str) -> date | None:
        return None if name in errors else fields.get(name)

    return ChildDates(valid("date_of_birth"), valid("diagnosis_date"), valid("death_date"))


def child_dates_of(patient: Patient) -> ChildDates:
    """A stored child's valid dates (a date with an error is not used)."""
    names = ("date_of_birth", "diagnosis_date", "death_date")
    return child_dates({n: getattr(patient, n) for n in names}, patient.errors or {})


def out_of_period(visit_date: date | None, period) -> str:
    """W01's words for a contact dated outside the audit year (kept; it does not count)."""
    if visit_date is None or period.start_date <= visit_date <= period.end_date:
        return ""
    return messages.WARNING["W01"].format(date=f"{visit_date:%d/%m/%Y}", period=str(period))


# --- visit level ------------------------------------------------------------------------------


def validate_visit(
    raw: dict[str, str], child: ChildDates, today: date, template: Template
) -> tuple[dict, Errors]:
    """Typed values (non-null only) and errors for one row; `raw` holds its non-blank cells."""
    errors: Errors = {}
    fields = {}
    for name, text in raw.items():
        value = parse_cell(template.by_field[name], text, today, errors, template)
        if value is not None:
            fields[name] = value
    if "visit_date" not in raw:
        error(errors, "visit_date", "E10", column=template.label("visit_date"))
    _check_visit_dates(fields, errors, child, today, template)
    _check_ranges(fields, errors, template)
    row = Row(raw.keys(), fields, errors, template)
    for rule in PAIRED_RULES[template.dataset_year]:
        rule(row)
    return fields, errors


def _check_visit_dates(
    fields: dict, errors: Errors, child: ChildDates, today: date, template: Template
) -> None:
    # A result or admission dated before diagnosis may be the row's visit date too (§1.1); a
    # row recording immunotherapy, with no limit (Appendix B rule 8).
    visit_allowance = max(
        (days for name, days in BEFORE_DIAGNOSIS_ALLOWANCE.items() if name in fields), default=0
    )
    visit_exempt = bool(NO_DIAGNOSIS_LIMIT & fields.keys())
    for name in visit_date_fields(template):
        value = fields.get(name)
        if value is None:
            continue
        label = template.label(name)
        if value > today:
            error(errors, name, "E02", column=label)
        elif child.birth and value < child.birth:
            error(errors, name, "E11", "E11_BIRTH", column=label)
        elif child.death and value > child.death:
            error(errors, name, "E11", "E11_DEATH", column=label)
        elif (
            child.diagnosis
            and name not in NO_DIAGNOSIS_LIMIT
            and not (name == "visit_date" and visit_exempt)
        ):
            allowance = (
                visit_allowance if name == "visit_date" else BEFORE_DIAGNOSIS_ALLOWANCE.get(name, 0)
            )
            if value < child.diagnosis - timedelta(days=allowance):
                error(errors, name, "E11", "E11_DIAGNOSIS", column=label)


def _mmol_message(template: Template) -> str:
    """The 2026 template has no format column to point to (Appendix B rule 4)."""
    return "E12_MMOL_ONLY" if template is TEMPLATE_2026 else "E12_MMOL"


def _check_ranges(fields: dict, errors: Errors, template: Template) -> None:
    for name, (low, high, label, unit) in RANGES.items():
        value = fields.get(name)
        if value is not None and not low <= value <= high:
            error(errors, name, "E13", field=label, value=value, low=low, high=high, unit=unit)
    hba1c = fields.get("hba1c")
    # The 2026 template has no format column: every value is mmol/mol (Appendix B rule 4).
    hba1c_format = 1 if template is TEMPLATE_2026 else fields.get("hba1c_format")
    if hba1c is not None and hba1c_format in HBA1C_RANGES:
        low, high, key = HBA1C_RANGES[hba1c_format]
        if not low <= hba1c <= high:
            key = _mmol_message(template) if hba1c_format == 1 else key
            error(errors, "hba1c", "E12", key, value=hba1c)
    height, weight = fields.get("height"), fields.get("weight")
    if height is not None and height < 40:
        error(errors, "height", "E14", measure="height", value=height)
    if weight is not None and weight <= 0:
        error(errors, "weight", "E14", measure="weight", value=weight)


# --- paired and conditional fields (§6.4, Appendix B) -----------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """One row under check: which cells were given, their typed values, its errors, and the
    template whose headings the messages use."""

    present: Collection[str]
    fields: dict
    errors: Errors
    template: Template

    def pair_error(self, present: str, needed: str) -> None:
        label = self.template.label
        error(self.errors, needed, "E15", column_a=label(present), column_b=label(needed))

    def only_with_error(self, field: str, other: str, value: str) -> None:
        label = self.template.label
        error(
            self.errors, field, "E22", column=label(field), other_column=label(other), value=value
        )


Rule = Callable[[Row], None]


def _all_or_none(*names: str) -> Rule:
    def rule(row: Row) -> None:
        given = [n for n in names if n in row.present]
        if given:
            for name in names:
                if name not in row.present:
                    row.pair_error(given[0], name)

    return rule


def _required_when(field: str, needed: str, values: set[int]) -> Rule:
    def rule(row: Row) -> None:
        if row.fields.get(field) in values and needed not in row.present:
            row.pair_error(field, needed)

    return rule


def _height_weight(row: Row) -> None:
    date_field = "height_weight_observation_date"
    measured = [n for n in ("height", "weight") if n in row.present]
    if measured and date_field not in row.present:
        row.pair_error(measured[0], date_field)
    if date_field in row.present and not measured:
        row.pair_error(date_field, "height")


def _closed_loop(row: Row) -> None:
    treatment = row.fields.get("treatment")
    if treatment in codes.PUMP_TREATMENTS and "closed_loop_system" not in row.present:
        row.pair_error("treatment", "closed_loop_system")
    elif "closed_loop_system" in row.present and treatment not in codes.PUMP_TREATMENTS:
        error(row.errors, "closed_loop_system", "E16")


def _smoking_cessation(status_field: str, smokers: frozenset[int], key: str) -> Rule:
    """The cessation date only for a current smoker on the same row (E17)."""

    def rule(row: Row) -> None:
        if "smoking_cessation_referral_date" in row.present and (
            row.fields.get(status_field) not in smokers
        ):
            error(row.errors, "smoking_cessation_referral_date", "E17", key)

    return rule


def _dietitian(row: Row) -> None:
    if (
        row.fields.get("dietician_additional_appointment_offered") == codes.YesNoUnknown.NO
        and "dietician_additional_appointment_date" in row.present
    ):
        error(row.errors, "dietician_additional_appointment_date", "E18")


def _admission(row: Row) -> None:
    start = row.fields.get("hospital_admission_date")
    end = row.fields.get("hospital_discharge_date")
    if "hospital_discharge_date" in row.present and "hospital_admission_date" not in row.present:
        row.pair_error("hospital_discharge_date", "hospital_admission_date")
    if start and end and start > end:
        error(row.errors, "hospital_discharge_date", "E19")


def _only_with_reason(field: str, reason_field: str, reason: int, meaning: str) -> Rule:
    """Reason `reason` needs `field`; `field` is allowed only with that reason."""

    def rule(row: Row) -> None:
        given_reason = row.fields.get(reason_field)
        if given_reason == reason and field not in row.present:
            row.pair_error(reason_field, field)
        elif field in row.present and given_reason != reason:
            row.only_with_error(field, reason_field, f"{reason} ({meaning})")

    return rule


def _only_on_admission(*names: str) -> Rule:
    """Appendix B rule 7: pH and bicarbonate only on a row with an admission start date."""

    def rule(row: Row) -> None:
        if "hospital_admission_date" not in row.present:
            for name in names:
                if name in row.present:
                    row.only_with_error(name, "hospital_admission_date", "filled in")

    return rule


# The rules both templates share, in §6.4's order.
_CARE_PROCESS_RULES: tuple[Rule, ...] = (
    _all_or_none(
        "systolic_blood_pressure", "diastolic_blood_pressure", "blood_pressure_observation_date"
    ),
    _all_or_none("retinal_screening_observation_date", "retinal_screening_result"),
    _all_or_none("albumin_creatinine_ratio", "albuminuria_stage", "albumin_creatinine_ratio_date"),
    _all_or_none("total_cholesterol", "total_cholesterol_date"),
    _required_when("thyroid_treatment_status", "thyroid_function_date", {2, 3}),
    _required_when(
        "psychological_additional_support_status", "psychological_screening_assessment_date", {1, 2}
    ),
)


def _admission_rules(reason_field: str, dka: int, dka_meaning: str, other: int) -> tuple:
    """Start and reason together, discharge after start, the DKA therapies answer and the free
    text only with their reasons, in the template's own reason field and codes."""
    return (
        _all_or_none("hospital_admission_date", reason_field),
        _admission,
        _only_with_reason("dka_additional_therapies", reason_field, dka, dka_meaning),
        _only_with_reason("hospital_admission_other", reason_field, other, "other"),
    )


# §6.4 in its order, then Appendix B's changes in the same places for 2026: no format column
# and no closed-loop pairing (rule 4), advice for status 2 or 4 (rule 5), DKA therapies with
# reason 1 only (rule 6), pH and bicarbonate only on admissions (rule 7).
PAIRED_RULES: dict[int, tuple[Rule, ...]] = {
    TEMPLATE_2021.dataset_year: (
        _height_weight,
        _all_or_none("hba1c", "hba1c_format", "hba1c_date"),
        _closed_loop,
        *_CARE_PROCESS_RULES,
        _smoking_cessation(
            "smoking_status", frozenset({codes.SmokingStatus.CURRENT_SMOKER}), "E17"
        ),
        _dietitian,
        *_admission_rules(
            "hospital_admission_reason",
            codes.AdmissionReason.DKA,
            "DKA",
            codes.AdmissionReason.OTHER,
        ),
    ),
    TEMPLATE_2026.dataset_year: (
        _height_weight,
        _all_or_none("hba1c", "hba1c_date"),
        *_CARE_PROCESS_RULES,
        _smoking_cessation("smoking_vaping_status", codes.SMOKES_2026, "E17_2026"),
        _dietitian,
        *_admission_rules(
            "hospital_admission_reason_2026",
            codes.AdmissionReason2026.DKA,
            "acute DKA",
            codes.AdmissionReason2026.OTHER,
        ),
        _only_on_admission("blood_gas_ph", "blood_gas_bicarbonate"),
    ),
}


# The questions that apply only with an answer to another (the pairs above): question ->
# (the other question, the answers that make it apply; None: any answer). A form shows each
# after its parent and hides it while it does not apply; the rules above refuse it whatever is
# sent.
DEPENDENT_QUESTIONS: dict[int, dict[str, tuple[str, frozenset | None]]] = {
    TEMPLATE_2021.dataset_year: {
        "closed_loop_system": ("treatment", frozenset(codes.PUMP_TREATMENTS)),
        "smoking_cessation_referral_date": (
            "smoking_status", frozenset({codes.SmokingStatus.CURRENT_SMOKER})),
        "dka_additional_therapies": (
            "hospital_admission_reason", frozenset({codes.AdmissionReason.DKA})),
        "hospital_admission_other": (
            "hospital_admission_reason", frozenset({codes.AdmissionReason.OTHER})),
    },
    TEMPLATE_2026.dataset_year: {
        "smoking_cessation_referral_date": ("smoking_vaping_status", codes.SMOKES_2026),
        "dka_additional_therapies": (
            "hospital_admission_reason_2026", frozenset({codes.AdmissionReason2026.DKA})),
        "hospital_admission_other": (
            "hospital_admission_reason_2026", frozenset({codes.AdmissionReason2026.OTHER})),
        "blood_gas_ph": ("hospital_admission_date", None),
        "blood_gas_bicarbonate": ("hospital_admission_date", None),
    },
}  # fmt: skip
