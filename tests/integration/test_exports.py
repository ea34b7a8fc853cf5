"""Area report exports, CSV and XLSX (the PDF and images: test_report_files), and the
export_report command: the same table as the open data API, definitions and notes, public
downloads, and clear refusals that write nothing."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from constants.kpis import MEASURES
from tests.factories import PatientFactory
from tests.integration.conftest import EAST_OF_ENGLAND

pytestmark = pytest.mark.django_db


def test_the_csv_download_is_the_apis_table(client, released):
    url = f"/areas/region/{EAST_OF_ENGLAND}.csv?release={released.pk}"
    response = client.get(url)
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    api = client.get(f"/api/v1/aggregates?level=region&release={released.pk}&format=csv")
    api_text = b"".join(api.streaming_content).decode("utf-8-sig")
    api_rows = [r for r in csv.reader(io.StringIO(api_text))
                if r[5] == EAST_OF_ENGLAND and r[10] == ""]  # fmt: skip
    ours = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert response.content.startswith("\ufeff".encode())
    assert ours[0] == next(csv.reader(io.StringIO(api_text)))
    assert [r for r in ours[1:] if r[10] == ""] == api_rows  # totals equal the API's, cell for cell
    assert {r[10] for r in ours[1:]} > {""}  # and the area's breakdowns come with them


def test_the_workbook_has_results_definitions_and_notes(client, released):
    response = client.get(f"/areas/region/{EAST_OF_ENGLAND}.xlsx?release={released.pk}")
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Results", "Definitions", "Notes"]
    results = list(book["Results"].iter_rows(values_only=True))
    csv_rows = list(csv.reader(io.StringIO(client.get(
        f"/areas/region/{EAST_OF_ENGLAND}.csv?release={released.pk}").content.decode("utf-8-sig")
    )))  # fmt: skip
    assert len(results) == len(csv_rows)
    value = csv_rows[0].index("value")
    for row, text in zip(results[1:], csv_rows[1:], strict=True):
        if text[value] in ("*", "–", ""):  # withheld, not applicable or none: as text
            assert row[value] in (text[value], None)
        else:  # a number the spreadsheet can sum
            assert row[value] == pytest.approx(float(text[value]))
    definitions = list(book["Definitions"].iter_rows(values_only=True))
    assert [r[0] for r in definitions[1:]] == [m.number for m in MEASURES]
    notes = dict(book["Notes"].iter_rows(values_only=True))
    assert notes["Release"] == f"2024-25 final release, id {released.pk}"
    assert (
        notes["Disclosure control policy"] == "SDC-2"
        and "Open Government Licence" in (notes["Attribution"])
    )


def test_bad_areas_formats_and_releases_are_404s(client, released):
    for url in (
        "/areas/region/E99999999.csv",
        "/areas/region/E40000007.docx",
        "/areas/ward/E40000007.csv",
        "/areas/region/E40000007.csv?release=999999",
    ):
        response = client.get(url)
        assert response.status_code == 404, url  # fmt: skip


def test_no_identifier_appears_in_any_export(client, released):
    patient = PatientFactory()  # a child's identifiers, to search every file for
    for fmt in ("csv", "xlsx"):
        for level, code in (("national", "EW"), ("pdu", "PZ041"), ("region", EAST_OF_ENGLAND)):
            content = client.get(f"/areas/{level}/{code}.{fmt}?release={released.pk}").content
            text = content.decode("utf-8-sig") if fmt == "csv" else _workbook_text(content)
            assert patient.nhs_number not in text and patient.postcode not in text


def _workbook_text(content: bytes) -> str:
    book = load_workbook(io.BytesIO(content))
    return " ".join(str(v) for s in book for r in s.iter_rows(values_only=True) for v in r)


def test_the_command_writes_every_area_of_a_level_or_nothing(tmp_path, released):
    call_command("export_report", level="region", release=str(released.pk), format="xlsx",
                 out=tmp_path / "regions")  # fmt: skip
    written = sorted(p.name for p in (tmp_path / "regions").iterdir())
    assert len(written) >= 2 and all(n.endswith(".xlsx") for n in written)
    for bad in ({"area": "E99999999"}, {"area": "EW", "format": "docx"},
                {"area": "EW", "release": "999999"}, {"level": "ward"}):  # fmt: skip
        with pytest.raises(CommandError):
            call_command("export_report", out=tmp_path / "bad", **{"format": "csv", **bad})
        assert not (tmp_path / "bad").exists()
