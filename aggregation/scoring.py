"""Per-child scoring: every child of the scope in a fixed number of set-based SQL statements.

1. `kpi_child` (a temporary table, then analysed): the children U(unit, P) with their cleaned
   patient fields.
2. `kpi_fact` (a temporary table): one row per child with the populations of kpis.md §2, the
   event flags and most recent values the rules of `aggregation.measures` read, and the
   per-child values of 32.1 and 44-47. One CREATE ... AS SELECT over CTEs: the cleaned rows, one
   GROUP BY per child, and the three multi-row facts (BMI dates, HbA1c, admission spells).
3. One INSERT into `npda_kpi` turns the facts into states with the rules' CASE expressions.

`e` is a row's `errors` as NULL when empty, computed once per row: the OFFSET 0 keeps the
planner from inlining it into each field's CASE (a jsonb comparison per field otherwise).

Cleaning (kpis.md §1.5, the upload contract): a field named in the row's `errors` is NULL, a row
whose `visit_date` has an error is dropped, a code outside its code list is NULL, an HbA1c is
converted to mmol/mol and kept only inside its accepted range, and anything dated after the
calculation date C is NULL (a row whose visit is after C is dropped): it has not happened yet.
"""

from dataclasses import dataclass
from datetime import date

from django.db import models

from constants import codes
from constants.csv_template import JERSEY_PZ_CODE  # identified by a Unique Reference Number
from constants.kpis import MEASURES
from constants.sections import VISIT_SECTIONS
from npda.data_model.models import Patient, Visit

from .measures import rules_for

CHILD_TABLE = "kpi_child"  # U(unit, P) with cleaned patient fields (analysed: a good join plan)
FACT_TABLE = "kpi_fact"
LATEST_SLOT = 1024  # packing widths for "most recent" values (see `latest`): code < 1024,
ROW_SLOT = 2**31  # source_row < 2^31 (a PositiveIntegerField),
STAGE_SLOT = 128  # albuminuria stage < 128,
DAY_SLOT = 2**15  # days since EPOCH < 2^15 (until 2089)
EPOCH = "2000-01-01"
DX_EXCLUSION_DAYS = 90  # 44/45: results on days dx ... dx + 90 are excluded


@dataclass(frozen=True)
class ScoringWindow:
    """S, E and C of one computation (kpis.md §1.1), as SQL parameters."""

    period_id: int
    start: date
    end: date
    calculation_date: date
    dataset_year: int  # picks the rule set (aggregation.measures.rules_for)

    def params(self) -> dict[str, object]:
        s = self.start
        return {
            "period": self.period_id,
            "s": s,
            "e": self.end,
            "c": self.calculation_date,
            # S is always 1 April, so "S minus n years" needs no leap-year care (§2).
            "s_minus_25": s.replace(year=s.year - 25),
            "s_minus_12": s.replace(year=s.year - 12),
        }


def calculation_date_for(end: date, today: date, explicit: date | None = None) -> date:
    """C = E once the period has ended, else today; an explicit C is capped at E."""
    return min(explicit or today, end)


# Cleaning ------------------------------------------------------------------------------------


def _valid_codes(model: type[models.Model], field: str) -> list[int]:
    return [value for value, _ in model._meta.get_field(field).choices]


def clean(alias: str, column: str, model: type[models.Model], errors_key: str | None = None):
    """The value of alias.column as the KPIs see it: NULL when errored, out of its code list,
    blank, or (for a date) after C."""
    field = model._meta.get_field(column)
    value = f"{alias}.{column}"
    errored = f"{alias}.e ? '{errors_key or column}'"
    if isinstance(field, models.DateField):
        valid = f"{value} <= %(c)s"
    elif field.choices and isinstance(field, models.IntegerField):
        valid = f"{value} IN ({', '.join(str(v) for v in _valid_codes(model, column))})"
    elif isinstance(field, models.CharField):
        valid = f"{value} <> ''"
    else:
        valid = f"{value} IS NOT NULL"
    # `e` is NULL for a row without errors, so the first WHEN is skipped cheaply.
    return f"CASE WHEN {errored} THEN NULL WHEN {valid} THEN {value} END"


