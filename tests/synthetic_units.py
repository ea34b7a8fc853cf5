"""The real units as the synthetic cohort generator sees them, for its tests."""

import csv
from datetime import date

from django.conf import settings

from npda.synthetic.generator import AuditYear
from npda.synthetic.plan import UnitInfo

TODAY = date(2026, 11, 26)
YEAR = AuditYear(2024, TODAY)


def national_units() -> list[UnitInfo]:
    """The real 172 units from the reference data, as the service reads them from the DB."""
    path = settings.NPDA_REFERENCE_DATA / "lookups" / "paediatric_diabetes_units.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [
        UnitInfo(
            row["pz_code"],
            row["nhser_code"] or ("wales" if row["lhb_code"] else "jersey"),
            row["postcode"],
        )
        for row in rows
    ]
