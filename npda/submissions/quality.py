"""A unit's data-quality report for an audit year (issue 21; the private unit view): how
complete its data are, field by field and form section by section, beside England and Wales
(from the AuditProgress the KPI engine computes); its errors by rule; children with no contact
in a quarter passed; children also in another unit's data for the year; children whose year of
care is incomplete. As a page, and as a workbook like the audit's own (the original rows, the
rows with each error as a cell comment, the error list) with these tables first.

Every query is one for all the unit's children (and one for the nation), never one per child.
"""

import io
from dataclasses import dataclass, field
from datetime import date

from django.db import connection

from aggregation.scoring import VISIT_COLUMNS
from constants.csv_template import template_for
from constants.sections import VISIT_SECTIONS
from npda.data_model.models import AuditPeriod, PaediatricDiabetesUnit, Submission
from npda.spreadsheets import add_sheet, new_workbook
from npda.submissions.messages import RULE_TITLES
from npda.submissions.reports import add_error_sheets
from npda.submissions.selectors import active_version

QUARTERS = ("April to June", "July to September", "October to December", "January to March")


@dataclass(frozen=True)
class Completeness:
    name: str
    completed: int
    expected: int
    national_completed: int
    national_expected: int

    @property
    def percent(self) -> float | None:
        return 100 * self.completed / self.expected if self.expected else None

    @property
    def national_percent(self) -> float | None:
        n = self.national_expected
        return 100 * self.national_completed / n if n else None


@dataclass(frozen=True)
class ChildNote:
    identifier: str
    note: str  # in words: "no contact in July to September", "also in PZ002's data", ...


@dataclass
class QualityReport:
    unit: PaediatricDiabetesUnit
    period: AuditPeriod
    version: Submission | None  # the data in use (None: no data)
    sections: list[Completeness] = field(default_factory=list)
    fields: list[Completeness] = field(default_factory=list)
    errors_by_rule: list[tuple[str, str, int]] = field(default_factory=list)
    quarter_gaps: list[ChildNote] = field(default_factory=list)
    in_other_units: list[ChildNote] = field(default_factory=list)
    incomplete_year: list[ChildNote] = field(default_factory=list)

    @property
    def overall(self) -> Completeness | None:
        done = sum(s.completed for s in self.sections)
        expected = sum(s.expected for s in self.sections)
        national = (sum(s.national_completed for s in self.sections),
                    sum(s.national_expected for s in self.sections))  # fmt: skip
        return Completeness("All fields", done, expected, *national) if expected else None


def quality_report(
    unit: PaediatricDiabetesUnit, period: AuditPeriod, *, today: date, name_other_units: bool
) -> QualityReport:
    """`name_other_units`: whether to say which unit a shared child is also in (the audit team
    may know; a unit is told only that the child is in another unit's data)."""
    version = active_version(unit, period)
    report = QualityReport(unit, period, version)
    if version is None:
        return report
    report.sections, report.fields = _completeness(version, period)
    report.errors_by_rule = [
        (code, RULE_TITLES.get(code, ""), count)
        for code, count in sorted((version.errors.get("errors_by_rule") or {}).items())
    ]
    report.quarter_gaps = _quarter_gaps(version, period, today)
    report.in_other_units = _in_other_units(version, period, name_other_units)
    report.incomplete_year = _incomplete_year(version, period)
    return report


# Completeness ----------------------------------------------------------------------------------


def _completeness(version: Submission, period: AuditPeriod):
    """Per section and per field: completed and expected over the unit's children, and over
    every child in a unit's data for the period (AuditProgress, as the engine computed it)."""
    in_template = template_for(period.dataset_year).fields
    columns = [(i, name) for i, name in enumerate(VISIT_COLUMNS) if name in in_template]
    sums = ", ".join(
        f"sum((completed_mask >> {i}) & 1), sum((expected_mask >> {i}) & 1)" for i, _ in columns
    )
    sql = f"""
        SELECT (ap.patient_id IN (SELECT patient_id FROM npda_submission_patients
                                  WHERE submission_id = %(version)s)) AS own, {sums}
        FROM npda_auditprogress ap
        JOIN npda_submission_patients sp ON sp.patient_id = ap.patient_id
        JOIN npda_submission s ON s.id = sp.submission_id
             AND s.is_active AND s.audit_period_id = %(period)s
        WHERE ap.audit_period_id = %(period)s
        GROUP BY own"""
    with connection.cursor() as cursor:
        cursor.execute(sql, {"version": version.pk, "period": period.pk})
        rows = {own: values for own, *values in cursor.fetchall()}
    zeros = [0] * (2 * len(columns))
    own = [int(v) for v in rows.get(True, zeros)]
    everyone = [a + int(b) for a, b in zip(own, rows.get(False, zeros), strict=True)]
    by_field = {
        name: (own[2 * k], own[2 * k + 1], everyone[2 * k], everyone[2 * k + 1])
        for k, (_, name) in enumerate(columns)
    }
    fields = [Completeness(name, *counts) for name, counts in by_field.items() if counts[3]]
    sections = []
    for section, names in VISIT_SECTIONS.items():
        counts = [by_field[n] for n in names if n in by_field]
        totals = [sum(c[i] for c in counts) for i in range(4)]
        if totals[3]:
            sections.append(Completeness(section.replace("_", " "), *totals))
    return sections, fields


# Children ----------------------------------------------------------------------------------------