def hba1c_mmol_per_mol(alias: str = "v") -> str:
    """HbA1c in mmol/mol (data-dictionary.md §9): % converted at full precision with the
    intercept 2.152; a value outside its accepted range, or of unknown unit, is not used. A
    2026-dataset row is in mmol/mol."""
    low, high = codes.HBA1C_MMOL_PER_MOL_RANGE
    low_pct, high_pct = codes.HBA1C_PERCENT_RANGE
    a = alias
    return (
        f"CASE WHEN {a}.e ? 'hba1c' OR {a}.e ? 'hba1c_format' THEN NULL"
        # the 2026 dataset has no format: every value is mmol/mol (kpis.md §7, 44/45)
        f" WHEN {a}.dataset_year >= {codes.DatasetYear.DATASET_2026}"
        f" AND {a}.hba1c BETWEEN {low} AND {high} THEN {a}.hba1c::float8"
        f" WHEN {a}.hba1c_format = {codes.HbA1cFormat.IFCC_MMOL_PER_MOL}"
        f" AND {a}.hba1c BETWEEN {low} AND {high} THEN {a}.hba1c::float8"
        f" WHEN {a}.hba1c_format = {codes.HbA1cFormat.DCCT_PERCENT}"
        f" AND {a}.hba1c BETWEEN {low_pct} AND {high_pct}"
        f" THEN ({a}.hba1c::float8 - {codes.HBA1C_DCCT_INTERCEPT}) / {codes.HBA1C_DCCT_SLOPE}"
        " END"
    )


def nhs_number_is_valid(alias: str = "p") -> str:
    """10 digits passing the Modulus 11 check: Σ d_i·(11 - i) for i = 1..9, plus d_10, is a
    multiple of 11 (a check value of 10 can never match a digit)."""
    digits = f"regexp_replace({alias}.nhs_number, '[ -]', '', 'g')"
    weighted = " + ".join(
        f"{11 - i} * substr({digits}, {i}, 1)::int" if i < 10 else f"substr({digits}, 10, 1)::int"
        for i in range(1, 11)
    )
    return (
        f"CASE WHEN {alias}.e ? 'nhs_number' THEN false"
        f" WHEN {digits} ~ '^[0-9]{{10}}$' THEN mod({weighted}, 11) = 0 ELSE false END"
    )


# Rows and per-child facts ----------------------------------------------------------------------

VISIT_COLUMNS = tuple(dict.fromkeys(f for fields in VISIT_SECTIONS.values() for f in fields))


def in_p(column: str) -> str:
    """d ∈ P: S ≤ d ≤ E and d ≤ C (C ≤ E always)."""
    return f"{column} BETWEEN %(s)s AND %(c)s"


def latest(column: str, payload: str | None = None, slot: int = LATEST_SLOT) -> str:
    """The most recent non-null value (kpis.md §1.4) among rows with visit_date in P.

    The order (visit_date, source_row) and the value are packed into one bigint,
    ((visit_date - S)·2³¹ + source_row)·slot + value, so a plain max() picks the value on the
    latest row holding one, with no sort (source_row < 2³¹, value < slot ≤ 2²⁰: a year of
    days fits below 2⁶³).
    """
    order = f"((visit_date - %(s)s)::bigint * {ROW_SLOT} + coalesce(source_row, 0))"
    return (
        f"mod(max({order} * {slot} + {payload or column})"
        f" FILTER (WHERE {column} IS NOT NULL AND {in_p('visit_date')}), {slot})"
    )


def latest_ever(column: str) -> str:
    """The most recent non-null value among all the child's rows, in P or before it (by
    visit_date, then source_row; packed as in `latest`, days counted from EPOCH)."""
    day = f"least(greatest(visit_date - DATE '{EPOCH}', 0), {DAY_SLOT - 1})"
    order = f"({day}::bigint * {ROW_SLOT} + coalesce(source_row, 0))"
    return (
        f"mod(max({order} * {LATEST_SLOT} + {column})"
        f" FILTER (WHERE {column} IS NOT NULL), {LATEST_SLOT})"
    )


def latest_by_acr_date() -> str:
    """49: latest stage by (albumin_creatinine_ratio_date, visit_date, source_row) among rows
    with a valid stage and the ACR date in P; packed as in `latest` (stage < 128)."""
    visit_day = f"least(greatest(visit_date - DATE '{EPOCH}', 0), {DAY_SLOT - 1})"
    order = (
        f"(((albumin_creatinine_ratio_date - %(s)s)::bigint * {DAY_SLOT} + {visit_day})"
        f" * {ROW_SLOT} + coalesce(source_row, 0))"
    )
    return (
        f"mod(max({order} * {STAGE_SLOT} + albuminuria_stage) FILTER (WHERE albuminuria_stage"
        f" IS NOT NULL AND {in_p('albumin_creatinine_ratio_date')}), {STAGE_SLOT})"
    )


