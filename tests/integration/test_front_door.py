"""The front door (issue 25): the home page from crafted releases, search, the area indexes,
an area's year picker and trend, units linked and ranked, the PDF following the page's measure,
charts that come with the page, and bad input answered without an error."""

import contextlib
import datetime as dt
import json
import re
import zlib

import pytest
from django.urls import reverse

from aggregation import selectors
from aggregation.releases import publish_release
from aggregation.services import compute_kpis
from constants.groups import GroupName
from dashboards import area_files, funnel_explorer, headline, unit_profile
from npda.pages import selectors as pages
from tests.factories import user_in_group
from tests.integration.conftest import make_large_units
from tests.kpi_cohort import Cohort, hba1c
from tests.worlds import world

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 1)
CAMBRIDGESHIRE = "E54000056"  # NHS Cambridgeshire and Peterborough ICB: PZ041's


@pytest.fixture
def two_years():
    """2023-24 (PZ041 and PZ002) and 2024-25 (five large units) with their final releases, and
    2025-26 open, with a provisional release at its first quarter end (built once per test
    process: tests/worlds.py)."""
    return world("two years and an open one", _two_years)


def _two_years():
    earlier = {code: Cohort(code, year=2023) for code in ("PZ041", "PZ002")}
    for code, children in (("PZ041", 40), ("PZ002", 30)):
        for i in range(children):
            earlier[code].child(rows=(hba1c(52 + i % 20, date="2023-06-01"),))
    compute_kpis(earlier["PZ041"].period, calculation_date=dt.date(2024, 3, 31))
    first = publish_release(earlier["PZ041"].period, "final", today=TODAY)
    period, _ = make_large_units()
    second = publish_release(period, "final", today=TODAY)
    open_year = Cohort("PZ041", year=2025)
    for value in range(30):
        open_year.child(rows=(hba1c(55 + value % 10, date="2025-05-10"),))
    compute_kpis(open_year.period, calculation_date=dt.date(2025, 6, 30))
    provisional = publish_release(open_year.period, "provisional", as_at=dt.date(2025, 6, 30),
                                  today=TODAY)  # fmt: skip
    return first, second, provisional


def national(release, measure: str):
    return selectors.area_results(release.pk, "national", measure)[0]


# The home page --------------------------------------------------------------------------------


def test_the_home_page_shows_the_latest_final_results_their_trend_and_the_open_year(
    client, two_years
):
    first, second, provisional = two_years
    response = client.get(reverse("home"))
    assert response.status_code == 200
    text = response.content.decode()
    shown = re.findall(r'<li class="headline" data-measure="([^"]+)">', text)
    assert shown == list(headline.HOME_MEASURES)  # 44, 32.1, 24, 23 and 47
    block = text.split('data-measure="44"')[1].split("</li>")[0]
    latest, earlier = national(second, "44"), national(first, "44")
    assert f'<span class="value">{latest.value:.1f} mmol/mol</span>' in block
    low, high = latest.ci95
    assert f"95% CI {low:.1f} to {high:.1f}" in block
    # The trend over the published years, in words and as a picture with the same words.
    trend = f"{earlier.value:.1f} in 2023-24, {latest.value:.1f} in 2024-25"
    assert f"By audit year: {trend}." in block
    assert re.search(r'<svg class="sparkline"[^>]*role="img" aria-label="[^"]*' + trend, block)
    # The open year's provisional figure beside it, marked provisional.
    early = national(provisional, "44")
    assert "Provisional</strong>" in block
    assert f"{early.value:.1f} mmol/mol in 2025-26 so far (provisional, to 30 June 2025)" in block
    assert 'href="/maps/?level=icb&amp;measure=44"' in block
    assert 'href="/benchmarking/44/"' in block
    for url in ("search", "maps", "benchmarking-index", "areas-index", "units-index",
                "open-data", "api-docs", "methods", "about-data"):  # fmt: skip
        assert f'href="{reverse(url)}"' in text, url


def test_the_home_page_is_the_same_for_everyone_and_may_be_cached(client, two_years):
    anonymous = client.get(reverse("home"))
    assert anonymous["Cache-Control"] == "public, max-age=300"
    assert "csrfmiddlewaretoken" not in anonymous.content.decode()
    client.force_login(user_in_group(GroupName.RCPCH_AUDIT_TEAM_FULL_ACCESS))
    signed_in = client.get(reverse("home"))
    assert signed_in.content == anonymous.content


