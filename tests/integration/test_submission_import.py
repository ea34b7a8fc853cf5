"""The CSV import service and command against PostGIS: storing, replacing, rolling back."""

import datetime as dt
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from aggregation.models import RecomputeRequest
from npda.data_model import models as m
from npda.submissions.services import import_submission
from tests.csv_files import make_csv, row
from tests.factories import AuditPeriodFactory, synthetic_nhs_number

pytestmark = pytest.mark.django_db
TODAY = dt.date(2025, 6, 1)


@pytest.fixture
def unit():
    return m.PaediatricDiabetesUnit.objects.get(pz_code="PZ041")


@pytest.fixture
def period():
    return AuditPeriodFactory(year=2024, is_open=True)


def children_file(n: int, visits_each: int = 2, year: int = 2024, **changes) -> bytes:
    rows = []
    for i in range(n):
        nhs = synthetic_nhs_number(i * 7)
        for v in range(visits_each):
            rows.append(
                row(
                    nhs_number=nhs,
                    visit_date=f"{10 + v}/06/{year}",
                    hba1c_date=f"{10 + v}/06/{year}",
                    **changes,
                )
            )
    return make_csv(rows)


def do_import(content, unit, period, name="PZ041 2024.csv"):
    return import_submission(content, name, unit, period, today=TODAY)


def counts() -> tuple[int, int, int, int]:
    return (
        m.Submission.objects.count(),
        m.Patient.objects.count(),
        m.Visit.objects.count(),
        m.Site.objects.count(),
    )


def test_an_accepted_file_becomes_the_active_submission(unit, period):
    result = do_import(children_file(3, visits_each=2), unit, period)
    assert result.accepted and (result.patients, result.visits) == (3, 6)
    submission = m.Submission.objects.get(pk=result.submission_id)
    assert submission.is_active and submission.patients.count() == 3
    assert submission.csv_file.read() == children_file(3, visits_each=2)
    visit = m.Visit.objects.filter(submission=submission).order_by("source_row").first()
    assert visit.source_row == 2 and visit.hba1c == Decimal("58.00")
    assert visit.visit_date == dt.date(2024, 6, 10) and visit.is_valid
    site = m.Site.objects.get(patient=visit.patient)
    assert site.paediatric_diabetes_unit_id == "PZ041" and site.is_active
    assert site.organisation_id == unit.lead_organisation_id
    assert result.message == (
        "Your file has been processed: 3 children and 6 visits, 0 of them with errors. It now "
        "replaces your previous submission for 2024-2025."
    )


def test_the_unit_recompute_is_requested(unit, period):
    do_import(children_file(1), unit, period)
    assert RecomputeRequest.objects.filter(
        paediatric_diabetes_unit_id="PZ041", audit_period=period
    ).exists()


def test_errors_are_stored_against_their_row_and_field(unit, period):
    content = make_csv(
        [
            row(),
            row(visit_date="11/06/2024", hba1c="250", hba1c_date="11/06/2024"),
            row(nhs_number="9434765918", date_of_birth="01/04/1990", visit_date="12/06/2024"),
        ]
    )
    result = do_import(content, unit, period)
    assert result.accepted
    assert result.errors_by_rule == {"E03": 1, "E08": 1, "E12": 1}
    assert result.errors_by_field == {"date_of_birth": 1, "hba1c": 1, "nhs_number": 1}
    flagged = m.Visit.objects.get(source_row=3)
    assert not flagged.is_valid and flagged.hba1c == Decimal("250.00")
    assert flagged.errors["hba1c"][0]["code"] == "E12"
    # §5.6: the child's own error (its identifier) is the child's; a patient-level value that
    # is not valid stays an error of its row, and with no valid value the field is empty.
    child = m.Patient.objects.get(nhs_number="9434765918")
    assert not child.is_valid and set(child.errors) == {"nhs_number"}
    assert child.date_of_birth is None
    own_row = m.Visit.objects.get(source_row=4)
    assert own_row.errors["date_of_birth"][0]["code"] == "E03" and not own_row.is_valid
    assert result.records_with_errors == 3
    assert m.Submission.objects.get(pk=result.submission_id).error_count == 3