OBSERVATION_DATES = (  # P6: a row with a visit in P and one of these dates in P
    "height_weight_observation_date",
    "hba1c_date",
    "blood_pressure_observation_date",
    "foot_examination_observation_date",
    "retinal_screening_observation_date",
    "albumin_creatinine_ratio_date",
    "total_cholesterol_date",
    "thyroid_function_date",
    "coeliac_screen_date",
    "psychological_screening_assessment_date",
)


def _visit_in_p_with(condition: str) -> str:
    return f"{in_p('visit_date')} AND {condition}"


def _around_diagnosis(column: str, before: int, after: int) -> str:
    return f"{column} BETWEEN dx - {before} AND dx + {after}"


# 46/47: a row's admission reason, in its dataset's code list (kpis.md §4.7 and §7).
ADMISSION_REASON_GIVEN = (
    "(hospital_admission_reason IS NOT NULL OR hospital_admission_reason_2026 IS NOT NULL)"
)
DKA_ADMISSION = (
    f"hospital_admission_reason = {codes.AdmissionReason.DKA}"
    f" OR hospital_admission_reason_2026 = {codes.AdmissionReason2026.DKA}"
)
# 13-20, 24 (2026): the row of the most recent insulin regimen, with the medication and the
# dietary answer read from that same row, even when blank there (kpis.md §7.1).
REGIMEN_SLOT = 10_000
REGIMEN_PACK = (
    f"insulin_regimen * {REGIMEN_SLOT} + coalesce(non_insulin_medication, 0) * 100"
    " + coalesce(dietary_lifestyle_modification, 0)"
)

# Events: does this row show it? A child has the event when any of its rows does (the rows'
# flags are packed into one bitmask per row and OR-ed per child). Name -> row condition, with
# the spec's wording. Dates are already NULL when after C.
ROW_EVENTS: dict[str, str] = {
    # P1: at least one row with visit_date in P.
    "visit_in_p": in_p("visit_date"),
    # P6: a row with visit_date in P and at least one observation date in P.
    "seen_with_observation": _visit_in_p_with(
        "(" + " OR ".join(in_p(d) for d in OBSERVATION_DATES) + ")"
    ),
    # 25: a row with hba1c and hba1c_date in P.
    "hba1c_in_p": f"hba1c_mmol IS NOT NULL AND {in_p('hba1c_date')}",
    # 27: thyroid_function_date in P.
    "thyroid_in_p": in_p("thyroid_function_date"),
    # 28: a row with systolic_blood_pressure and blood_pressure_observation_date in P.
    "blood_pressure_in_p": "systolic_blood_pressure IS NOT NULL"
    f" AND {in_p('blood_pressure_observation_date')}",
    # 29: a row with albumin_creatinine_ratio and albumin_creatinine_ratio_date in P.
    "albumin_in_p": "albumin_creatinine_ratio IS NOT NULL"
    f" AND {in_p('albumin_creatinine_ratio_date')}",
    # 30: a row with retinal_screening_result in {1, 2} and its observation date in P.
    "retinal_screening_in_p": "retinal_screening_result IN (1, 2)"
    f" AND {in_p('retinal_screening_observation_date')}",
    # 31: foot_examination_observation_date in P.
    "foot_examination_in_p": in_p("foot_examination_observation_date"),
    # 34: psychological_screening_assessment_date in P.
    "psychological_screening_in_p": in_p("psychological_screening_assessment_date"),
    # 35: a visit in P with smoking_status in {1, 2}.
    "smoking_status_recorded": _visit_in_p_with("smoking_status IN (1, 2)"),
    # 35 (2026, kpis.md §7): a visit in P with smoking_vaping_status in {1, 2, 3, 4}.
    "smoking_vaping_recorded": _visit_in_p_with("smoking_vaping_status IN (1, 2, 3, 4)"),
    # 36: smoking_cessation_referral_date in P.
    "smoking_cessation_referral_in_p": in_p("smoking_cessation_referral_date"),
    # 37: a visit in P with dietician_additional_appointment_offered = 1.
    "dietitian_appointment_offered": _visit_in_p_with(
        "dietician_additional_appointment_offered = 1"
    ),
    # 38: dietician_additional_appointment_date in P.
    "dietitian_appointment_in_p": in_p("dietician_additional_appointment_date"),
    # 39: flu_immunisation_recommended_date in P.
    "flu_immunisation_in_p": in_p("flu_immunisation_recommended_date"),
    # 40: sick_day_rules_training_date in P.
    "sick_day_rules_in_p": in_p("sick_day_rules_training_date"),
    # 41: coeliac_screen_date in [dx - 90, dx + 90] (may fall before S).
    "coeliac_screen_at_diagnosis": _around_diagnosis("coeliac_screen_date", 90, 90),
    # 42: thyroid_function_date in [dx - 90, dx + 90].
    "thyroid_screen_at_diagnosis": _around_diagnosis("thyroid_function_date", 90, 90),
    # 43: carbohydrate_counting_level_three_education_date in [dx - 7, dx + 14].
    "carb_counting_at_diagnosis": _around_diagnosis(
        "carbohydrate_counting_level_three_education_date", 7, 14
    ),
    # 48: a visit in P with psychological_additional_support_status = 1.
    "extra_psychological_support": _visit_in_p_with("psychological_additional_support_status = 1"),
    # Audit progress: a DKA or "other" admission reason recorded on a visit in P (a row holds
    # the reason of its own dataset: 2021 or 2026).
    "dka_reason_in_p": _visit_in_p_with(f"({DKA_ADMISSION})"),
    "other_reason_in_p": _visit_in_p_with(
        "(hospital_admission_reason = 6 OR hospital_admission_reason_2026 = 6)"
    ),
}
assert len(ROW_EVENTS) < 63  # one bigint of flags

