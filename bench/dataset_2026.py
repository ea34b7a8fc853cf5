"""Benchmark: the 2026 dataset beside the 2021 dataset, in one run (issue 13's target: a 2026
national cohort's import rate and full recompute within 20% of the 2021 figures).

The synthetic national cohort of 2025-26 (2021 template) and of 2026-27 (2026 template, the
same children a year on), both as ended years: every unit's file is imported through the upload
service (check, validate, store), the years taking turns, then each period's KPIs are fully
recomputed, again taking turns, so both see the same machine.
"""

import logging
import tempfile
import time
from datetime import date
from pathlib import Path
from statistics import median

from bench.common import report

PATIENTS = 34_000
YEARS = {2025: "2021 template", 2026: "2026 template"}
TODAY = date(2027, 5, 1)  # both years ended, so each holds a whole year of visits
TARGET = 0.20  # within 20% of the 2021 figure


def run(import_rounds: int = 2, recompute_rounds: int = 3) -> None:
    from npda.synthetic.service import generate_cohort

    logging.getLogger("npda.submissions").setLevel(logging.WARNING)  # a line per upload

    with tempfile.TemporaryDirectory() as folder:
        files = {}
        for year in YEARS:
            directory = Path(folder) / str(year)
            generate_cohort(
                audit_year=year, patients=PATIENTS, seed=1, today=TODAY, csv_dir=directory
            )
            files[year] = sorted(directory.iterdir())
        rows = {year: _rows(paths) for year, paths in files.items()}
        print(
            f"2026 dataset beside 2021: national cohort ({PATIENTS:,} children) of 2025-26 "
            f"({rows[2025]:,} rows) and 2026-27 ({rows[2026]:,} rows), {len(files[2026])} units"
        )
        rates: dict[int, list[float]] = {year: [] for year in YEARS}
        for _ in range(import_rounds):
            for year in YEARS:
                seconds = _import_all(year, files[year])
                rates[year].append(rows[year] / seconds)
    for year, label in YEARS.items():
        print(f"  import, {label}: median {median(rates[year]):,.0f} rows/s "
              f"(all units' files; {', '.join(f'{r:,.0f}' for r in rates[year])})")  # fmt: skip
    _compare("import rate (rows/s)", rates, higher_is_better=True)
    seconds = _recompute(recompute_rounds)
    for year, label in YEARS.items():
        report(f"full recompute, {label}", seconds[year])
    _compare("full recompute (s)", seconds, higher_is_better=False)


def _rows(paths: list[Path]) -> int:
    return sum(path.read_bytes().count(b"\n") - 1 for path in paths)


def _import_all(year: int, paths: list[Path]) -> float:
    from npda.data_model.models import AuditPeriod, PaediatricDiabetesUnit
    from npda.submissions.services import import_submission

    period = AuditPeriod.objects.get(start_date=date(year, 4, 1))
    units = {u.pz_code: u for u in PaediatricDiabetesUnit.objects.filter(is_active=True)}
    started = time.perf_counter()
    for path in paths:
        unit = units[path.name[:5]]
        result = import_submission(
            path.read_bytes(), path.name, unit, period, allow_closed_period=True, today=TODAY
        )
        assert result.accepted and result.records_with_errors == 0, (path.name, result)
    return time.perf_counter() - started


def _recompute(rounds: int) -> dict[int, list[float]]:
    from aggregation.services import compute_kpis
    from npda.data_model.models import AuditPeriod

    periods = {year: AuditPeriod.objects.get(start_date=date(year, 4, 1)) for year in YEARS}
    seconds: dict[int, list[float]] = {year: [] for year in YEARS}
    for _ in range(rounds):
        for year, period in periods.items():
            started = time.perf_counter()
            compute_kpis(period, calculation_date=period.end_date)
            seconds[year].append(time.perf_counter() - started)
    return seconds


def _compare(label: str, figures: dict[int, list[float]], *, higher_is_better: bool) -> None:
    old, new = median(figures[2025]), median(figures[2026])
    change = (old - new) / old if higher_is_better else (new - old) / old
    verdict = "met" if change <= TARGET else "NOT met"
    worse = "slower" if change > 0 else "faster"
    print(
        f"  {label}: 2026 template {abs(change):.0%} {worse} than 2021 "
        f"(target: within {TARGET:.0%}): {verdict}"
    )