def test_an_nhs_number_mangled_by_a_spreadsheet_is_kept_with_its_error(unit, period):
    # Excel shows long numbers in scientific notation; the digits are lost (csv-submission §5.5).
    result = do_import(make_csv([row(nhs_number="7.19573E+09")]), unit, period)
    assert result.accepted and result.errors_by_rule == {"E08": 1}
    child = m.Patient.objects.get()
    assert child.nhs_number == "7.19573E+09" and child.errors["nhs_number"][0]["code"] == "E08"


def test_an_overlong_identifier_still_finds_the_same_child_on_reupload(unit, period):
    content = make_csv([row(nhs_number="1234567890" * 6)])
    do_import(content, unit, period)
    do_import(content, unit, period)
    child = m.Patient.objects.get()
    assert child.nhs_number == ("1234567890" * 5) and set(child.errors) == {"nhs_number"}


def test_patient_level_values_come_from_the_first_row_with_w02(unit, period):
    content = make_csv([row(), row(visit_date="11/06/2024", postcode="M1 1AE")])
    result = do_import(content, unit, period)
    assert m.Patient.objects.get().postcode == "WC1X8SH"
    assert result.warnings == {"W02": 1}
    summary = m.Submission.objects.get().errors
    assert summary["warnings"][0] == {
        "code": "W02",
        "row": 3,
        "message": '"Postcode of usual address" is different from an earlier row for this '
        "child. The value from row 2 (WC1X 8SH) has been used.",
    }


def test_duplicate_rows_are_skipped_with_w04_and_outside_period_rows_warned(unit, period):
    content = make_csv([row(), row(), row(visit_date="01/03/2024", hba1c_date="01/03/2024")])
    result = do_import(content, unit, period)
    assert result.visits == 2 and result.warnings == {"W01": 1, "W04": 1}


def test_a_rejected_file_changes_nothing(unit, period):
    do_import(children_file(2), unit, period)
    before = counts()
    result = do_import(make_csv([row(paediatric_diabetes_unit="PZ180")]), unit, period)
    assert (result.outcome, result.fatal_code) == ("rejected", "F13")
    assert counts() == before


def test_closed_period_is_refused_unless_allowed(unit, period):
    period.is_open = False
    period.save()
    refused = import_submission(
        children_file(1), "a.csv", unit, period, allow_closed_period=False, today=TODAY
    )
    assert refused.fatal_code == "F15" and m.Submission.objects.count() == 0
    assert import_submission(children_file(1), "a.csv", unit, period, today=TODAY).accepted


def test_reuploading_the_same_file_changes_nothing(unit, period):
    content = children_file(4, visits_each=3)
    first = do_import(content, unit, period)
    patients_before = sorted(m.Patient.objects.values_list("pk", "nhs_number"))
    visits_before = sorted(
        m.Visit.objects.values_list("patient_id", "source_row", "visit_date", "hba1c", "hba1c_date")
    )
    second = do_import(content, unit, period)
    assert sorted(m.Patient.objects.values_list("pk", "nhs_number")) == patients_before
    assert (
        sorted(
            m.Visit.objects.values_list(
                "patient_id", "source_row", "visit_date", "hba1c", "hba1c_date"
            )
        )
        == visits_before
    )
    assert m.Site.objects.count() == 4
    history = m.Submission.objects.order_by("submitted_at")
    assert [s.pk for s in history] == [first.submission_id, second.submission_id]
    assert [s.is_active for s in history] == [False, True]
    assert history[0].patient_count == 4 and history[0].visits.count() == 0