def _quarter_gaps(version: Submission, period: AuditPeriod, today: date) -> list[ChildNote]:
    """Children with no contact in a quarter that has ended (or the current one, when the year
    has ended)."""
    start = period.start_date
    ended = [q for q in range(4) if _quarter_end(start, q) <= min(today, period.end_date)]
    if not ended:
        return []
    sql = """
        SELECT coalesce(p.nhs_number, p.unique_reference_number),
               array_remove(array_agg(DISTINCT
                   (extract(year FROM age(v.visit_date, %(start)s)) * 12
                    + extract(month FROM age(v.visit_date, %(start)s)))::int / 3), NULL)
        FROM npda_submission_patients sp
        JOIN npda_patient p ON p.id = sp.patient_id
        LEFT JOIN npda_visit v ON v.patient_id = p.id AND v.submission_id = sp.submission_id
             AND v.visit_date BETWEEN %(start)s AND %(end)s
        WHERE sp.submission_id = %(version)s
        GROUP BY 1 ORDER BY 1"""
    with connection.cursor() as cursor:
        cursor.execute(sql, {"start": start, "end": period.end_date, "version": version.pk})
        rows = cursor.fetchall()
    notes = []
    for identifier, seen in rows:
        missing = [QUARTERS[q] for q in ended if q not in set(seen or [])]
        if missing:
            notes.append(ChildNote(identifier, "no contact in " + ", ".join(missing)))
    return notes


def _quarter_end(start: date, quarter: int) -> date:
    ends = [(6, 30), (9, 30), (12, 31), (3, 31)]
    month, day = ends[quarter]
    return date(start.year + (quarter == 3), month, day)


def _in_other_units(version: Submission, period: AuditPeriod, name: bool) -> list[ChildNote]:
    sql = """
        SELECT DISTINCT p.nhs_number, s.paediatric_diabetes_unit_id
        FROM npda_submission_patients own
        JOIN npda_patient p ON p.id = own.patient_id AND p.nhs_number IS NOT NULL
        JOIN npda_patient other ON other.nhs_number = p.nhs_number AND other.id <> p.id
        JOIN npda_submission_patients osp ON osp.patient_id = other.id
        JOIN npda_submission s ON s.id = osp.submission_id AND s.is_active
             AND s.audit_period_id = %(period)s AND s.paediatric_diabetes_unit_id <> %(unit)s
        WHERE own.submission_id = %(version)s
        ORDER BY 1, 2"""
    with connection.cursor() as cursor:
        cursor.execute(sql, {"period": period.pk, "unit": version.paediatric_diabetes_unit_id,
                             "version": version.pk})  # fmt: skip
        rows = cursor.fetchall()
    others: dict[str, list[str]] = {}
    for identifier, unit in rows:
        others.setdefault(identifier, []).append(unit)
    return [
        ChildNote(
            identifier,
            f"also in the data of {', '.join(units)}"
            if name
            else "also in another unit's data for this year",
        )
        for identifier, units in others.items()
    ]


def _incomplete_year(version: Submission, period: AuditPeriod) -> list[ChildNote]:
    """Children not in the unit's care for the whole year: diagnosed during it, left the unit
    or died during it (the complete-year populations of kpis.md §2 are judged on the same)."""
    sql = """
        SELECT coalesce(p.nhs_number, p.unique_reference_number), p.diagnosis_date,
               site.date_leaving_service, p.death_date
        FROM npda_submission_patients sp
        JOIN npda_patient p ON p.id = sp.patient_id
        LEFT JOIN npda_site site ON site.patient_id = p.id AND site.is_active
             AND site.paediatric_diabetes_unit_id = %(unit)s
        WHERE sp.submission_id = %(version)s
          AND (p.diagnosis_date BETWEEN %(start)s AND %(end)s
               OR site.date_leaving_service BETWEEN %(start)s AND %(end)s
               OR p.death_date BETWEEN %(start)s AND %(end)s)
        ORDER BY 1"""
    with connection.cursor() as cursor:
        cursor.execute(sql, {"unit": version.paediatric_diabetes_unit_id, "version": version.pk,
                             "start": period.start_date, "end": period.end_date})  # fmt: skip
        rows = cursor.fetchall()
    notes = []
    for identifier, diagnosed, left, died in rows:
        why = [text for text, when in (("diagnosed", diagnosed), ("left the unit", left),
                                       ("died", died))
               if when and period.start_date <= when <= period.end_date]  # fmt: skip
        notes.append(ChildNote(identifier, " and ".join(why) + " during the year"))
    return notes


# The workbook -----------------------------------------------------------------------------------


def quality_xlsx(report: QualityReport) -> bytes:
    """The report's tables, then the audit's error report (original rows, rows with each
    error as a cell comment, the error list)."""
    buffer = io.BytesIO()
    book = new_workbook(buffer)
    completeness = ([report.overall] if report.overall else []) + report.sections + report.fields
    add_sheet(book, "Completeness", ["Section or field", "Completed", "Expected", "%",
                                     "England and Wales %"],
              ([row.name, row.completed, row.expected, _rounded(row.percent),
                _rounded(row.national_percent)] for row in completeness))  # fmt: skip
    for title, notes in (("Quarters without contact", report.quarter_gaps),
                         ("In other units", report.in_other_units),
                         ("Incomplete year of care", report.incomplete_year)):  # fmt: skip
        add_sheet(book, title, ["NHS number", "Note"], ([n.identifier, n.note] for n in notes))
    if report.version is not None:
        add_error_sheets(book, report.version)
    book.close()
    return buffer.getvalue()


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
