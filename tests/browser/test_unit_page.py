"""A unit's page as a clinical lead uses it, in headless Chromium: every measure with its
interval, the trend over three years, peers and case mix, and no serious axe violations."""

import json

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from selenium.webdriver.support.wait import WebDriverWait

from aggregation import selectors
from constants.kpis import MEASURES
from tests.browser.conftest import image_downloads, javascript_errors, save_screenshot
from tests.browser.test_map_page import serious_violations

pytestmark = pytest.mark.browser


def trend_points(browser, graph: str) -> list:
    return browser.execute_script(
        f"const plot = document.querySelector('#{graph} .js-plotly-plot');"
        "if (!plot || !plot.data || plot.data.length < 2) return null;"
        "return plot.data[1].x;"
    )


def test_the_unit_page_shows_every_measure_its_trend_peers_and_case_mix(browser, three_years):
    site, finals = three_years
    latest = finals[-1]
    # The largest unit: the one with the fewest withheld figures.
    unit = max(selectors.area_results(latest.pk, "pdu", "1"), key=lambda r: r.value or 0).area_code
    browser.get(f"{site.url}/units/{unit}/")
    wait = WebDriverWait(browser, 30, poll_frequency=0.1)

    # Every measure, each published value with its 95% CI in words and a spine.
    rows = browser.find_elements(By.CSS_SELECTOR, "tr[data-measure]")
    assert [r.get_attribute("data-measure") for r in rows] == [m.number for m in MEASURES]
    profile = selectors.unit_profile(unit, latest.pk)
    with_interval = [r for r in profile.rows if r.unit and r.unit.ci95 and not r.unit.suppressed]
    assert len(with_interval) >= 20
    for row in with_interval:
        cell = browser.find_element(By.CSS_SELECTOR, f"tr[data-measure='{row.measure}'] .interval")
        low, high = row.unit.ci95
        assert cell.text == f"{low:,.1f} to {high:,.1f}", row.measure
    spines = browser.find_elements(By.CSS_SELECTOR, "svg.spine[role=img]")
    assert len(spines) >= len([r for r in with_interval if r.spread]) - 3

    # The trend: three audit years (final releases) and the quarter of the last year.
    wait.until(lambda d: trend_points(d, "trend-years") == ["2022-23", "2023-24", "2024-25"])
    assert trend_points(browser, "trend-quarters") == ["2024-25 Q2"]
    years_table = "return document.querySelectorAll('#trend-years-table tbody tr').length"
    assert browser.execute_script(years_table) == 3
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#peers-table tbody tr"))
    peers = browser.find_elements(By.CSS_SELECTOR, "#peers-table tbody tr")
    assert len(peers) == 11 and peers[0].get_attribute("data-code") == unit
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#case-mix-table tbody tr"))
    save_screenshot(browser, "unit-page")
    browser.execute_script("document.querySelector('.unit-app').scrollIntoView()")
    save_screenshot(browser, "unit-page-trend")
    images = image_downloads(browser, ".unit-profile")
    assert set(images) == {f"{label} ({fmt})" for label in ("by audit year", "by quarter",
                           "case mix") for fmt in ("PNG", "SVG")}  # fmt: skip
    assert set(images.values()) == {"image/png", "image/svg+xml"}

    # The measure control redraws the trend and peers in place and keeps the URL shareable.
    Select(browser.find_element(By.ID, "measure")).select_by_value("25")
    wait.until(lambda d: "measure=25" in d.current_url)
    # Dash starts on this first change and draws the app again: wait through its "Loading".
    title = "const t = document.getElementById('trend-title'); return t && t.textContent"
    wait.until(lambda d: d.execute_script(title) == "25 HbA1c: trend")

    # The other areas are one click away.
    comparators = "tr[data-measure='25'] details.comparators"
    browser.find_element(By.CSS_SELECTOR, f"{comparators} summary").click()
    links = browser.find_elements(By.CSS_SELECTOR, f"{comparators} a")
    assert any("/areas/icb/" in a.get_attribute("href") for a in links)
    save_screenshot(browser, "unit-page-comparators")
    assert javascript_errors(browser) == []
    serious = serious_violations(browser)
    assert serious == [], json.dumps(serious, indent=1)
