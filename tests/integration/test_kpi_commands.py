"""compute_kpis and kpi_table as a script or audit staff run them (publish_aggregates: see
test_releases)."""

import csv

import pytest
from django.core.management import CommandError, call_command

from aggregation.models import KPIRun
from aggregation.selectors import KPI_TABLE_COLUMNS
from npda.data_model import models as m
from tests.kpi_cohort import CLINIC, Cohort, hba1c, open_only

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_units():
    a = Cohort("PZ041")
    b = Cohort("PZ001", period=a.period)
    for cohort, values in ((a, (58, 62, None)), (b, (70,))):
        for value in values:
            cohort.child(rows=(CLINIC if value is None else hba1c(value),))
    return a.period


def test_compute_kpis_for_an_audit_year(two_units, capsys):
    call_command("compute_kpis", "--audit-year", "2024", "--calculation-date", "2025-03-31")
    out = capsys.readouterr().out
    assert "2024-2025 (all units), as at 2025-03-31: 4 children scored" in out
    assert m.KPI.objects.filter(audit_period=two_units).count() == 4
    assert KPIRun.objects.get().trigger == "command"


def test_compute_kpis_for_one_unit(two_units, capsys):
    call_command("compute_kpis", "--audit-year", "2024", "--pdu", "pz041")
    assert "(PZ041)" in capsys.readouterr().out
    assert set(m.KPI.objects.values_list("paediatric_diabetes_unit", flat=True)) == {"PZ041"}


def test_compute_kpis_without_a_year_runs_the_open_periods(two_units, capsys):
    open_only(two_units)
    call_command("compute_kpis")
    assert "2024-2025 (all units)" in capsys.readouterr().out


def test_if_stale_computes_only_when_an_upload_is_newer_than_the_last_full_run(two_units, capsys):
    call_command("compute_kpis", "--audit-year", "2024", "--if-stale")
    call_command("compute_kpis", "--audit-year", "2024", "--if-stale")
    assert KPIRun.objects.count() == 1
    assert "KPIs are up to date with the latest upload" in capsys.readouterr().out
    Cohort("PZ002", period=two_units).child(rows=(CLINIC,))
    call_command("compute_kpis", "--audit-year", "2024", "--if-stale")
    assert KPIRun.objects.count() == 2
    assert m.KPI.objects.filter(audit_period=two_units).count() == 5


def test_an_unknown_audit_year_is_a_clear_error():
    with pytest.raises(CommandError, match="There is no 1999-2000 audit period"):
        call_command("compute_kpis", "--audit-year", "1999")


def read_table(path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def test_kpi_table_writes_one_row_per_area_and_measure(two_units, tmp_path):
    call_command("compute_kpis", "--audit-year", "2024")
    out = tmp_path / "pdu.csv"
    call_command("kpi_table", "--audit-year", "2024", "--level", "pdu", "--out", str(out))
    rows = read_table(out)
    assert tuple(rows[0]) == KPI_TABLE_COLUMNS
    assert len(rows) == 2 * 51
    by_key = {(r["area_code"], r["measure"]): r for r in rows}
    hba1c = by_key["PZ041", "25"]
    assert (hba1c["level"], hba1c["passed"], hba1c["failed"], hba1c["denominator"]) == (
        "pdu",
        "2",
        "1",
        "3",
    )
    assert float(hba1c["value"]) == pytest.approx(2 / 3)
    assert float(hba1c["ci95_low"]) < 2 / 3 < float(hba1c["ci95_high"])
    assert float(by_key["PZ041", "44"]["value"]) == pytest.approx(60.0)
    assert ("PZ041", "32.1") in by_key


@pytest.mark.parametrize(
    ("level", "areas"),
    [
        ("country", {"E92000001", "W92000004"}),
        ("lhb", {"W11000031"}),
        ("icb", {"E54000056"}),
        ("national", {"EW"}),
        ("network", {"PN06", "PN07"}),
        ("trust", {"RGT"}),
        ("region", {"E40000007"}),
    ],
)
def test_kpi_table_at_every_level(two_units, tmp_path, level, areas):
    call_command("compute_kpis", "--audit-year", "2024")
    out = tmp_path / f"{level}.csv"
    call_command("kpi_table", "--audit-year", "2024", "--level", level, "--out", str(out))
    rows = read_table(out)
    assert {r["area_code"] for r in rows} == areas
    assert {r["level"] for r in rows} == {level}
    eligible = sum(int(r["passed"]) for r in rows if r["measure"] == "1")
    assert eligible == (1 if level == "lhb" else 3 if level in ("icb", "trust", "region") else 4)