def test_a_new_upload_replaces_the_unit_data_for_the_year(unit, period):
    do_import(children_file(3), unit, period)
    result = do_import(children_file(2), unit, period)
    active = m.Submission.objects.get(is_active=True)
    assert active.pk == result.submission_id
    assert active.patients.count() == 2
    assert m.Visit.objects.count() == 4  # the third child's visits went with the old upload


def test_other_units_and_years_are_untouched(unit, period):
    other_unit = m.PaediatricDiabetesUnit.objects.get(pz_code="PZ180")
    do_import(children_file(2, paediatric_diabetes_unit="PZ180"), other_unit, period)
    next_year = AuditPeriodFactory(year=2025, is_open=True)
    do_import(children_file(1, year=2025), unit, next_year)
    do_import(children_file(2), unit, period)
    assert m.Submission.objects.filter(is_active=True).count() == 3


def test_a_failure_half_way_writes_nothing_and_logs_no_identifier(unit, period, caplog):
    """A database failure while visits are being written rolls the whole upload back; the user
    is told, and the log leaves out the database's message, which may quote a cell."""
    do_import(children_file(2), unit, period)
    before = counts()
    active_before = m.Submission.objects.get(is_active=True).pk
    with connection.cursor() as cursor:
        cursor.execute("""
            CREATE FUNCTION test_fail_on_row() RETURNS trigger AS $$
            BEGIN
              IF NEW.source_row = 40 THEN
                RAISE EXCEPTION 'disk full (simulated) near NHS number 9434765919';
              END IF;
              RETURN NEW;
            END; $$ LANGUAGE plpgsql;
            CREATE TRIGGER test_fail BEFORE INSERT ON npda_visit
              FOR EACH ROW EXECUTE FUNCTION test_fail_on_row();
        """)
    result = do_import(children_file(30), unit, period)
    assert not result.accepted and result.fatal_code == "S01"
    assert result.fatal_message.startswith("We could not finish processing your file")
    assert "Upload for PZ041 2024-2025 failed (RaiseException; message withheld" in caplog.text
    assert "9434765919" not in caplog.text and "disk full" not in caplog.text
    assert counts() == before
    assert m.Submission.objects.get(is_active=True).pk == active_before


def test_jersey_file(period):
    jersey = m.PaediatricDiabetesUnit.objects.get(pz_code="PZ248")
    content = make_csv(
        [
            row(
                unique_reference_number="JSY-001",
                paediatric_diabetes_unit="PZ248",
                gp_practice_ods_code="JSY01",
            )
        ],
        jersey=True,
    )
    result = do_import(content, jersey, period, name="PZ248.csv")
    assert result.accepted and result.records_with_errors == 0
    child = m.Patient.objects.get()
    assert child.unique_reference_number == "JSY-001" and child.nhs_number is None


def test_command_json_output_and_exit_codes(tmp_path, unit, period):
    good = tmp_path / "PZ041 2024.csv"
    good.write_bytes(
        make_csv([row(), row(visit_date="11/06/2024", hba1c="500", hba1c_date="11/06/2024")])
    )
    bad = tmp_path / "PZ041 wrong.csv"
    bad.write_bytes(make_csv([row(paediatric_diabetes_unit="PZ180")]))
    out = StringIO()
    call_command(
        "import_submission", str(good), pdu="PZ041", audit_year=2024, as_json=True, stdout=out
    )
    result = json.loads(out.getvalue())
    assert result["outcome"] == "accepted" and result["patients"] == 1 and result["visits"] == 2
    assert result["errors_by_field"] == {"hba1c": 1} and result["fatal_message"] is None
    out = StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command(
            "import_submission", str(bad), pdu="PZ041", audit_year=2024, as_json=True, stdout=out
        )
    assert exited.value.code == 1
    rejected = json.loads(out.getvalue())
    assert rejected["outcome"] == "rejected" and rejected["fatal_message"].startswith(
        "The PDU Number in the file (PZ180)"
    )


