"""What a unit's own workspace reads (issue 22; the private unit view of disclosure-control.md
§1): its children for a year with their facts, flags and states, one child's record, and what is
due. A few set-based queries for all the unit's children, none per child. Callers check that the
unit is one of the user's (npda.data_model.scope)."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from django.db import connection

from aggregation.child_states import (
    ChildFacts,
    ChildMeasure,
    DueItem,
    care_process_fields,
    due_items,
    explain,
)
from aggregation.measures import MostRecent, rules_for
from aggregation.models import RecomputeRequest
from constants import codes
from constants.csv_template import template_for
from constants.form_fields import field_text
from constants.kpis import MEASURES_BY_NUMBER
from constants.sections import SECTION_LABELS, VISIT_SECTIONS
from npda.data_model.models import (
    KPI,
    AuditPeriod,
    AuditProgress,
    PaediatricDiabetesUnit,
    Submission,
    Visit,
)
from npda.submissions.selectors import active_version

FLAGS = {
    "errors": "Errors in the data",
    "incomplete_year": "Incomplete year of care",
    "transferred": "Transferred in or out this year",
    "left": "Left the unit this year",
    "other_unit": "Also in another unit's data",
}
DUE_SOON_DAYS = 30


class DueStates:
    """What a child's care processes not done (`due`) say in a unit's lists."""

    due: list[DueItem]

    @property
    def overdue(self) -> bool:
        return any(item.overdue for item in self.due)

    @property
    def due_soon(self) -> bool:
        """A care process due within DUE_SOON_DAYS (and not past its window)."""
        return any(0 <= item.days_left <= DUE_SOON_DAYS for item in self.due)


@dataclass
class DueChild(DueStates):
    """A child of a unit's worklist: no more than the list needs."""

    pk: int
    identifier: str
    due: list[DueItem]


@dataclass
class ChildRow(DueStates):
    pk: int
    identifier: str
    date_of_birth: date | None
    diabetes_type: int | None
    diagnosis_date: date | None
    contacts: int
    last_contact: date | None
    completed: int | None
    expected: int | None
    checks_done: int | None
    checks_expected: int | None
    hba1c: float | None
    hba1c_unit: str
    hba1c_date: date | None
    flags: set[str] = field(default_factory=set)
    states: dict[str, int | None] = field(default_factory=dict)  # measure states by KPI field
    due: list[DueItem] = field(default_factory=list)  # care processes not done

    def age(self, today: date) -> int | None:
        born = self.date_of_birth
        if born is None:
            return None
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))

    @property
    def type_label(self) -> str:
        if self.diabetes_type is None:
            return ""
        return dict(codes.DiabetesType.choices).get(self.diabetes_type, str(self.diabetes_type))

    @property
    def flag_labels(self) -> list[str]:
        return [FLAGS[name] for name in sorted(self.flags)]

    @property
    def completeness(self) -> float | None:
        return 100 * self.completed / self.expected if self.expected else None


def results_pending(unit: PaediatricDiabetesUnit, period: AuditPeriod) -> bool:
    """A recompute of the unit's results for the year is waiting or running."""
    return RecomputeRequest.objects.filter(
        paediatric_diabetes_unit=unit, audit_period=period,
        status__in=(RecomputeRequest.Status.QUEUED, RecomputeRequest.Status.RUNNING),
    ).exists()  # fmt: skip


def in_year_data(unit: PaediatricDiabetesUnit, period: AuditPeriod):
    """The ids of the children in the unit's data in use for the year (a subquery)."""
    return Submission.patients.through.objects.filter(
        submission__paediatric_diabetes_unit=unit, submission__audit_period=period,
        submission__is_active=True,
    ).values("patient_id")  # fmt: skip


