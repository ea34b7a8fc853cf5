"""Audit progress: for every child, how many of the visit-form fields expected of it for the
year have been recorded, per form section (constants/sections.py).

A field counts as completed when at least one of the child's rows with a visit date in P holds a
valid (not errored, in its code list) value. A field is expected of every child unless it only
applies to some children, as the data dictionary says (conditions below): the 12-and-over care
processes, closed loop for pumps, cessation referral for smokers, and the inpatient section only
for children with an admission recorded in P.

The facts table holds the completed fields as a bitmask (`filled_fields`, bit i for
VISIT_COLUMNS[i]); here each child's expected fields become a second mask, and every count is
the number of bits set in a section's part of a mask.
"""

from constants import codes
from constants.csv_template import template_for
from constants.sections import VISIT_SECTIONS

from .scoring import FACT_TABLE, VISIT_COLUMNS

TWELVE_AND_OVER_SECTIONS = (  # the 12+ care processes of kpis.md §4.4-4.5
    "blood_pressure",
    "foot_care",
    "eye_screening",
    "urinary_albumin",
    "smoking",
)
# Fields expected only when a condition on the child holds (SQL over the facts table).
CONDITIONAL_FIELDS: dict[str, str] = {
    **{
        field: "twelve_and_over"
        for section in TWELVE_AND_OVER_SECTIONS
        for field in VISIT_SECTIONS[section]
    },
    **dict.fromkeys(VISIT_SECTIONS["hospital_admission"], "admission_recorded"),
    "closed_loop_system": "latest_treatment IN (3, 6)",  # only for pump treatment
    # only for current smokers: status 2 (2021), 2 or 4 (2026); the other year's status is NULL
    "smoking_cessation_referral_date": "twelve_and_over AND (latest_smoking_status = 2 OR"
    f" latest_smoking_vaping_status IN ({', '.join(map(str, sorted(codes.SMOKES_2026)))}))",
    "dka_additional_therapies": "dka_reason_in_p",  # only when the reason is DKA
    "hospital_admission_other": "other_reason_in_p",  # only when the reason is 6 (other)
}


def bit(field: str) -> int:
    return 1 << VISIT_COLUMNS.index(field)


def mask(fields) -> int:
    return sum(bit(f) for f in fields)


def expected_fields_mask(dataset_year: int) -> str:
    """Every field of the period's template, less each conditional field whose condition does
    not hold."""
    in_template = [f for f in VISIT_COLUMNS if f in template_for(dataset_year).fields]
    admission_recorded = f"(filled_fields & {bit('hospital_admission_date')}) <> 0"
    dropped = " | ".join(
        f"CASE WHEN coalesce({condition}, false) THEN 0 ELSE {bit(field)} END"
        for field, condition in CONDITIONAL_FIELDS.items()
    ).replace("admission_recorded", admission_recorded)
    return f"{mask(in_template)} & ~({dropped})"


def _bits(expression: str) -> str:
    return f"bit_count(({expression})::bit(64))"


def sections_json() -> str:
    """{"section": {"completed": n, "expected": n}, ...} as one format() cast to jsonb: about
    twice as fast as nesting jsonb_build_object calls (%% escapes the SQL parameter style)."""
    template = ", ".join(
        f'"{section}": {{"completed": %%s, "expected": %%s}}' for section in VISIT_SECTIONS
    )
    counts = ", ".join(
        f"{_bits(f'done & {mask(fields)}')}, {_bits(f'expected & {mask(fields)}')}"
        for fields in VISIT_SECTIONS.values()
    )
    return f"format('{{{template}}}', {counts})::jsonb"


def build_progress_insert_sql(dataset_year: int) -> str:
    return f"""
    INSERT INTO npda_auditprogress
        (patient_id, audit_period_id, sections, completed_fields, expected_fields,
         completed_mask, expected_mask, computed_at)
    SELECT patient_id, %(period)s, {sections_json()},
        {_bits("done")}, {_bits("expected")}, done, expected, now()
    FROM (
        SELECT patient_id, expected, filled_fields & expected AS done
        FROM (SELECT patient_id, filled_fields, {expected_fields_mask(dataset_year)} AS expected
              FROM {FACT_TABLE}) x
    ) y"""
