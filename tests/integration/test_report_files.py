"""The PDF report and the chart and map images (issue 12, ADR 0017), from a published release:
the PDF's text holds the area and the API's headline values, its pages are drawn and its fonts
embedded; images have their size and are valid SVG; no child's identifier reaches any file;
text cells cannot run as formulas; the downloads sit next to their charts."""

import io
import json
import subprocess
import xml.etree.ElementTree as ET

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook
from PIL import Image

from aggregation.releases import publish_release
from dashboards import export_figures as ef
from dashboards.callback_requests import CASE_MIX_OUTPUTS, FUNNEL_OUTPUTS, TREND_OUTPUTS
from dashboards.map_figures import format_value
from npda.data_model.models import PaediatricDiabetesUnit, Patient
from tests.integration.conftest import EAST_OF_ENGLAND, dash_callback

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}svg"


def _pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip


def _api_row(client, release_id: int, level: str, code: str, measure: str) -> dict:
    body = client.get(f"/api/v1/aggregates?level={level}&measure={measure}&release={release_id}")
    return next(r for r in json.loads(body.content)["rows"]
                if r["area_code"] == code and r["breakdown"] == "")  # fmt: skip


def test_the_pdf_report_holds_the_area_and_the_apis_headline_values(client, released, tmp_path):
    response = client.get(f"/areas/region/{EAST_OF_ENGLAND}.pdf?release={released.pk}")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    text = " ".join(_pdf_text(response.content, tmp_path).split())
    assert "East of England" in text and f"release {released.pk}" in text
    for measure in ("44", "25"):
        row = _api_row(client, released.pk, "region", EAST_OF_ENGLAND, measure)
        if measure == "44":  # a headline measure: value, interval and n of N as the API has them
            assert format_value(row["value"], row["unit"]) in text
            assert f"{row['ci95_low']:.1f} to {row['ci95_high']:.1f}" in text
            assert f"{row['numerator']:,} of {row['denominator']:,}" in text
    assert "Disclosure control policy SDC-2" in text and "Open Government Licence" in text
    assert "Produced" in text


def test_the_pdf_is_a4_with_embedded_fonts_and_drawn_pages(client, released, tmp_path):
    content = client.get(f"/areas/national/EW.pdf?release={released.pk}").content
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    assert "A4" in info
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows and all(" yes " in row for row in rows)  # every font embedded
    subprocess.run(["pdftoppm", "-r", "30", "-f", "1", "-l", "1", "-png", str(path),
                    str(tmp_path / "page")], check=True)  # fmt: skip
    page = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    dark = sum(page.histogram()[:128])
    assert dark > 0.005 * page.width * page.height  # text and a map, not a blank page


def test_images_come_at_their_size_and_svgs_are_valid(client, released):
    png = client.get(f"/areas/region/{EAST_OF_ENGLAND}.png?release={released.pk}")
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(png.content))
    assert image.width == ef.MAP_SIZE[0] and image.height > ef.MAP_SIZE[1]  # with its foot
    for url in (f"/areas/region/{EAST_OF_ENGLAND}.svg?release={released.pk}",
                f"/benchmarking/44/funnel.svg?release={released.pk}&unit=PZ041",
                f"/benchmarking/44/caterpillar.svg?release={released.pk}",
                f"/units/PZ041/trend-years.svg?release={released.pk}",
                f"/units/PZ041/case-mix.svg?release={released.pk}",
                f"/units/PZ041/spine.svg?release={released.pk}",
                f"/maps/map.svg?release={released.pk}&level=pdu"):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 200, url
        root = ET.fromstring(response.content)  # well-formed XML
        assert root.tag == SVG and float(root.get("width")) >= ef.MAP_SIZE[0], url
        text = "".join(root.itertext())
        assert "Source: RCPCH National Paediatric Diabetes Audit" in text, url
    chart = Image.open(io.BytesIO(client.get(
        f"/units/PZ041/trend-quarters.png?release={released.pk}").content))  # fmt: skip
    assert chart.width == ef.CHART_SIZE[0]