def test_before_the_first_release_the_home_page_says_so(client):
    text = client.get(reverse("home")).content.decode()
    assert "No results have been published yet." in text


def test_headline_counts_say_what_they_count(two_years):
    _, second, _ = two_years
    result = national(second, "25")
    assert headline.counts_words(result) == f"{result.numerator:,} of {result.denominator:,} " \
        "children"  # fmt: skip
    assert headline.counts_words(national(second, "44")).startswith("from ")


# Search ---------------------------------------------------------------------------------------


def hits(query: str) -> list[tuple[str, str]]:
    return [(h.level, h.code) for h in pages.search(query)]


def test_cambridge_finds_the_unit_the_trust_and_the_icb():
    found = hits("cambridge")
    assert ("pdu", "PZ041") in found  # Addenbrooke's: by its trust's name
    assert ("trust", "RGT") in found and ("icb", CAMBRIDGESHIRE) in found


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("PZ041", ("pdu", "PZ041")),  # a unit's PZ code
        ("pz041", ("pdu", "PZ041")),  # in any case
        (CAMBRIDGESHIRE, ("icb", CAMBRIDGESHIRE)),  # an ONS code
        ("QUE", ("icb", CAMBRIDGESHIRE)),  # an ICB's ODS code comes first
        ("addenb", ("pdu", "PZ041")),  # part of a word
        ("peterborough cambridgeshire", ("icb", CAMBRIDGESHIRE)),  # every word, any order
        ("betsi", ("lhb", "W11000023")),
        ("East of England", ("region", "E40000007")),
        ("Ysbyty Gwynedd", ("pdu", "PZ132")),
    ],
)
def test_search_by_name_code_or_part_of_a_word(query, expected):
    assert expected in hits(query)


def test_an_exact_code_comes_first():
    assert hits("QUE")[0] == ("icb", CAMBRIDGESHIRE)
    assert hits("PZ041")[0] == ("pdu", "PZ041")


def test_search_is_one_query_whatever_it_finds(django_assert_num_queries):
    with django_assert_num_queries(1):
        assert pages.search("hospital")
    with django_assert_num_queries(0):
        assert pages.search("   ") == []


def test_wildcards_are_taken_as_written():
    assert hits("%") == [] and hits("_") == [] and hits("\\") == []


@pytest.mark.parametrize(
    "query",
    ["", "   ", "x" * 5000, "ŵ ŷ 🏥 تست", "a" * 99 + "ß", "<script>alert(1)</script>",
     "' OR 1=1 --", "one two three four five six seven eight nine ten"],
)  # fmt: skip
def test_bad_search_input_is_a_page_never_an_error(client, query):
    response = client.get(reverse("search"), {"q": query})
    assert response.status_code == 200
    text = response.content.decode()
    assert "<script>alert" not in text  # escaped
    if len(query) > pages.MAX_SEARCH_CHARS:
        assert "Searches are limited to 100 characters" in text


def test_a_nul_in_a_search_is_refused_with_a_reason(client):
    response = client.get("/search/?q=cam%00bridge")
    assert response.status_code == 400


def test_the_search_page_links_each_result_to_its_page(client):
    text = client.get(reverse("search"), {"q": "cambridge"}).content.decode()
    assert "3 results for “cambridge”" in text
    for url in ("/units/PZ041/", "/areas/trust/RGT/", f"/areas/icb/{CAMBRIDGESHIRE}/"):
        assert f'href="{url}"' in text
    assert "Cambridge University Hospitals NHS Foundation Trust" in text  # not in capitals
    assert "Nothing found for “zzzqqq”" in client.get("/search/?q=zzzqqq").content.decode()


# The area indexes -------------------------------------------------------------------------------


def test_the_area_index_lists_every_level_and_each_level_every_area(client, released):
    text = client.get(reverse("areas-index")).content.decode()
    for level in ("icb", "lhb", "region", "trust", "network", "country", "national"):
        assert f'href="/areas/{level}/"' in text
    icbs = client.get("/areas/icb/").content.decode()
    # Every ICB of the release's geography (those with a unit in it; the demo has all 42).
    assert icbs.count('<tr data-code="E54') == len(selectors.areas("icb", released.pk)) > 1
    assert f'<a href="/areas/icb/{CAMBRIDGESHIRE}/">' in icbs
    filtered = client.get("/areas/icb/", {"q": "cambridge"}).content.decode()
    assert re.findall(r'<tr data-code="([^"]+)"', filtered) == [CAMBRIDGESHIRE]
    assert "1 of " in filtered and " integrated care boards match “cambridge”" in filtered


