"""Benchmark: CSV import end to end (10,000 rows) and peak memory of a 100,000-row import."""

import csv
import io
import json
import os
import random
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

from bench.common import BENCH_DATABASE, ROOT, report, timed, without_sign_off

BENCH_UNIT = "PZ041"


def unit_csv(rows: int, seed: int = 1, children_per_1000_rows: int = 70) -> bytes:
    """A valid, well-filled 2021-template file for one unit: ~14 visits per child."""
    from constants.csv_template import TEMPLATE_2021
    from npda.data_model.identifiers import nhs_number_check_digit

    rng = random.Random(seed)
    children = max(1, rows * children_per_1000_rows // 1000)
    numbers = []
    n = 0
    while len(numbers) < children:
        first_nine = f"999{n:06d}"
        if (check := nhs_number_check_digit(first_nine)) is not None:
            numbers.append(first_nine + str(check))
        n += 1
    fields = ["nhs_number"] + [c.field for c in TEMPLATE_2021.columns[1:]]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(TEMPLATE_2021.headings())
    start = date(2024, 4, 1)
    for i in range(rows):
        child, visit = i % children, i // children  # each child's visits 3 days apart
        birth = date(2006 + child % 12, 1 + child % 12, 1 + child % 28)
        day = start + timedelta(days=(visit * 3 + child % 3) % 363)
        d = day.strftime("%d/%m/%Y")
        cells = {
            "nhs_number": numbers[child],
            "date_of_birth": birth.strftime("%d/%m/%Y"),
            "postcode": "WC1X 8SH",
            "sex": str(1 + child % 2),
            "ethnicity": "ABCHJMNS"[child % 8],
            "diabetes_type": "1",
            "diagnosis_date": "03/03/2019",
            "gp_practice_ods_code": "A81001",
            "paediatric_diabetes_unit": BENCH_UNIT,
            "visit_date": d,
            "height": f"{140 + child % 40}.{i % 10}",
            "weight": f"{35 + child % 30}.{i % 10}",
            "height_weight_observation_date": d,
            "hba1c": str(rng.randint(45, 80)),
            "hba1c_format": "1",
            "hba1c_date": d,
            "treatment": "2",
            "glucose_monitoring": "4",
            "systolic_blood_pressure": str(rng.randint(95, 130)),
            "diastolic_blood_pressure": str(rng.randint(55, 85)),
            "blood_pressure_observation_date": d,
        }
        if i % 7 == 0:
            cells.update(
                albumin_creatinine_ratio="1.2",
                albuminuria_stage="1",
                albumin_creatinine_ratio_date=d,
                thyroid_function_date=d,
                foot_examination_observation_date=d,
                smoking_status="1",
                sick_day_rules_training_date=d,
                flu_immunisation_recommended_date=d,
            )
        writer.writerow([cells.get(f, "") for f in fields])
    return buffer.getvalue().encode()


def run(repeats: int = 3) -> None:
    from npda.data_model.models import AuditPeriod, PaediatricDiabetesUnit
    from npda.submissions.services import import_submission

    period, _ = AuditPeriod.objects.get_or_create(
        start_date=date(2024, 4, 1),
        defaults={"end_date": date(2025, 3, 31), "slug": "2024-2025", "is_open": False},
    )
    unit = PaediatricDiabetesUnit.objects.get(pz_code=BENCH_UNIT)
    without_sign_off(unit, period)
    content = unit_csv(10_000)
    print(f"CSV import of one unit ({len(content) / 1e6:.1f} MB, 10,000 rows, 700 children)")

    def import_once():
        result = import_submission(
            content, f"{BENCH_UNIT}.csv", unit, period, allow_closed_period=True
        )
        assert result.accepted and result.visits == 10_000, result

    report("end to end: check, validate, store (10,000 rows)", timed(import_once, repeats))
    _peak_memory(100_000)


def _peak_memory(rows: int) -> None:
    """The import command in its own process (bench/import_memory.py): its peak resident
    memory, and the same process's before the import for comparison."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{BENCH_UNIT} big.csv"
        path.write_bytes(unit_csv(rows, children_per_1000_rows=10))
        env = {**os.environ, "NPDA_BENCH_DATABASE": BENCH_DATABASE}
        completed = subprocess.run(
            [sys.executable, "-m", "bench.import_memory", str(path), BENCH_UNIT, "2024"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        assert completed.returncode == 0, completed.stderr[-2000:]
        result = json.loads(completed.stdout.strip().splitlines()[-1])
        assert result["visits"] == rows, result
        size = path.stat().st_size / 1e6
    print(
        f"  peak memory, import of {rows:,} rows ({size:.0f} MB) in its own process: "
        f"{result['peak_kb'] / 1024:.0f} MB resident "
        f"(the same process before the import: {result['before_kb'] / 1024:.0f} MB)"
    )