# Most recent values (§1.4), one aggregate each over the child's rows.
LATEST: dict[str, str] = {
    "latest_gluten_free_diet": latest("gluten_free_diet"),  # 10
    "latest_thyroid_treatment_status": latest("thyroid_treatment_status"),  # 11
    "latest_ketone_meter_training": latest("ketone_meter_training"),  # 12
    # 13-20 and 24: 24 reads closed_loop_system from the row of the most recent treatment, so
    # both are packed as treatment·8 + closed loop (0-4).
    "latest_treatment_and_loop": latest(
        "treatment", "treatment * 8 + coalesce(closed_loop_system, 0)"
    ),
    "latest_glucose_monitoring": latest("glucose_monitoring"),  # 21-23
    "latest_smoking_status": latest("smoking_status"),  # 36 companion (current smokers)
    # 2026 dataset (kpis.md §7 and §7.1)
    "latest_regimen": latest("insulin_regimen", REGIMEN_PACK, REGIMEN_SLOT * 100),  # 13-20, 24
    "latest_cgm_use": latest("cgm_use"),  # 22, 23
    "latest_smoking_vaping_status": latest("smoking_vaping_status"),  # 36 companion
    # Descriptive figures (kpis.md §7.1): the most recent outcome in P; the most recent
    # immunotherapy answer across all the child's rows, with the latest valid start date.
    "latest_psychological_support_outcome": latest("psychological_support_outcome"),
    "latest_immunotherapy_received": latest_ever("immunotherapy_received"),
    "latest_immunotherapy_date": "max(immunotherapy_date)",
    "latest_albuminuria_stage": latest_by_acr_date(),  # 49
}
# The columns the stages after cleaning read (the rest only feed the flags and bitmasks).
ROW_COLUMNS = (
    "gluten_free_diet",
    "thyroid_treatment_status",
    "ketone_meter_training",
    "treatment",
    "closed_loop_system",
    "glucose_monitoring",
    "smoking_status",
    "albuminuria_stage",
    "albumin_creatinine_ratio_date",
    "height",
    "weight",
    "height_weight_observation_date",
    "hba1c_date",
    "hba1c_mmol",
    "hospital_admission_date",
    "hospital_discharge_date",
    "hospital_admission_reason",
    "insulin_regimen",  # 2026
    "non_insulin_medication",
    "dietary_lifestyle_modification",
    "cgm_use",
    "smoking_vaping_status",
    "hospital_admission_reason_2026",
    "psychological_support_outcome",
    "immunotherapy_received",
    "immunotherapy_date",
    "blood_gas_ph",
    "blood_gas_bicarbonate",
)