@pytest.mark.parametrize("year", [0, 10_000])
def test_command_names_an_audit_year_a_date_cannot_hold(tmp_path, unit, year):
    from django.core.management import CommandError

    path = tmp_path / "PZ041.csv"
    path.write_bytes(make_csv([row()]))
    with pytest.raises(CommandError, match=f"There is no {year}-{year + 1} audit period"):
        call_command("import_submission", str(path), pdu="PZ041", audit_year=year)


# §5.6 (new): each patient-level column from the child's first row holding a valid value in it.


def _child_rows(*first_row_changes: dict, rows: int = 4) -> bytes:
    """One child with `rows` rows; the first rows changed as given."""
    cells = [row(visit_date=f"{10 + i}/06/2024", hba1c_date=f"{10 + i}/06/2024")
             for i in range(rows)]  # fmt: skip
    for i, changes in enumerate(first_row_changes):
        cells[i].update(changes)
    return make_csv(cells)


@pytest.mark.parametrize(
    ("bad", "code"),
    [("31/02/2012", "E01"), ("15/06/2030", "E02"), ("15/06/1990", "E03")],
)
def test_an_invalid_first_value_never_hides_a_valid_later_one(unit, period, bad, code):
    result = do_import(_child_rows({"date_of_birth": bad}), unit, period)
    child = m.Patient.objects.get()
    assert child.date_of_birth == dt.date(2012, 6, 15) and child.is_valid and child.errors == {}
    first = m.Visit.objects.get(source_row=2)
    assert [e["code"] for e in first.errors["date_of_birth"]] == [code]  # on the row that had it
    assert first.hba1c == Decimal("58.00")  # the row's other cells still count
    assert result.warnings.get("W02") is None  # the later rows agree with the value kept
    assert result.errors_by_rule == {code: 1}


def test_a_blank_first_value_takes_the_next_rows(unit, period):
    result = do_import(_child_rows({"diabetes_type": "", "date_of_birth": ""}), unit, period)
    child = m.Patient.objects.get()
    assert child.diabetes_type == 1 and child.date_of_birth == dt.date(2012, 6, 15)
    assert child.errors == {} and result.errors_by_rule == {}  # no E10: a later row has them


def test_w02_only_for_a_different_valid_value_naming_the_row_kept(unit, period):
    content = _child_rows({"postcode": "not a postcode"}, {}, {"postcode": "M1 1AE"},
                          {"postcode": "wc1x 8sh"})  # fmt: skip
    result = do_import(content, unit, period)
    assert m.Patient.objects.get().postcode == "WC1X8SH"  # row 3: the first valid one
    assert result.warnings == {"W02": 1}  # row 4's M1 1AE; row 5 is the same postcode
    warning = m.Submission.objects.get().errors["warnings"][0]
    assert warning["row"] == 4 and "The value from row 3 (WC1X 8SH)" in warning["message"]
    assert result.errors_by_rule == {"E09": 1}
    assert m.Visit.objects.get(source_row=2).errors["postcode"][0]["code"] == "E09"


def test_no_valid_value_in_any_row_is_stored_empty_with_every_rows_error(unit, period):
    content = _child_rows(*[{"date_of_birth": "32/01/2012"}] * 3, rows=3)
    result = do_import(content, unit, period)
    child = m.Patient.objects.get()
    assert child.date_of_birth is None and "date_of_birth" not in child.errors  # given, so no E10
    assert result.errors_by_rule == {"E01": 3}
    assert all(v.errors["date_of_birth"][0]["code"] == "E01" for v in m.Visit.objects.all())


def test_dates_are_checked_against_each_other_on_the_values_kept(unit, period):
    content = _child_rows({"diagnosis_date": "01/01/2011"}, {"diagnosis_date": "01/01/2011"})
    result = do_import(content, unit, period)  # diagnosis before the birth (15/06/2012) kept
    child = m.Patient.objects.get()
    assert child.errors["diagnosis_date"][0]["code"] == "E04"
    assert result.warnings == {"W02": 2}  # rows 4 and 5 give 03/03/2019, different and valid
