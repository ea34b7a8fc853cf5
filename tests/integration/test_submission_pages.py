"""The upload page, the result page and the error reports, as a unit user uses them."""

import csv
import io
import json

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from constants.csv_template import TEMPLATE_2021
from constants.groups import GroupName
from npda.data_model import models as m
from tests.csv_files import make_csv, row
from tests.factories import AuditPeriodFactory, NPDAUserFactory

pytestmark = pytest.mark.django_db


def unit_user(group=GroupName.TRUST_AUDIT_TEAM_EDIT_ACCESS, units=("PZ041",)):
    user = NPDAUserFactory()
    user.groups.add(Group.objects.get(name=group))
    user.organisation_employers.set(m.PaediatricDiabetesUnit.objects.filter(pz_code__in=units))
    return user


@pytest.fixture
def period():
    return AuditPeriodFactory(year=2024, is_open=True)


def upload(client, content: bytes, period, unit="PZ041", name="PZ041 2024.csv", **headers):
    return client.post(
        reverse("upload"),
        {
            "paediatric_diabetes_unit": unit,
            "audit_period": period.pk,
            "csv_file": SimpleUploadedFile(name, content, content_type="text/csv"),
        },
        **headers,
    )


FORMULA_FILE = make_csv(
    [
        row(),
        row(visit_date="11/06/2024", hba1c="250", hba1c_date="11/06/2024"),
        row(
            visit_date="12/06/2024",
            hospital_admission_date="12/06/2024",
            hospital_admission_reason="4",
            hospital_admission_other='=HYPERLINK("http://x")',
        ),
    ]
)


def test_upload_page_lists_only_the_users_units(client, period):
    client.force_login(unit_user(units=("PZ041", "PZ180")))
    page = client.get(reverse("upload"))
    assert page.status_code == 200
    choices = [u.pz_code for u in page.context["form"].fields["paediatric_diabetes_unit"].queryset]
    assert sorted(choices) == ["PZ041", "PZ180"]


