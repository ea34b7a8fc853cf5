"""Generate the synthetic cohort for an audit year: into the database, or as one CSV per unit.

The database route stores each unit through `store_submission`, the same function the CSV
importer calls, so generating into the database and importing the generated files give the same
children and visits. Each unit is its own transaction and becomes the unit's active submission.
"""

from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

from npda.data_model.models import AuditPeriod, PaediatricDiabetesUnit, Submission
from npda.data_model.row_history import without_row_history

from .csv_writer import csv_file_name, write_unit_csv_file
from .generator import AuditYear, generate_unit
from .parameters import MAX_PATIENTS_PER_YEAR
from .plan import CohortPlan, UnitInfo, plan_cohort


class CohortError(ValueError):
    """A request the generator cannot carry out (bad unit codes, unsupported year...)."""


@dataclass(frozen=True)
class UnitDone:
    done: int
    total: int
    pz_code: str
    children: int
    visits: int
    skipped: bool = False


@dataclass
class CohortResult:
    units: int = 0  # generated (not skipped)
    children: int = 0
    visits: int = 0
    skipped: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    last: UnitDone | None = None

    def add(self, unit: UnitDone) -> None:
        self.last = unit
        if unit.skipped:
            self.skipped.append(unit.pz_code)
            return
        self.units += 1
        self.children += unit.children
        self.visits += unit.visits


def generate_cohort(
    *,
    audit_year: int,
    patients: int,
    seed: int,
    pz_codes: Iterable[str] | None = None,
    csv_dir: Path | None = None,
    skip_existing: bool = False,
    today: date | None = None,
    progress: Callable[[UnitDone], None] | None = None,
) -> CohortResult:
    """Generate the listed units (default: all active units) of a national cohort of
    `patients` children. With `csv_dir`, write files and leave the database untouched."""
    if csv_dir is None and settings.PRODUCTION:
        raise CohortError("Synthetic children are never stored in the production database.")
    year = AuditYear(audit_year, today or timezone.localdate())
    units = {u.pz_code: u for u in PaediatricDiabetesUnit.objects.filter(is_active=True)}
    if patients < 1 or not units:
        raise CohortError("Nothing to generate: no patients asked for, or no units loaded.")
    if patients > MAX_PATIENTS_PER_YEAR:
        raise CohortError(
            f"At most {MAX_PATIENTS_PER_YEAR:,} children fit in the 999 test range of NHS numbers."
        )
    plan = plan_cohort(seed, [unit_info(u) for u in units.values()], patients)
    selected = select_units(pz_codes, units)
    if csv_dir is not None:
        Path(csv_dir).mkdir(parents=True, exist_ok=True)
        return _write_files(plan, selected, year, Path(csv_dir), progress)
    period = audit_period(year)
    result = _store(plan, [units[c] for c in selected], year, period, skip_existing, progress)
    if result.units:
        _analyse_clinical_tables()
    return result


def _analyse_clinical_tables() -> None:
    """Fresh planner statistics after bulk loading (the KPI run that follows plans with them;
    autovacuum may be slow or off)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE npda_patient, npda_site, npda_submission_patients, npda_visit")


def unit_info(unit: PaediatricDiabetesUnit) -> UnitInfo:
    """The region level of the random effects: NHS England region, Wales, or Jersey."""
    region = unit.nhs_england_region_id or ("wales" if unit.local_health_board_id else "jersey")
    return UnitInfo(unit.pz_code, region, unit.postcode or "")


def normalise_pz_code(text: str) -> str | None:
    value = "".join(text.split()).upper().removeprefix("PZ")
    return f"PZ{int(value):03d}" if value.isdigit() and 1 <= int(value) <= 999 else None


def select_units(pz_codes: Iterable[str] | None, units: dict) -> list[str]:
    if not pz_codes:
        return sorted(units)
    wanted = {text: normalise_pz_code(text) for text in pz_codes}
    unknown = [text for text, code in wanted.items() if code not in units]
    if unknown:
        raise CohortError(f"Not an active unit: {', '.join(unknown)}")
    return sorted(set(wanted.values()))


def audit_period(year: AuditYear) -> AuditPeriod:
    period, _ = AuditPeriod.objects.get_or_create(
        start_date=year.start,
        defaults={"end_date": year.end, "slug": year.slug, "is_open": year.today <= year.end},
    )
    return period


def derive_imd_quintiles(submission: Submission, quintiles: dict[str, int]) -> None:
    """Set the derived deprivation quintile of the submission's children (the stand-in for the
    postcode lookup: the synthetic generator knows where its children live)."""
    children = submission.patients.values_list("id", "nhs_number", "unique_reference_number")
    ids, values = [], []
    for pk, nhs_number, reference in children:
        ids.append(pk)
        values.append(quintiles.get(nhs_number or reference))
    with without_row_history(), connection.cursor() as cursor:  # derived: not a change to record
        cursor.execute(
            "UPDATE npda_patient p SET imd_quintile = v.q"
            " FROM unnest(%s::bigint[], %s::smallint[]) AS v(id, q) WHERE p.id = v.id",
            [ids, values],
        )


def _write_files(
    plan: CohortPlan,
    selected: list[str],
    year: AuditYear,
    directory: Path,
    progress: Callable[[UnitDone], None] | None,
) -> CohortResult:
    result = CohortResult()
    for done, pz_code in enumerate(selected, start=1):
        cohort = generate_unit(plan, pz_code, year)
        result.files.append(write_unit_csv_file(directory, cohort, year.slug))
        children, visits = len(cohort.patients), len(cohort.visits)
        result.add(UnitDone(done, len(selected), pz_code, children, visits))
        if progress:
            progress(result.last)
    return result


def _store(
    plan: CohortPlan,
    units: list[PaediatricDiabetesUnit],
    year: AuditYear,
    period: AuditPeriod,
    skip_existing: bool,
    progress: Callable[[UnitDone], None] | None,
) -> CohortResult:
    loaded = set()
    if skip_existing:
        loaded = set(
            Submission.objects.filter(audit_period=period, is_active=True).values_list(
                "paediatric_diabetes_unit_id", flat=True
            )
        )
    result = CohortResult()
    with _without_waiting_for_disk():
        for done, unit in enumerate(units, start=1):
            if unit.pz_code in loaded:
                result.add(UnitDone(done, len(units), unit.pz_code, 0, 0, skipped=True))
            else:
                children, visits = _store_unit(plan, unit, year, period)
                result.add(UnitDone(done, len(units), unit.pz_code, children, visits))
            if progress:
                progress(result.last)
    return result


@contextmanager
def _without_waiting_for_disk():
    """Synthetic data only: commits need not wait for the disk (one wait per unit otherwise;
    a crash loses at most the last units, which a rerun with --skip-existing makes again)."""
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def _store_unit(
    plan: CohortPlan, unit: PaediatricDiabetesUnit, year: AuditYear, period: AuditPeriod
) -> tuple[int, int]:
    """One unit's children as its active submission (the upload's own write path), then their
    derived deprivation quintiles. Returns the children and visits stored."""
    from npda.submissions.store import store_submission  # imports the KPI job queue

    cohort = generate_unit(plan, unit.pz_code, year)
    name = csv_file_name(unit.pz_code, year.slug)
    submission = store_submission(unit, period, cohort.patients, cohort.visits, file_name=name)
    derive_imd_quintiles(submission, cohort.imd_quintiles)
    return len(cohort.patients), len(cohort.visits)