def event_flags() -> str:
    """The row's events as bits (bit i = the i-th of ROW_EVENTS)."""
    return " | ".join(
        f"CASE WHEN {condition} THEN {1 << i} ELSE 0 END::bigint"
        for i, condition in enumerate(ROW_EVENTS.values())
    )


def has_event(name: str, flags: str = "f.event_flags") -> str:
    return f"coalesce({flags} & {1 << list(ROW_EVENTS).index(name)} <> 0, false)"


def filled_fields() -> str:
    """Audit progress: one bit per form field (bit i = VISIT_COLUMNS[i]) set when a row with a
    visit in P holds a valid value."""
    bits = " | ".join(
        f"(({column} IS NOT NULL)::int::bigint << {i})" for i, column in enumerate(VISIT_COLUMNS)
    )
    return f"CASE WHEN {in_p('visit_date')} THEN {bits} ELSE 0 END"


# The populations of kpis.md §2, each from the ones before it.
POPULATIONS: dict[str, str] = {
    # In U, a valid identifier, a valid DOB, under 25 at S, a row with visit_date in P.
    "p1": "identifier_valid AND date_of_birth > %(s_minus_25)s AND visit_in_p",
    "p2": f"p1 AND {in_p('diagnosis_date')}",  # new diagnoses: dx in P
    "p3": "p1 AND diabetes_type = 1",  # type 1
    "p4": "p3 AND date_of_birth <= %(s_minus_12)s",  # type 1, 12 and over at S
    # Type 1, complete year: dx before S, no leaving date in P, no death date in P.
    "p5": "p3 AND diagnosis_date < %(s)s AND NOT left_in_p AND NOT died_in_p",
    "p5_under_12": "p5 AND date_of_birth > %(s_minus_12)s",
    "p5_12_and_over": "p5 AND date_of_birth <= %(s_minus_12)s",
    "p6": "p5_12_and_over AND seen_with_observation",  # seen with an observation in P
    "p7": f"p3 AND {in_p('diagnosis_date')}",  # type 1 new diagnoses
    "p7_90": "p7 AND diagnosis_date <= %(e)s - 90",  # window closes by E
    "p7_14": "p7 AND diagnosis_date <= %(e)s - 14",
}

UNDER_12_CHECKS = ("hba1c_in_p", "bmi_in_p", "thyroid_in_p")  # 25, 26, 27
TWELVE_PLUS_CHECKS = (
    *UNDER_12_CHECKS,
    "blood_pressure_in_p",  # 28
    "albumin_in_p",  # 29
    "foot_examination_in_p",  # 31 (30, retinal screening, is not a health check here)
)


def _quarter(column: str) -> str:
    """Q1 Apr-Jun ... Q4 Jan-Mar; a date before S counts in Q1 (admissions)."""
    month = f"extract(month FROM {column})::int"
    return f"CASE WHEN {column} < %(s)s THEN 1 ELSE mod({month} + 8, 12) / 3 + 1 END"


def _count_sum(*terms: str) -> str:
    return " + ".join(f"{t}::int" for t in terms)


def build_children_sql(units: list[str] | None) -> str:
    """U(unit, P): the patients of each unit's active submission for P, cleaned."""
    unit_filter = "AND s.paediatric_diabetes_unit_id = ANY(%(units)s)" if units else ""
    return f"CREATE TEMPORARY TABLE {CHILD_TABLE} AS {_child_sql(unit_filter)}"


