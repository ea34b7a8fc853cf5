"""A 2026-template file through the import service: stored fields, error reports with the 2026
headings, and each period refusing the other year's template with nothing changed."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from npda.data_model import models as m
from npda.submissions.reports import errors_csv, errors_xlsx
from npda.submissions.services import import_submission
from tests.csv_files import make_csv, make_csv_2026, row, row_2026
from tests.factories import AuditPeriodFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 1)


@pytest.fixture
def unit():
    return m.PaediatricDiabetesUnit.objects.get(pz_code="PZ041")


@pytest.fixture
def period_2026():
    return AuditPeriodFactory(year=2026, is_open=True)


def rows_2026() -> list[dict]:
    return [
        row_2026(
            adhd_asd_status="3",
            learning_disability_status="2",
            insulin_regimen="5",
            non_insulin_medication="1",
            cgm_use="1",
            immunotherapy_received="1",
            immunotherapy_date="01/02/2018",  # before diagnosis (03/03/2019): allowed
        ),
        row_2026(
            visit_date="01/07/2026",
            hba1c="7.5",  # a percentage: E12 in 2026
            hba1c_date="01/07/2026",
            hospital_admission_date="01/07/2026",
            hospital_admission_reason_2026="1",
            dka_additional_therapies="1",
            blood_gas_ph="7.05",
            blood_gas_bicarbonate="9.5",
            adhd_asd_status="4",  # differs from the first row: W02
        ),
    ]


def test_a_2026_file_stores_the_2026_fields(unit, period_2026):
    result = import_submission(
        make_csv_2026(rows_2026()), "PZ041.csv", unit, period_2026, today=TODAY
    )
    assert result.accepted, result.fatal_message
    assert (result.patients, result.visits, result.records_with_errors) == (1, 2, 1)
    assert result.errors_by_rule == {"E12": 1} and result.warnings == {"W02": 1}
    child = m.Patient.objects.get()
    assert (child.adhd_asd_status, child.learning_disability_status, child.dataset_year) == (
        3,
        2,
        2026,
    )
    first, admission = m.Visit.objects.order_by("source_row")
    assert first.dataset_year == 2026 and first.hba1c_format is None
    assert (first.insulin_regimen, first.non_insulin_medication, first.cgm_use) == (5, 1, 1)
    assert first.immunotherapy_date == dt.date(2018, 2, 1) and first.errors == {}
    assert admission.hospital_admission_reason_2026 == 1
    assert admission.hospital_admission_reason is None
    assert (admission.blood_gas_ph, admission.blood_gas_bicarbonate) == (
        Decimal("7.050"),
        Decimal("9.50"),
    )
    assert list(admission.errors) == ["hba1c"]


def test_the_error_reports_use_the_2026_headings(unit, period_2026):
    import_submission(make_csv_2026(rows_2026()), "PZ041.csv", unit, period_2026, today=TODAY)
    submission = m.Submission.objects.get()
    report = errors_csv(submission).decode("utf-8-sig").splitlines()
    assert report[1].startswith("3,9434765919,Hba1c Value,7.5,E12,An HbA1c of 7.50 mmol/mol")
    marked = load_workbook(io.BytesIO(errors_xlsx(submission)))["Data with errors"]
    header = [c.value for c in marked[1]]
    assert len(header) == 60 and header[4] == "Sex assigned at birth"  # Row + 59 columns
    hba1c = marked.cell(row=3, column=header.index("Hba1c Value") + 1)
    assert hba1c.value == "7.5", [[c.value for c in r][:3] for r in marked.iter_rows()]
    assert hba1c.comment.text.startswith("E12: An HbA1c of 7.50")
    assert marked.cell(row=3, column=header.index("Initial pH at admission") + 1).value == "7.05"


def test_each_period_refuses_the_other_years_template_and_changes_nothing(unit, period_2026):
    period_2024 = AuditPeriodFactory(year=2024, is_open=True)
    assert import_submission(make_csv([row()]), "a.csv", unit, period_2024, today=TODAY).accepted
    before = (m.Submission.objects.count(), m.Visit.objects.count())
    refused = import_submission(make_csv([row()]), "a.csv", unit, period_2026, today=TODAY)
    assert refused.fatal_code == "F10" and "uses the 2026 template (59 columns)" in (
        refused.fatal_message
    )
    refused = import_submission(make_csv_2026(rows_2026()), "a.csv", unit, period_2024, today=TODAY)
    assert refused.fatal_code == "F10" and "uses the 2021 template (52 columns)" in (
        refused.fatal_message
    )
    assert (m.Submission.objects.count(), m.Visit.objects.count()) == before


def test_the_first_valid_value_rule_holds_for_the_2026_columns(unit, period_2026):
    """§5.6 in the 2026 template: its own patient-level columns (ADHD/ASD, learning
    disability) and the 2021 ones alike take the first valid value; errors stay on their rows."""
    rows = [
        row_2026(adhd_asd_status="9", date_of_birth="40/01/2012", learning_disability_status=""),
        row_2026(visit_date="11/06/2026", hba1c_date="11/06/2026", adhd_asd_status="3",
                 learning_disability_status="2"),
        row_2026(visit_date="12/06/2026", hba1c_date="12/06/2026", adhd_asd_status="1",
                 learning_disability_status="2"),
    ]  # fmt: skip
    result = import_submission(make_csv_2026(rows), "PZ041.csv", unit, period_2026, today=TODAY)
    child = m.Patient.objects.get()
    assert (child.adhd_asd_status, child.learning_disability_status) == (3, 2)
    assert child.date_of_birth is not None and child.errors == {}
    first = m.Visit.objects.get(source_row=2)
    assert {name: [e["code"] for e in problems] for name, problems in first.errors.items()} == {
        "adhd_asd_status": ["E20"], "date_of_birth": ["E01"],
    }  # fmt: skip
    assert result.warnings == {"W02": 1}  # row 4's ADHD/ASD answer differs from row 3's
