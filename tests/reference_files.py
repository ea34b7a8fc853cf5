"""Helpers to make broken copies of the real reference data for error tests."""

import csv
import json
import shutil
from pathlib import Path

from django.conf import settings


def copy_reference_data(tmp_path: Path) -> Path:
    target = tmp_path / "reference"
    shutil.copytree(settings.NPDA_REFERENCE_DATA, target)
    for path in target.rglob("*"):
        path.chmod(0o644 if path.is_file() else 0o755)
    return target


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, *rows])


def set_cell(path: Path, row_number: int, column: str, value: str) -> str:
    """Set one cell (row numbers as in a spreadsheet: header is row 1); returns the old value."""
    header, rows = _read(path)
    index = header.index(column)
    old = rows[row_number - 2][index]
    rows[row_number - 2][index] = value
    _write(path, header, rows)
    return old


def find_row(path: Path, column: str, value: str) -> int:
    header, rows = _read(path)
    index = header.index(column)
    return next(n for n, row in enumerate(rows, start=2) if row[index] == value)


def drop_column(path: Path, column: str) -> None:
    header, rows = _read(path)
    index = header.index(column)
    _write(
        path,
        [h for i, h in enumerate(header) if i != index],
        [[v for i, v in enumerate(r) if i != index] for r in rows],
    )


def set_geometry(path: Path, feature_index: int, geometry: dict) -> str:
    """Replace the geometry of one feature (0-based); returns its code."""
    collection = json.loads(path.read_text(encoding="utf-8"))
    feature = collection["features"][feature_index]
    feature["geometry"] = geometry
    path.write_text(json.dumps(collection), encoding="utf-8")
    return feature["properties"]["code"]


BOW_TIE = {
    "type": "MultiPolygon",
    "coordinates": [[[[-2.0, 53.0], [-1.0, 54.0], [-1.0, 53.0], [-2.0, 54.0], [-2.0, 53.0]]]],
}