CHILDREN_SQL = """
WITH own AS (
    SELECT p.id, coalesce(p.nhs_number, p.unique_reference_number) AS identifier,
           p.nhs_number, p.date_of_birth, p.diabetes_type, p.diagnosis_date, p.death_date,
           p.errors <> '{{}}'::jsonb AS child_errors
    FROM npda_patient p WHERE p.id = ANY({version_children})
), visits AS (
    SELECT patient_id,
           count(*) FILTER (WHERE visit_date BETWEEN %(start)s AND %(end)s) AS contacts,
           max(visit_date) FILTER (WHERE visit_date BETWEEN %(start)s AND %(end)s) AS last_contact,
           bool_or(errors <> '{{}}'::jsonb) AS row_errors
    FROM npda_visit WHERE submission_id = %(version)s GROUP BY patient_id
), hba1c AS (  -- the most recent of the year without an error (the last row of its date)
    SELECT DISTINCT ON (patient_id) patient_id, hba1c, hba1c_format, hba1c_date
    FROM npda_visit
    WHERE submission_id = %(version)s AND hba1c IS NOT NULL AND NOT errors ? 'hba1c'
          AND hba1c_date BETWEEN %(start)s AND %(end)s
    ORDER BY patient_id, hba1c_date DESC, source_row DESC
), others AS (  -- child by child through the NHS number index (not every unit's children)
    SELECT own.id FROM own CROSS JOIN LATERAL (
        SELECT 1 FROM npda_patient other
        JOIN npda_submission_patients osp ON osp.patient_id = other.id
        JOIN npda_submission s ON s.id = osp.submission_id
        WHERE other.nhs_number = own.nhs_number AND other.id <> own.id AND s.is_active
          AND s.audit_period_id = %(period)s AND s.paediatric_diabetes_unit_id <> %(unit)s
        LIMIT 1) found
), moves AS (
    SELECT DISTINCT patient_id FROM npda_site
    WHERE patient_id IN (SELECT id FROM own) AND paediatric_diabetes_unit_id <> %(unit)s
      AND (date_joined BETWEEN %(start)s AND %(end)s
           OR date_leaving_service BETWEEN %(start)s AND %(end)s)
)
SELECT own.id, own.identifier, own.date_of_birth, own.diabetes_type, own.diagnosis_date,
       coalesce(visits.contacts, 0), visits.last_contact,
       ap.completed_fields, ap.expected_fields, k.health_checks_done, k.health_checks_expected,
       hba1c.hba1c, hba1c.hba1c_format, hba1c.hba1c_date,
       own.child_errors OR coalesce(visits.row_errors, false) AS has_errors,
       (own.diagnosis_date BETWEEN %(start)s AND %(end)s
        OR own.death_date BETWEEN %(start)s AND %(end)s
        OR site.date_leaving_service BETWEEN %(start)s AND %(end)s) AS incomplete_year,
       own.id IN (SELECT patient_id FROM moves) AS transferred,
       coalesce(site.date_leaving_service BETWEEN %(start)s AND %(end)s, false) AS left_unit,
       own.id IN (SELECT id FROM others) AS other_unit,
       {states}
FROM own
LEFT JOIN visits ON visits.patient_id = own.id
LEFT JOIN hba1c ON hba1c.patient_id = own.id
LEFT JOIN npda_auditprogress ap ON ap.patient_id = own.id AND ap.audit_period_id = %(period)s
LEFT JOIN npda_kpi k ON k.patient_id = own.id AND k.audit_period_id = %(period)s
     AND k.paediatric_diabetes_unit_id = %(unit)s
LEFT JOIN npda_site site ON site.patient_id = own.id AND site.is_active
     AND site.paediatric_diabetes_unit_id = %(unit)s
ORDER BY own.identifier
"""
# The version's children as an array: the planner then reads them through the patients' primary
# key (2 ms for the largest unit) rather than hashing every child in the table (15 ms).
VERSION_CHILDREN = (
    "ARRAY(SELECT patient_id FROM npda_submission_patients WHERE submission_id = %(version)s)"
)


def measure_field(number: str) -> str | None:
    """The KPI field of a measure's state for a child (None: no such measure, or no field)."""
    measure = MEASURES_BY_NUMBER.get(number)
    return measure.field_name if measure and measure.field_name in KPI_FIELDS else None


KPI_FIELDS = frozenset(f.name for f in KPI._meta.concrete_fields)


def _state_columns(fields) -> str:
    """The KPI row's (`k`) columns of these state fields, for a query's select list."""
    return ", ".join(f"k.{KPI._meta.get_field(name).column}" for name in fields)