def _child_sql(unit_filter: str) -> str:
    jersey_urn = (
        f"s.paediatric_diabetes_unit_id = '{JERSEY_PZ_CODE}'"
        f" AND {clean('p', 'unique_reference_number', Patient)} IS NOT NULL"
    )
    return f"""
        SELECT DISTINCT ON (p.id)
            p.id AS patient_id,
            s.paediatric_diabetes_unit_id AS pdu,
            s.id AS submission_id,
            ({nhs_number_is_valid()} OR coalesce({jersey_urn}, false)) AS identifier_valid,
            {clean("p", "date_of_birth", Patient)} AS date_of_birth,
            {clean("p", "diabetes_type", Patient)} AS diabetes_type,
            {clean("p", "sex", Patient)} AS sex,
            {clean("p", "ethnicity", Patient)} AS ethnicity,
            {clean("p", "imd_quintile", Patient)} AS imd_quintile,
            {clean("p", "diagnosis_date", Patient)} AS diagnosis_date,
            {clean("p", "death_date", Patient)} AS death_date,
            {clean("p", "adhd_asd_status", Patient)} AS adhd_asd_status,
            {clean("p", "learning_disability_status", Patient)} AS learning_disability_status,
            CASE WHEN p.e ? 'date_leaving_service' THEN NULL
                 WHEN st.date_leaving_service <= %(c)s THEN st.date_leaving_service
            END AS date_leaving_service,
            CASE WHEN p.e ? 'reason_leaving_service' THEN NULL
                 WHEN st.reason_leaving_service IN (1, 2, 3) THEN st.reason_leaving_service
            END AS reason_leaving_service
        FROM npda_submission s
        JOIN npda_submission_patients sp ON sp.submission_id = s.id
        JOIN (SELECT *, NULLIF(errors, '{{}}'::jsonb) AS e FROM npda_patient OFFSET 0) p
            ON p.id = sp.patient_id
        LEFT JOIN npda_site st ON st.patient_id = p.id AND st.is_active
        WHERE s.audit_period_id = %(period)s AND s.is_active {unit_filter}
        ORDER BY p.id, s.submitted_at DESC, s.id DESC"""


def _rows_sql() -> str:
    cleaned = ",\n            ".join(
        f"{clean('v', column, Visit)} AS {column}" for column in VISIT_COLUMNS
    )
    return f"""
    clean_row AS (  -- the child's rows as the KPIs see them (OFFSET 0: each value once)
        SELECT v.patient_id, v.source_row, v.visit_date, c.diagnosis_date AS dx,
            {hba1c_mmol_per_mol()} AS hba1c_mmol,
            {cleaned}
        FROM (SELECT *, NULLIF(errors, '{{}}'::jsonb) AS e FROM npda_visit
              WHERE submission_id IN (SELECT submission_id FROM {CHILD_TABLE}) OFFSET 0) v
        JOIN {CHILD_TABLE} c ON c.patient_id = v.patient_id AND c.submission_id = v.submission_id
        WHERE v.visit_date <= %(c)s AND NOT coalesce(v.e ? 'visit_date', false)
        OFFSET 0
    ),
    child_row AS MATERIALIZED (  -- what the per-child steps read: flags and a few values
        SELECT patient_id, source_row, visit_date, dx,
            {event_flags()} AS event_flags,
            {filled_fields()} AS filled_fields,
            {", ".join(ROW_COLUMNS)}
        FROM clean_row
    )"""


def _multi_row_facts_sql() -> str:
    return f"""
    per_child AS (
        SELECT patient_id, bit_or(event_flags) AS event_flags,
            bit_or(filled_fields) AS filled_fields,
            {", ".join(f"{sql} AS {name}" for name, sql in LATEST.items())}
        FROM child_row GROUP BY patient_id
    ),
    bmi AS (  -- 26: a height and a weight with the same observation date in P
        SELECT DISTINCT patient_id FROM child_row
        WHERE {in_p("height_weight_observation_date")}
        GROUP BY patient_id, height_weight_observation_date
        HAVING count(height) > 0 AND count(weight) > 0
    ),
    hba1c AS (  -- distinct (date, value) results in P, each counted once
        SELECT patient_id,
            count(DISTINCT hba1c_date) AS hba1c_dates_in_p,  -- 33
            percentile_cont(0.5) WITHIN GROUP (ORDER BY hba1c_mmol)  -- 44/45: after dx + 90
                FILTER (WHERE hba1c_date > dx + {DX_EXCLUSION_DAYS}) AS hba1c_median
        FROM (SELECT DISTINCT patient_id, hba1c_date, hba1c_mmol, dx FROM child_row
              WHERE hba1c_mmol IS NOT NULL AND {in_p("hba1c_date")}) q
        GROUP BY patient_id
    ),
    spell AS (  -- 46/47: one admission per (child, admission date), reasons united
        SELECT patient_id, hospital_admission_date AS started,
            max(hospital_discharge_date) AS discharged,
            coalesce(bool_or({DKA_ADMISSION}), false) AS dka, min(dx) AS dx,
            {_first_of_spell("blood_gas_ph")} AS first_ph,
            {_first_of_spell("blood_gas_bicarbonate")} AS first_bicarbonate
        FROM child_row
        WHERE hospital_admission_date IS NOT NULL AND {ADMISSION_REASON_GIVEN}
        GROUP BY patient_id, hospital_admission_date
    ),
    admission AS (  -- qualifying: started in P or discharged in P
        SELECT patient_id, count(*) AS admissions, count(*) FILTER (WHERE dka) AS dka_admissions,
            ARRAY[{", ".join(f"count(*) FILTER (WHERE q = {q})" for q in range(1, 5))}]
                AS admissions_by_quarter,
            ARRAY[{", ".join(f"count(*) FILTER (WHERE dka AND q = {q})" for q in range(1, 5))}]
                AS dka_admissions_by_quarter,
            count(*) FILTER (WHERE started <= dx + 90) AS admissions_near_diagnosis,
            count(*) FILTER (WHERE dka AND started <= dx + 90) AS dka_admissions_near_diagnosis,
            array_agg(first_ph) FILTER (WHERE dka AND first_ph IS NOT NULL) AS dka_first_ph,
            array_agg(first_bicarbonate) FILTER (WHERE dka AND first_bicarbonate IS NOT NULL)
                AS dka_first_bicarbonate
        FROM (SELECT *, {_quarter("started")} AS q FROM spell
              WHERE {in_p("started")} OR {in_p("discharged")}) qualifying
        GROUP BY patient_id
    )"""


