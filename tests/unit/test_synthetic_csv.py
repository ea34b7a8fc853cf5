"""The synthetic cohort as NPDA template CSVs, and reading them back with the upload parser."""

import csv
import io
from datetime import date

import pytest

from constants.csv_template import TEMPLATE_2021, TEMPLATE_2026
from npda.data_model.models import AuditPeriod, PaediatricDiabetesUnit
from npda.submissions.children import RecordBuilder
from npda.submissions.reader import read_upload
from npda.synthetic.csv_writer import csv_file_name, write_unit_csv, write_unit_csv_file
from npda.synthetic.generator import AuditYear, generate_unit
from npda.synthetic.plan import plan_cohort
from tests.synthetic_units import YEAR, national_units


def csv_text(cohort) -> str:
    stream = io.StringIO()
    write_unit_csv(stream, cohort)
    return stream.getvalue()


def test_a_unit_file_has_the_template_header_and_one_row_per_visit(plan):
    cohort = generate_unit(plan, "PZ041", YEAR)
    rows = list(csv.reader(io.StringIO(csv_text(cohort))))
    assert rows[0] == TEMPLATE_2021.headings(jersey=False)
    assert len(rows) == len(cohort.visits) + 1
    by_row = {visit.source_row: visit for visit in cohort.visits}
    patients = {patient.key: patient for patient in cohort.patients}
    for number, row in enumerate(rows[1:], start=2):
        visit = by_row[number]
        patient = patients[visit.patient_key]
        assert row[0] == visit.patient_key
        assert row[1] == patient.fields["date_of_birth"].strftime("%d/%m/%Y")
        assert row[11] == "PZ041"
        assert row[12] == visit.fields["visit_date"].strftime("%d/%m/%Y")
        assert row[16] == str(visit.fields.get("hba1c") or "")


def test_jersey_files_use_the_unique_reference_number_column(plan):
    cohort = generate_unit(plan, "PZ248", YEAR)
    rows = list(csv.reader(io.StringIO(csv_text(cohort))))
    assert rows[0] == TEMPLATE_2021.headings(jersey=True)
    assert rows[1][0].startswith("JE-SYN-")


def test_cells_are_day_first_dates_plain_numbers_and_empty_blanks(plan):
    text = csv_text(generate_unit(plan, "PZ001", YEAR))
    rows = list(csv.reader(io.StringIO(text)))[1:]
    hba1c = [row[16] for row in rows if row[16]]
    assert all(len(value.split(".")[1]) == 2 for value in hba1c)
    heights = [row[13] for row in rows if row[13]]
    assert all(len(value.split(".")[1]) == 1 for value in heights)
    assert all(row[17] in ("", "1", "2") for row in rows)
    assert all(len(row[12]) == 10 and row[12][2] == "/" and row[12][5] == "/" for row in rows)
    assert "None" not in text and "\r" not in text


def test_files_are_named_from_the_pz_code_and_byte_identical_for_the_same_seed(plan, tmp_path):
    assert csv_file_name("PZ041", "2024-2025") == "PZ041 NPDA data 2024-2025.csv"
    first = write_unit_csv_file(tmp_path, generate_unit(plan, "PZ041", YEAR), "2024-2025")
    content = first.read_bytes()
    again = plan_cohort(1, national_units(), 34_000)
    second = write_unit_csv_file(tmp_path, generate_unit(again, "PZ041", YEAR), "2024-2025")
    assert first == second and second.read_bytes() == content
    content.decode("utf-8")


YEAR_2026 = AuditYear(2026, date(2026, 12, 1))  # in progress


@pytest.mark.parametrize("year", [YEAR, YEAR_2026], ids=["2021 template", "2026 template"])
@pytest.mark.parametrize("pz_code", ["PZ041", "PZ248", "PZ020", "PZ001"])
def test_reading_the_file_back_gives_the_same_records_without_errors(plan, pz_code, year):
    """The importer's parser and validator turn the file into exactly the generated records,
    so generating into the database and importing the files store the same data."""
    cohort = generate_unit(plan, pz_code, year)
    content = csv_text(cohort).encode("utf-8")
    period = AuditPeriod(start_date=year.start, end_date=year.end, slug=year.slug, is_open=False)
    upload = read_upload(
        content,
        csv_file_name(pz_code, year.slug),
        pz_code,
        template=year.template,
        period_label=year.slug,
        period_is_open=False,
        may_upload_to_closed_period=True,
        size_limit_mb=100,
    )
    builder = RecordBuilder(upload, PaediatricDiabetesUnit(pz_code=pz_code), period, year.today)
    for _ in builder.build():
        pass
    assert builder.warnings == []
    assert [p.errors for p in builder.patients if p.errors] == []
    assert [(v.source_row, v.errors) for v in builder.visits if v.errors] == []
    assert builder.patients == cohort.patients
    assert builder.visits == cohort.visits
    assert isinstance(builder.visits[0].fields["visit_date"], date)


def test_a_2026_file_has_the_2026_template_and_its_new_items(plan):
    cohort = generate_unit(plan, "PZ001", YEAR_2026)
    rows = list(csv.reader(io.StringIO(csv_text(cohort))))
    assert rows[0] == TEMPLATE_2026.headings(jersey=False)
    assert all(len(row) == 59 for row in rows)
    fields = [f for v in cohort.visits for f in v.fields]
    new_items = (
        "insulin_regimen",
        "non_insulin_medication",
        "cgm_use",
        "smoking_vaping_status",
        "hospital_admission_reason_2026",
        "blood_gas_ph",
        "immunotherapy_received",
    )
    for name in new_items:
        assert name in fields, name
    for name in ("treatment", "hba1c_format", "glucose_monitoring", "hospital_admission_reason"):
        assert name not in fields, name
    assert {p.fields["adhd_asd_status"] for p in cohort.patients} >= {1, 4, 99}
    assert max(v.fields["visit_date"] for v in cohort.visits) <= YEAR_2026.today