def unit_children(
    unit: PaediatricDiabetesUnit, period: AuditPeriod, today: date, measures: Sequence[str] = ()
) -> list[ChildRow]:
    """Every child in the unit's data for the year, with its facts, flags and the care
    processes not done yet; `states` holds the care processes' states and those of `measures`
    (a filter's), read from the child's KPI row in the same query."""
    version = active_version(unit, period)
    if version is None:
        return []
    year = period.start_date.year
    wanted = [name for name in map(measure_field, measures) if name]
    fields = list(dict.fromkeys([*care_process_fields(year), *wanted]))
    sql = CHILDREN_SQL.format(version_children=VERSION_CHILDREN, states=_state_columns(fields))
    with connection.cursor() as cursor:
        cursor.execute(sql, {"version": version.pk, "start": period.start_date,
                             "end": period.end_date, "period": period.pk,
                             "unit": unit.pk})  # fmt: skip
        rows = cursor.fetchall()
    children = []
    for (pk, identifier, born, kind, dx, contacts, last, done, expected, checks_done,
         checks_expected, hba1c, hba1c_format, hba1c_date, errors, incomplete, transferred,
         left, other, *values) in rows:  # fmt: skip
        states = dict(zip(fields, values, strict=True))
        child = ChildRow(
            pk, identifier, born, kind, dx, contacts, last, done, expected, checks_done,
            checks_expected, float(hba1c) if hba1c is not None else None,
            "%" if hba1c_format == 2 else "mmol/mol", hba1c_date, states=states,
        )  # fmt: skip
        child.flags = {name for name, on in (("errors", errors), ("incomplete_year", incomplete),
                                              ("transferred", transferred), ("left", left),
                                              ("other_unit", other)) if on}  # fmt: skip
        child.due = due_items(states, dx, period.end_date, year, today)
        children.append(child)
    return children


# Filters and order of the children list: plain functions of the rows (the largest unit has
# about 900 children; a page shows PAGE_SIZE).
PAGE_SIZE = 50
SORT_LABELS = {
    "identifier": "NHS number", "age": "age", "type": "diabetes type", "diagnosis":
    "diagnosis date", "contacts": "contacts", "last_contact": "last contact",
    "completeness": "completeness", "checks": "health checks done", "hba1c": "latest HbA1c",
}  # fmt: skip
SORT_KEYS = {
    "identifier": lambda c, today: c.identifier,
    "age": lambda c, today: c.age(today),
    "type": lambda c, today: c.diabetes_type,
    "diagnosis": lambda c, today: c.diagnosis_date,
    "contacts": lambda c, today: c.contacts,
    "last_contact": lambda c, today: c.last_contact,
    "completeness": lambda c, today: c.completeness,
    "checks": lambda c, today: c.checks_done,
    "hba1c": lambda c, today: c.hba1c,
}


def search_key(text: str) -> str:
    """An NHS number (or a Jersey reference) as typed, with its spaces and dashes dropped."""
    return "".join(ch for ch in str(text) if ch.isalnum())[:20].upper()


@dataclass(frozen=True)
class ChildFilter:
    flag: str = ""
    diabetes_type: int | None = None
    measure: str = ""
    measure_state: str = ""  # failed | incomplete
    due: str = ""  # overdue | soon
    sort: str = "identifier"


def filtered(children: list[ChildRow], chosen: ChildFilter, today: date) -> list[ChildRow]:
    rows = children
    if chosen.flag:
        rows = [c for c in rows if chosen.flag in c.flags]
    if chosen.diabetes_type is not None:
        rows = [c for c in rows if c.diabetes_type == chosen.diabetes_type]
    if chosen.measure and chosen.measure_state:
        wanted = {"failed": 2, "incomplete": 3}[chosen.measure_state]
        field_name = measure_field(chosen.measure)
        rows = [c for c in rows if c.states.get(field_name) == wanted]
    if chosen.due == "overdue":
        rows = [c for c in rows if c.overdue]
    elif chosen.due == "soon":
        rows = [c for c in rows if c.due_soon]
    key = chosen.sort.removeprefix("-")
    if key not in SORT_KEYS:
        return rows
    value = SORT_KEYS[key]
    known = [c for c in rows if value(c, today) is not None]
    unknown = [c for c in rows if value(c, today) is None]
    return sorted(known, key=lambda c: value(c, today), reverse=chosen.sort.startswith("-")) + (
        unknown)  # fmt: skip