def _first_of_spell(column: str) -> str:
    """The first non-null valid value among an admission's rows, in (visit date, file row)
    order (kpis.md §7.1: first pH and bicarbonate)."""
    return (
        f"(array_agg({column}::float8 ORDER BY visit_date, source_row)"
        f" FILTER (WHERE {column} IS NOT NULL))[1]"
    )


def _facts_select_sql() -> str:
    events = ",\n            ".join(
        f"{has_event(name)} AS {name}" for name in ROW_EVENTS if name != "visit_in_p"
    )
    packed = ("latest_treatment_and_loop", "latest_regimen")
    latest_values = ", ".join(f"f.{name}" for name in LATEST if name not in packed)
    populations = "\n    ".join(
        f"CROSS JOIN LATERAL (SELECT coalesce({sql}, false) AS {name}) AS {name}_"
        for name, sql in POPULATIONS.items()
    )
    zero4 = "'{0,0,0,0}'::smallint[]"
    p1_only = {  # the per-child values of 44-47 belong to P1 children only
        "hba1c_median": "NULL",
        "admissions": "0",
        "dka_admissions": "0",
        "admissions_by_quarter": zero4,
        "dka_admissions_by_quarter": zero4,
        "admissions_near_diagnosis": "0",
        "dka_admissions_near_diagnosis": "0",
        "dka_first_ph": "'{}'::float8[]",
        "dka_first_bicarbonate": "'{}'::float8[]",
    }
    return f"""
    SELECT x.*, {", ".join(POPULATIONS)},
        CASE WHEN p5_under_12 THEN 3 WHEN p5_12_and_over THEN 6 ELSE 0 END
            AS health_checks_expected,
        CASE WHEN p5_under_12 THEN {_count_sum(*UNDER_12_CHECKS)}
             WHEN p5_12_and_over THEN {_count_sum(*TWELVE_PLUS_CHECKS)} ELSE 0 END
            AS health_checks_done,
        {", ".join(f"CASE WHEN p1 THEN x.any_{n} ELSE {v} END AS {n}" for n, v in p1_only.items())}
    FROM (
        SELECT c.*,
            coalesce({in_p("c.death_date")}, false) AS died_in_p,
            coalesce({in_p("c.date_leaving_service")}, false) AS left_in_p,
            coalesce(c.date_of_birth <= %(s_minus_12)s, false) AS twelve_and_over,
            {has_event("visit_in_p")} AS visit_in_p,
            {events},
            coalesce(f.filled_fields, 0) AS filled_fields,
            f.latest_treatment_and_loop / 8 AS latest_treatment,
            NULLIF(mod(f.latest_treatment_and_loop, 8), 0) AS latest_treatment_closed_loop,
            f.latest_regimen / {REGIMEN_SLOT} AS latest_insulin_regimen,
            NULLIF(mod(f.latest_regimen, {REGIMEN_SLOT}) / 100, 0) AS latest_regimen_medication,
            NULLIF(mod(f.latest_regimen, 100), 0) AS latest_regimen_diet,
            {latest_values},
            b.patient_id IS NOT NULL AS bmi_in_p,
            coalesce(h.hba1c_dates_in_p, 0) AS hba1c_dates_in_p,
            h.hba1c_median AS any_hba1c_median,
            coalesce(a.admissions, 0) AS any_admissions,
            coalesce(a.dka_admissions, 0) AS any_dka_admissions,
            coalesce(a.admissions_by_quarter::smallint[], {zero4}) AS any_admissions_by_quarter,
            coalesce(a.dka_admissions_by_quarter::smallint[], {zero4})
                AS any_dka_admissions_by_quarter,
            coalesce(a.admissions_near_diagnosis, 0) AS any_admissions_near_diagnosis,
            coalesce(a.dka_admissions_near_diagnosis, 0) AS any_dka_admissions_near_diagnosis,
            coalesce(a.dka_first_ph, '{{}}') AS any_dka_first_ph,
            coalesce(a.dka_first_bicarbonate, '{{}}') AS any_dka_first_bicarbonate
        FROM {CHILD_TABLE} c
        LEFT JOIN per_child f USING (patient_id)
        LEFT JOIN bmi b USING (patient_id)
        LEFT JOIN hba1c h USING (patient_id)
        LEFT JOIN admission a USING (patient_id)
    ) x
    {populations}"""