@pytest.mark.parametrize("url", ["/areas/ward/", "/areas/pdu/", "/areas/%C5%B5/"])
def test_an_unknown_level_is_a_404_that_says_so(client, released, url):
    response = client.get(url)
    assert response.status_code == 404
    if url.isascii() and "%" not in url:
        assert "There is no level" in response.content.decode()


def test_the_area_index_before_any_release_says_so(client):
    response = client.get("/areas/icb/")
    assert response.status_code == 404
    assert "no published results yet" in response.content.decode()


# An area's page ---------------------------------------------------------------------------------


def test_the_year_picker_offers_releases_by_name_and_shows_the_chosen_one(client, two_years):
    first, second, provisional = two_years
    url = f"/areas/icb/{CAMBRIDGESHIRE}/"
    text = client.get(url).content.decode()
    picker = text.split('<select id="release" name="release">')[1].split("</select>")[0]
    assert '<label for="release">Audit year and release</label>' in text
    assert f'<option value="{second.pk}" selected>2024-25 final release</option>' in picker
    assert f'<option value="{first.pk}">2023-24 final release</option>' in picker
    assert "provisional" not in picker  # the public chooses among final releases
    earlier = client.get(url, {"release": first.pk}).content.decode()
    assert "<strong>2023-24 final release</strong>" in earlier
    client.force_login(user_in_group(GroupName.TRUST_AUDIT_TEAM_VIEW_ONLY, units=("PZ041",)))
    signed_in = client.get(url).content.decode()
    assert "2025-26 provisional, as at 30 Jun 2025 release</option>" in signed_in
    assert f"(release {provisional.pk})" not in signed_in  # by name, not id


def test_the_trend_follows_the_chosen_measure_with_its_intervals(client, two_years):
    first, second, _ = two_years
    text = client.get(f"/areas/icb/{CAMBRIDGESHIRE}/", {"measure": "25"}).content.decode()
    figure = json.loads(
        re.search(r'<script type="application/json" class="page-figure" '
                  r'data-for="area-trend-plot">(.*?)</script>', text, re.S).group(1)
    )  # fmt: skip
    area = next(t for t in figure["data"] if "95% CI" in t["name"])
    assert area["x"] == ["2023-24", "2024-25"]
    own = [selectors.area_results(r.pk, "icb", "25", code=CAMBRIDGESHIRE)[0]
           for r in (first, second)]  # fmt: skip
    assert area["y"] == pytest.approx([r.value for r in own])
    assert area["error_y"]["array"] == pytest.approx([r.ci95[1] - r.value for r in own])
    table = text.split('id="trend-table"')[1].split("</table>")[0]
    assert f'<td class="num">{own[0].ci95[0]:,.1f} to {own[0].ci95[1]:,.1f}</td>' in table
    assert "25 HbA1c: trend" in text


def test_units_are_linked_to_their_pages_and_ranked_best_first(client, released):
    text = client.get(f"/areas/region/E40000007/?measure=25&release={released.pk}").content
    table = text.decode().split('id="units-table"')[1].split("</table>")[0]
    assert f'<a href="/units/PZ041/?release={released.pk}&amp;measure=25">' in table
    rates = {r.area_code: r.value for r in selectors.area_results(released.pk, "pdu", "25")}
    codes = re.findall(r'<tr data-code="([^"]+)"', table)
    assert [rates[c] for c in codes] == sorted((rates[c] for c in codes), reverse=True)


def pdf_text(content: bytes) -> bytes:
    """A PDF's objects with their compressed streams inflated, to look inside."""
    parts = [content]
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", content, re.S):
        with contextlib.suppress(zlib.error):  # not every stream is compressed
            parts.append(zlib.decompress(stream))
    return b"".join(parts)