def test_upload_then_see_the_summary(client, period):
    client.force_login(unit_user())
    response = upload(client, FORMULA_FILE, period)
    # Issue 21: an upload is first a checked draft, not the unit's data.
    submission = m.Submission.objects.get(status="draft")
    assert not m.Submission.objects.filter(is_active=True).exists()
    assert response.status_code == 302
    assert response["Location"] == reverse("submission-detail", args=[submission.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Errors by rule" in page and "E12" in page and "E22" in page
    assert "9434765919" in page  # the unit's own view names the child
    assert "An HbA1c of 250.00 mmol/mol is outside the accepted range" in page


def table_rows(page: str, table_id: str) -> dict[str, str]:
    """A two-column table of the page as {first cell: last cell}."""
    body = page.split(f'id="{table_id}"')[1].split("</table>")[0]
    found = {}
    for tr in body.split("<tr>")[2:]:
        cells = [c.split(">", 1)[1].split("</td>")[0] for c in tr.split("<td")[1:]]
        found[cells[0]] = cells[-1]
    return found


def test_the_check_page_counts_errors_and_warnings_by_rule_and_by_field(client, period):
    client.force_login(unit_user())
    mixed = make_csv([
        row(),
        row(visit_date="11/06/2024", hba1c="250", hba1c_date="11/06/2024"),
        row(visit_date="12/06/2024", sex="2"),  # a different valid sex: W02
        row(visit_date="12/06/2023"),  # before the audit year: W01
    ])  # fmt: skip
    response = upload(client, mixed, period)
    page = client.get(response["Location"]).content.decode()
    label = TEMPLATE_2021.label
    assert table_rows(page, "errors-by-field") == {label("hba1c"): "1"}
    assert table_rows(page, "warnings-by-field") == {label("visit_date"): "1", label("sex"): "1"}
    by_rule = page.split('id="warnings-by-rule">')[1].split("</p>")[0]
    assert "W01: 1" in by_rule and "W02: 1" in by_rule


def test_counts_are_shown_with_thousands_separators(client, period):
    client.force_login(unit_user())
    upload(client, FORMULA_FILE, period)
    m.Submission.objects.update(patient_count=1000, visit_count=123456)
    submission = m.Submission.objects.get()
    page = client.get(reverse("submission-detail", args=[submission.pk])).content.decode()
    assert "123,456</span> visits" in page
    assert '<td class="num">123,456</td>' in client.get(reverse("upload")).content.decode()
    # The versions of the unit's year are on their own page since issue 21.
    history = reverse("submission-history", args=["PZ041", period.start_date.year])
    versions = client.get(history).content.decode()
    assert '<td class="num">1,000</td>' in versions and '<td class="num">123,456</td>' in versions


def test_streamed_upload_reports_progress_then_the_outcome(client, period):
    client.force_login(unit_user())
    response = upload(client, FORMULA_FILE, period, HTTP_ACCEPT="application/x-ndjson")
    events = [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]
    assert events[0]["stage"] == "checking"
    assert {"rows", "comparing"} <= {e["stage"] for e in events}  # checked, not saved (issue 21)
    done = events[-1]
    assert done["stage"] == "done" and done["outcome"] == "accepted"
    assert done["patients"] == 1 and done["visits"] == 3
    assert done["url"] == reverse("submission-detail", args=[done["submission_id"]])


def test_a_rejected_upload_shows_the_reason_and_changes_nothing(client, period):
    client.force_login(unit_user())
    response = upload(client, b"hello", period, name="notes.txt")
    assert response.status_code == 400
    assert "Please upload a CSV file (a file ending in .csv)." in response.content.decode()
    assert m.Submission.objects.count() == 0
    streamed = upload(
        client,
        make_csv([row(paediatric_diabetes_unit="PZ180")]),
        period,
        HTTP_ACCEPT="application/x-ndjson",
    )
    last = json.loads(b"".join(streamed.streaming_content).splitlines()[-1])
    assert last["outcome"] == "rejected" and last["fatal_code"] == "F13"
    assert m.Submission.objects.count() == 0


def test_cannot_upload_for_another_unit(client, period):
    client.force_login(unit_user(units=("PZ180",)))
    response = upload(client, FORMULA_FILE, period)
    assert (
        response.status_code == 200
        and "paediatric_diabetes_unit" in response.context["form"].errors
    )
    assert m.Submission.objects.count() == 0


def test_view_only_users_cannot_upload(client, period):
    client.force_login(unit_user(GroupName.TRUST_AUDIT_TEAM_VIEW_ONLY))
    assert "You can see your unit" in client.get(reverse("upload")).content.decode()
    assert upload(client, FORMULA_FILE, period).status_code == 403


def test_closed_period_refuses_unit_users_but_not_the_audit_team(client, period):
    period.is_open = False
    period.save()
    client.force_login(unit_user())
    assert (
        "Uploads for the 2024-2025 audit year are closed."
        in upload(client, FORMULA_FILE, period).content.decode()
    )
    client.force_login(unit_user(GroupName.RCPCH_AUDIT_TEAM_EDIT_ACCESS, units=()))
    assert upload(client, FORMULA_FILE, period).status_code == 302


def test_other_units_submissions_are_not_visible(client, period):
    client.force_login(unit_user())
    upload(client, FORMULA_FILE, period)
    submission = m.Submission.objects.get()
    client.force_login(unit_user(units=("PZ180",)))
    for name in ("submission-detail", "submission-errors-csv", "submission-errors-xlsx"):
        assert client.get(reverse(name, args=[submission.pk])).status_code == 404
    client.force_login(unit_user(GroupName.RCPCH_AUDIT_TEAM_VIEW_ONLY, units=()))
    assert client.get(reverse("submission-detail", args=[submission.pk])).status_code == 200


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(reverse("upload"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_error_report_csv_has_row_field_value_message_and_no_formulas(client, period):
    client.force_login(unit_user())
    upload(client, FORMULA_FILE, period)
    submission = m.Submission.objects.get()
    response = client.get(reverse("submission-errors-csv", args=[submission.pk]))
    assert response["Content-Disposition"].startswith('attachment; filename="PZ041 2024-2025')
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Row", "NHS Number", "Column", "Value", "Code", "Message"]
    assert rows[1][:5] == ["3", "9434765919", "Hba1c Value", "250", "E12"]
    formula_row = next(r for r in rows if r[4] == "E22")
    assert formula_row[3] == '\'=HYPERLINK("http://x")'  # never a live formula


def test_error_report_xlsx_has_three_sheets_with_the_errors_highlighted(client, period):
    client.force_login(unit_user())
    upload(client, FORMULA_FILE, period)
    submission = m.Submission.objects.get()
    response = client.get(reverse("submission-errors-xlsx", args=[submission.pk]))
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Original data", "Data with errors", "Errors"]
    marked = book["Data with errors"]
    headings = [c.value for c in marked[1]]
    hba1c = marked.cell(row=3, column=headings.index("Hba1c Value") + 1)
    assert hba1c.value == "250" and hba1c.fill.start_color.rgb == "FFF2B8B8"
    assert "E12" in hba1c.comment.text
    other = marked.cell(
        row=4,
        column=headings.index("Only complete if OTHER selected: Reason for admission (free text)")
        + 1,
    )
    # Shown exactly as submitted, as text: no cell of any sheet is a formula.
    assert other.value == '=HYPERLINK("http://x")' and other.data_type == "s"
    assert book["Errors"].max_row == 3  # heading + E12 + E22
    cells = [c for sheet in book for line in sheet.iter_rows() for c in line]
    assert not [c.coordinate for c in cells if c.data_type == "f"]


def test_a_message_that_begins_with_the_submitted_value_is_text_in_both_reports(client, period):
    client.force_login(unit_user())
    upload(client, make_csv([row(postcode="=1+1")]), period)
    submission = m.Submission.objects.get()
    book = load_workbook(io.BytesIO(
        client.get(reverse("submission-errors-xlsx", args=[submission.pk])).content
    ))  # fmt: skip
    message = next(line[5] for line in book["Errors"].iter_rows(min_row=2)
                   if line[4].value == "E09")  # fmt: skip
    assert message.value.startswith("=1+1 is not") and message.data_type == "s"
    report = client.get(reverse("submission-errors-csv", args=[submission.pk]))
    rows = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert next(r for r in rows if r[4] == "E09")[5].startswith("'=1+1 is not")


def test_the_size_limit_stops_an_upload_while_it_streams_in(client, period, settings, monkeypatch):
    from npda.submissions import size_limit

    settings.NPDA_UPLOAD_SIZE_LIMIT_MB = 0.05  # 52 KB
    client.force_login(unit_user())
    big = make_csv([row(hospital_admission_other="x" * 1000) for _ in range(100)])  # ~110 KB
    assert len(big) > 0.05 * 1024 * 1024
    kept, original = [], size_limit.SizeLimitUploadHandler.receive_data_chunk

    def counted(self, raw_data, start):
        passed_on = original(self, raw_data, start)  # raises once past the limit
        kept.append(len(passed_on))
        return passed_on

    monkeypatch.setattr(size_limit.SizeLimitUploadHandler, "receive_data_chunk", counted)
    response = upload(client, big, period)
    assert response.status_code == 400
    assert "more than the 0.05 MB limit" in response.content.decode()
    assert sum(kept) <= 0.05 * 1024 * 1024  # nothing past the limit was handed on
    assert not m.Submission.objects.exists()  # and nothing was written
    streamed = upload(client, big, period, HTTP_ACCEPT="application/x-ndjson")
    outcome = json.loads(streamed.content)  # the page's script shows the last line's message
    assert outcome["stage"] == "done" and outcome["fatal_code"] == "F16"
    assert "more than the 0.05 MB limit" in outcome["message"]


def test_upload_page_says_which_template_each_year_needs(client, period):
    AuditPeriodFactory(year=2026, is_open=True, is_visible=True)
    period.is_visible = True
    period.save()
    client.force_login(unit_user())
    page = client.get(reverse("upload"))
    years = {str(y["period"]): y["template"].dataset_year for y in page.context["template_years"]}
    assert years["2026-2027"] == 2026 and years["2024-2025"] == 2021
    html = page.content.decode()
    assert "<td>2026-2027</td><td>2026 template (59 columns)</td>" in html
    assert 'href="/submissions/templates/2026.csv"' in html
    hints = page.context["template_hints"]
    assert hints[str(period.pk)]["text"] == "2024-2025 uses the 2021 template (52 columns)."


@pytest.mark.parametrize(
    ("year", "count", "fourth"), [(2021, 52, "Stated gender"), (2026, 59, "Sex assigned at birth")]
)
def test_the_blank_template_of_each_year_reads_back_as_that_template(client, year, count, fourth):
    from constants.csv_template import TEMPLATES
    from npda.submissions.reader import _match_headings

    client.force_login(unit_user())
    response = client.get(reverse("upload-template", args=[year]))
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    assert f'filename="NPDA {year} template.csv"' in response["Content-Disposition"]
    header = next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(header) == count and header[3] == fourth
    columns, _, unrecognised = _match_headings(header, False, TEMPLATES[year], "")
    assert len(columns) == count and unrecognised == []
    jersey = client.get(reverse("upload-template", args=[year]), {"identifier": "urn"})
    assert jersey.content.decode("utf-8-sig").startswith("Unique Reference Number,")


def test_template_downloads_refuse_bad_input(client):
    client.force_login(unit_user())
    missing = client.get(reverse("upload-template", args=[2019]))
    assert missing.status_code == 404
    bad = client.get(reverse("upload-template", args=[2026]), {"identifier": "x"})
    assert bad.status_code == 400 and b'"identifier"' in bad.content