def build_facts_sql() -> str:
    return (
        f"CREATE TEMPORARY TABLE {FACT_TABLE} AS\nWITH"
        + ",".join([_rows_sql(), _multi_row_facts_sql()])
        + _facts_select_sql()
    )


# States -----------------------------------------------------------------------------------------

KPI_VALUE_COLUMNS = (
    "health_checks_done",
    "health_checks_expected",
    "hba1c_median",
    "admissions",
    "dka_admissions",
    "diabetes_type",
    "sex",
    "ethnicity",
    "imd_quintile",
    "current_smoker",
    "admissions_by_quarter",
    "dka_admissions_by_quarter",
    "admissions_near_diagnosis",
    "dka_admissions_near_diagnosis",
    "adhd_asd_status",
    "learning_disability_status",
    "dka_first_ph",
    "dka_first_bicarbonate",
)


def _kpi_columns(dataset_year: int) -> dict[str, str]:
    """Every column of a KPI row and its expression over the facts table, by the rules of the
    period's dataset year."""
    rules = rules_for(dataset_year)
    states = {m.field_name: rules[m.number].state_sql() for m in MEASURES}
    derived = {
        "age_at_start": "CASE WHEN date_of_birth <= %(s)s"
        " THEN extract(year FROM age(%(s)s, date_of_birth))::int END",
        "diagnosis_quarter": f"CASE WHEN p2 THEN {_quarter('diagnosis_date')} END",
        "leaving_quarter": f"CASE WHEN left_in_p THEN {_quarter('date_leaving_service')} END",
        "leaving_reason": "CASE WHEN left_in_p THEN reason_leaving_service END",
    }
    return {
        "patient_id": "patient_id",
        "audit_period_id": "%(period)s",
        "paediatric_diabetes_unit_id": "pdu",
        "calculation_date": "%(c)s",
        "computed_at": "now()",
        **{c: c for c in KPI_VALUE_COLUMNS if c != "current_smoker"},
        "immunotherapy_received": "latest_immunotherapy_received",
        "immunotherapy_date": "latest_immunotherapy_date",
        "psychological_support_outcome": "latest_psychological_support_outcome",
        # 36 companion: most recent status 2 (2021), or 2 or 4 (2026, kpis.md §7.1)
        "current_smoker": "coalesce(latest_smoking_status = 2"
        f" OR latest_smoking_vaping_status IN ({', '.join(map(str, sorted(codes.SMOKES_2026)))})"
        ", false)",
        **derived,
        **states,
    }


def build_kpi_insert_sql(dataset_year: int) -> str:
    """One INSERT of every child's states (one CASE per measure, from `measures.rules_for`)."""
    columns = _kpi_columns(dataset_year)
    return (
        f"INSERT INTO npda_kpi ({', '.join(columns)})\n"
        f"SELECT {', '.join(columns.values())}\nFROM {FACT_TABLE}"
    )


def build_kpi_table_sql(table: str, dataset_year: int) -> str:
    """The same KPI rows as a temporary table of their own (a release's frozen snapshot)."""
    columns = ", ".join(f"{sql} AS {name}" for name, sql in _kpi_columns(dataset_year).items())
    return f"CREATE TEMPORARY TABLE {table} AS SELECT {columns} FROM {FACT_TABLE}"