# One child's record ------------------------------------------------------------------------------

QUARTER_NAMES = ("April to June", "July to September", "October to December",
                 "January to March")  # fmt: skip


DEMOGRAPHICS = ("nhs_number", "date_of_birth", "sex", "ethnicity", "postcode", "diabetes_type",
                "diagnosis_date", "death_date", "gp_practice_ods_code", "gp_practice_postcode",
                "imd_quintile")  # fmt: skip

OTHER_LABELS = {
    "imd_quintile": "Deprivation quintile (IMD, from the postcode)",
    "gp_practice_postcode": "GP practice postcode",
}


@dataclass(frozen=True)
class Value:
    label: str
    text: str
    errors: list[str]  # the messages of this cell's errors


@dataclass
class Contact:
    visit_date: date | None
    row: int | None
    sections: list[tuple[str, list[Value]]]  # the audit's form sections, with values given
    other_errors: list[Value]  # errors of the row's patient-level cells (csv-submission §5.6)
    pk: int | None = None
    derived: list[tuple[str, str]] = field(default_factory=list)  # BMI, centiles, SDS


DERIVED_LABELS = {"bmi": "BMI", "bmi_centile": "BMI centile", "bmi_sds": "BMI SDS",
                  "height_centile": "Height centile", "height_sds": "Height SDS",
                  "weight_centile": "Weight centile", "weight_sds": "Weight SDS"}  # fmt: skip


@dataclass
class ChildRecord:
    patient: object
    sites: list
    quarters: list[tuple[str, list[Contact]]]
    measures: list[ChildMeasure]
    sections: list[tuple[str, int, int]]  # completeness by form section
    demographics: list[Value]  # with each cell's errors beside it
    child_errors: list[Value]  # errors of other patient-level cells
    version: Submission | None


def child_record(unit, period: AuditPeriod, patient, today: date) -> ChildRecord:
    template = template_for(period.dataset_year)
    version = active_version(unit, period)
    visits = list(Visit.objects.filter(submission=version, patient=patient)
                  .order_by("visit_date", "source_row")) if version else []  # fmt: skip
    quarters: dict[str, list[Contact]] = defaultdict(list)
    for visit in visits:
        quarters[_quarter(visit.visit_date, period)].append(
            _contact(visit, template, VISIT_SECTIONS)
        )
    kpi = KPI.objects.filter(patient=patient, audit_period=period).values().first() or {}
    latest = _latest_values(visits, period) if kpi else {}
    as_at = min(kpi.get("calculation_date") or period.end_date, period.end_date)
    contacts = sum(1 for v in visits if v.visit_date and "visit_date" not in v.errors
                   and period.start_date <= v.visit_date <= as_at)  # fmt: skip
    facts = ChildFacts(kpi, patient.diagnosis_date, latest, contacts)
    progress = AuditProgress.objects.filter(patient=patient, audit_period=period).first()
    sections = [(SECTION_LABELS.get(name, name), counts["completed"], counts["expected"])
                for name, counts in (progress.sections if progress else {}).items()
                if counts["expected"]]  # fmt: skip
    order = [*QUARTER_NAMES, "Outside the year"]
    errors = patient.errors or {}
    return ChildRecord(
        patient,
        list(patient.sites.select_related("paediatric_diabetes_unit").order_by("date_joined")),
        [(name, quarters[name]) for name in order if quarters.get(name)],
        explain(facts, period.end_date, period.start_date.year, today) if kpi else [],
        sections,
        [_value(patient, name, template, errors.get(name, [])) for name in DEMOGRAPHICS],
        [
            _value(patient, name, template, problems)
            for name, problems in errors.items()
            if name not in DEMOGRAPHICS
        ],
        version,
    )