def test_the_pdf_report_follows_the_pages_measure_and_is_tagged(client, released):
    url = f"/areas/region/E40000007.pdf?release={released.pk}"
    hba1c_report = client.get(url + "&measure=25")
    assert hba1c_report.status_code == 200
    assert hba1c_report["Content-Type"] == "application/pdf"
    mean_report = client.get(url + "&measure=44")
    assert hba1c_report.content != mean_report.content
    assert hba1c_report["ETag"] != mean_report["ETag"]  # two files, each kept under its key
    text = pdf_text(hba1c_report.content)
    assert b"/StructTreeRoot" in text and b"/MarkInfo" in text  # tagged (PDF/UA)
    assert b"pdfuaid" in text and b"/Lang" in text and b"DisplayDocTitle" in text
    page = client.get(f"/areas/region/E40000007/?release={released.pk}&measure=25").content
    assert f'href="/areas/region/E40000007.pdf?release={released.pk}&amp;measure=25"'.encode() \
        in page  # fmt: skip
    assert client.get(url + "&measure=99").status_code == 404


def test_the_pdf_key_holds_the_measure_and_every_current_release(released):
    release = selectors.resolve_release(released.pk)
    pdf = area_files.file_key("pdf", "icb", CAMBRIDGESHIRE, release, "25")
    assert "25" in pdf and (release.id, release.created_at.isoformat()) in pdf
    assert pdf != area_files.file_key("pdf", "icb", CAMBRIDGESHIRE, release, "44")
    csv = area_files.file_key("csv", "icb", CAMBRIDGESHIRE, release, "25")
    assert csv == area_files.file_key("csv", "icb", CAMBRIDGESHIRE, release, "44")


@pytest.mark.parametrize(
    "query",
    [{"release": "abc"}, {"release": "999999"}, {"measure": "99"}, {"measure": "x" * 3000},
     {"release": "2" * 40}, {"release": "ŵ"}],
)  # fmt: skip
def test_bad_area_page_input_is_a_404_never_an_error(client, released, query):
    assert client.get(f"/areas/icb/{CAMBRIDGESHIRE}/", query).status_code == 404


# Charts that come with the page ------------------------------------------------------------------


def first_layout(text: str) -> dict:
    raw = re.search(r'<script type="application/json" id="_dash-first-layout">(.*?)</script>',
                    text, re.S).group(1)  # fmt: skip
    return json.loads(raw)


def graphs(layout: dict) -> dict[str, dict]:
    found = {}

    def walk(node):
        if isinstance(node, list):
            for child in node:
                walk(child)
        elif isinstance(node, dict) and "props" in node:
            if node["type"] == "Graph":
                found[node["props"]["id"]] = node["props"]
            walk(node["props"].get("children"))

    walk(layout)
    return found


def test_a_unit_page_carries_its_first_charts_and_starts_no_callback(client, released):
    text = client.get("/units/PZ041/?measure=25").content.decode()
    figures = graphs(first_layout(text))
    assert set(figures) == {"trend-years", "trend-quarters", "case-mix"}
    years = figures["trend-years"]["figure"]
    assert years["data"][1]["x"] == ["2024-25"]  # the unit's trend, as the callback draws it
    assert figures["trend-years"]["config"]["displayModeBar"] is False  # no toolbar on titles
    assert '<h2 id="trend-title">25 HbA1c: trend</h2>' in text  # the same view as HTML
    assert 'id="trend-years-table"' in text and 'id="peers-table"' in text
    assert "new DashRenderer" not in text  # started by first_paint.js on the first change
    assert '<template id="dash-scripts">' in text
    callbacks = unit_profile.app._callback_sets
    assert callbacks and all(spec["prevent_initial_call"] for spec, _ in callbacks)


def test_a_funnel_page_carries_both_plots(client, released):
    text = client.get("/benchmarking/25/?unit=PZ041").content.decode()
    figures = graphs(first_layout(text))
    points = sum(len(t["x"]) for t in figures["funnel-plot"]["figure"]["data"]
                 if re.search(r"\(\d+\)$", t.get("name", "")))  # fmt: skip
    assert points == len(selectors.funnel(released.pk, "25").points)
    assert figures["caterpillar-plot"]["figure"]["data"]
    assert 'id="funnel-table"' in text
    callbacks = funnel_explorer.app._callback_sets
    assert all(spec["prevent_initial_call"] for spec, _ in callbacks)


# Public pages ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["methods", "open-data", "about-data", "api-docs"])
def test_the_public_pages_render(client, released, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert '<html lang="en-GB">' in response.content.decode()


def test_the_methods_page_explains_provisional_releases_and_the_colours(client, two_years):
    text = client.get(reverse("methods")).content.decode()
    assert "Provisional releases" in text and "2023-24 final" in text
    assert '<span class="mark" style="background:#1d70b8" aria-hidden="true"></span>Better' in text
    assert 'id="measure-32.1"' in text  # every measure's definition