def test_bad_image_requests_are_404s_that_say_why(client, released):
    for url, words in (("/units/PZ041/nope.png", "chart"), ("/units/PZ041/trend-years.gif", "gif"),
                       ("/units/PZ999/trend-years.png", "PZ999"),
                       ("/benchmarking/999/funnel.png", "999"),
                       ("/maps/map.png?level=ward", "ward"),
                       ("/maps/map.png?release=live-2024", "release")):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 404, url
        assert words in response.content.decode(), url


def test_no_identifier_reaches_any_file(client, released, tmp_path):
    children = Patient.objects.values_list("nhs_number", "postcode", "date_of_birth")
    secrets = {s for nhs, postcode, born in children for s in (nhs, postcode, born.isoformat())}
    assert len(secrets) > 100
    texts = [
        _pdf_text(client.get(f"/areas/{level}/{code}.pdf?release={released.pk}").content, tmp_path)
        for level, code in (("pdu", "PZ041"), ("national", "EW"))
    ]
    texts += [client.get(url).content.decode() for url in (
        f"/areas/pdu/PZ041.svg?release={released.pk}",
        f"/units/PZ041/trend-years.svg?release={released.pk}",
        f"/units/PZ041/case-mix.svg?release={released.pk}",
        f"/benchmarking/44/funnel.svg?release={released.pk}",
    )]  # fmt: skip
    for text in texts:
        assert not [s for s in secrets if s and s in text]


def test_a_unit_name_that_looks_like_a_formula_stays_text(client, large_units, tmp_path):
    period, _ = large_units
    PaediatricDiabetesUnit.objects.filter(pz_code="PZ041").update(name='=HYPERLINK("x","y")')
    release = publish_release(period, "final")
    text = client.get(f"/areas/pdu/PZ041.csv?release={release.pk}").content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text
    book = load_workbook(
        io.BytesIO(client.get(f"/areas/pdu/PZ041.xlsx?release={release.pk}").content)
    )
    cells = [c for row in book["Results"].iter_rows() for c in row if "HYPERLINK" in str(c.value)]
    assert cells and all(c.data_type == "s" for c in cells)  # string cells never run


def test_the_charts_offer_their_images_next_to_them(client, released):
    search = f"?release={released.pk}&measure=44"
    trend = json.dumps(
        dash_callback(client, "unit_profile", TREND_OUTPUTS, "/units/PZ041/", search)
    )
    assert f"/units/PZ041/trend-years.png{search}" in trend
    assert f"/units/PZ041/trend-quarters.svg{search}" in trend
    mix = json.dumps(
        dash_callback(client, "unit_profile", CASE_MIX_OUTPUTS, "/units/PZ041/", search)
    )
    assert f"/units/PZ041/case-mix.png{search}" in mix
    funnel = json.dumps(dash_callback(client, "funnel_explorer", FUNNEL_OUTPUTS,
                                      "/benchmarking/44/", f"?release={released.pk}"))  # fmt: skip
    assert f"/benchmarking/44/caterpillar.svg?release={released.pk}" in funnel
    unit_page = client.get(f"/units/PZ041/?release={released.pk}").content.decode()
    assert f"/units/PZ041/spine.png?release={released.pk}" in unit_page
    page = client.get(f"/areas/region/{EAST_OF_ENGLAND}/?release={released.pk}").content.decode()
    for fmt in ("pdf", "png", "svg"):
        assert f"/areas/region/{EAST_OF_ENGLAND}.{fmt}?release={released.pk}" in page


def test_the_command_writes_pdfs_and_images_or_nothing(tmp_path, released):
    call_command("export_report", area=EAST_OF_ENGLAND, release=str(released.pk), format="pdf",
                 out=tmp_path / "pdf")  # fmt: skip
    assert [p.suffix for p in (tmp_path / "pdf").iterdir()] == [".pdf"]
    call_command("export_report", level="country", release=str(released.pk), format="png",
                 out=tmp_path / "png")  # fmt: skip
    assert len(list((tmp_path / "png").glob("*.png"))) == 2  # England and Wales
    with pytest.raises(CommandError, match="choose one of csv, xlsx, pdf, png, svg"):
        call_command("export_report", area="EW", format="docx", out=tmp_path / "bad")
    assert not (tmp_path / "bad").exists()