def _quarter(day: date | None, period: AuditPeriod) -> str:
    if day is None or not period.start_date <= day <= period.end_date:
        return "Outside the year"
    months = (day.year - period.start_date.year) * 12 + day.month - period.start_date.month
    return QUARTER_NAMES[months // 3]


def _contact(visit, template, sections_by_name) -> Contact:
    shown = set()
    sections = []
    for name, fields in sections_by_name.items():
        values = [_value(visit, f, template, visit.errors.get(f, [])) for f in fields
                  if f in template.fields and (getattr(visit, f) not in (None, "")
                                               or f in visit.errors)]  # fmt: skip
        shown.update(fields)
        if values:
            sections.append((SECTION_LABELS.get(name, name), values))
    others = [_value(visit, f, template, problems) for f, problems in visit.errors.items()
              if f not in shown and f != "visit_date"]  # fmt: skip
    derived = [(label, str(getattr(visit, name))) for name, label in DERIVED_LABELS.items()
               if getattr(visit, name) is not None]  # fmt: skip
    return Contact(visit.visit_date, visit.source_row, sections, others, visit.pk, derived)


def _value(record, name: str, template, problems) -> Value:
    try:  # the words of the data dictionary, as the forms use them
        label = field_text(name, template.dataset_year).label
    except KeyError:
        label = OTHER_LABELS.get(name, name.replace("_", " ").capitalize())
    return Value(label, _text(record, name), [p["message"] for p in problems])


def _text(record, name: str) -> str:
    if not hasattr(record, name):
        return ""
    value = getattr(record, name)
    if value in (None, ""):
        return ""
    choices = dict(record._meta.get_field(name).choices or ())
    if value in choices:
        return f"{choices[value]} ({value})"
    if isinstance(value, date):
        return f"{value:%-d %b %Y}"
    return str(value)


def _latest_values(visits, period: AuditPeriod) -> dict[str, str]:
    """The most recent value in words of each field a `latest_...` rule reads, among the
    child's rows in the year without an error in that field (kpis.md §1.4)."""
    rules = rules_for(period.dataset_year).values()
    wanted = {r.value for r in rules if isinstance(r, MostRecent)}
    in_year = [v for v in visits if v.visit_date and period.start_date <= v.visit_date
               <= period.end_date]  # fmt: skip
    latest = {}
    for column in wanted:
        name = column.removeprefix("latest_")
        rows = [v for v in in_year if hasattr(v, name) and getattr(v, name) is not None
                and name not in v.errors]  # fmt: skip
        if rows:
            latest[column] = _text(rows[-1], name)
    return latest


DUE_SQL = """
SELECT p.id, coalesce(p.nhs_number, p.unique_reference_number), p.diagnosis_date, {states}
FROM npda_patient p
LEFT JOIN npda_kpi k ON k.patient_id = p.id AND k.audit_period_id = %(period)s
     AND k.paediatric_diabetes_unit_id = %(unit)s
WHERE p.id = ANY({version_children})
ORDER BY 2
"""


def unit_due(unit: PaediatricDiabetesUnit, period: AuditPeriod, today: date) -> list[DueChild]:
    """Every child in the unit's data for the year with its care processes not done: one
    query of the children's care-process states, nothing else (the worklist and the landing
    page's counts)."""
    version = active_version(unit, period)
    if version is None:
        return []
    year = period.start_date.year
    fields = care_process_fields(year)
    sql = DUE_SQL.format(version_children=VERSION_CHILDREN, states=_state_columns(fields))
    with connection.cursor() as cursor:
        cursor.execute(sql, {
            "version": version.pk, "period": period.pk, "unit": unit.pk})  # fmt: skip
        rows = cursor.fetchall()
    return [
        DueChild(pk, identifier, due_items(dict(zip(fields, kpi, strict=True)), diagnosis,
                                           period.end_date, year, today))
        for pk, identifier, diagnosis, *kpi in rows
    ]  # fmt: skip


def due_list(children: list[DueStates]) -> list[tuple[DueStates, DueItem]]:
    """Every child and care process not done, soonest due first (missed ones first of all)."""
    items = [(child, item) for child in children for item in child.due]
    return sorted(items, key=lambda pair: (pair[1].due, pair[0].identifier, pair[1].number))
