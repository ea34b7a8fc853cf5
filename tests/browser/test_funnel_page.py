"""The funnel and caterpillar plots as a clinical lead uses them, in headless Chromium."""

import json

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from selenium.webdriver.support.wait import WebDriverWait

from aggregation import selectors
from tests.browser.conftest import image_downloads, javascript_errors, save_screenshot
from tests.browser.test_map_page import serious_violations

pytestmark = pytest.mark.browser


def plotted_units(browser) -> int:
    """Unit markers plotted on the funnel (every class trace's points)."""
    return browser.execute_script(
        "const plot = document.querySelector('#funnel-plot .js-plotly-plot');"
        "if (!plot || !plot.data) return -1;"
        "return plot.data.filter(t => /\\(\\d+\\)$/.test(t.name || ''))"
        ".reduce((sum, t) => sum + t.x.length, 0);"
    )


def test_funnel_shows_every_unit_with_the_chosen_one(browser, published):
    site, release = published
    expected = selectors.funnel(release.pk, "32.1")
    browser.get(f"{site.url}/benchmarking/32.1/?unit=PZ041")
    wait = WebDriverWait(browser, 30, poll_frequency=0.1)
    wait.until(lambda d: plotted_units(d) == len(expected.points) > 0)
    chosen = browser.execute_script(
        "return document.querySelector('#funnel-plot .js-plotly-plot').data"
        ".filter(t => (t.name || '').endsWith('(chosen)')).map(t => t.name);"
    )
    name = next(p.area_name for p in expected.points if p.area_code == "PZ041")
    assert chosen == [f"{name} (chosen)"]
    rows = "return document.querySelectorAll('table#funnel-table tbody tr').length"
    wait.until(lambda d: d.execute_script(rows) == len(expected.points))
    chosen_row = "return document.querySelector('#funnel-table tr.chosen').dataset.code"
    assert browser.execute_script(chosen_row) == "PZ041"
    save_screenshot(browser, "funnel-32-1")
    assert image_downloads(browser, "#funnel-download") == {
        f"{chart} plot ({fmt})": kind for chart in ("funnel", "caterpillar")
        for fmt, kind in (("PNG", "image/png"), ("SVG", "image/svg+xml"))}  # fmt: skip

    # The plain limits are one click away; the URL keeps the choice.
    browser.find_element(By.CSS_SELECTOR, "input[name=limits][value=plain]").click()
    wait.until(lambda d: "limits=plain" in d.current_url)
    if expected.parameters.get("overdispersed"):
        # Dash starts on this first change and draws the app again: wait through its "Loading".
        method = "const m = document.getElementById('funnel-method'); return m ? m.textContent : ''"
        wait.until(lambda d: "no overdispersion allowance" in d.execute_script(method))

    # Another measure is another page, keeping the unit.
    Select(browser.find_element(By.ID, "measure")).select_by_value("44")
    wait.until(lambda d: "/benchmarking/44/" in d.current_url and "unit=PZ041" in d.current_url)
    wait.until(lambda d: plotted_units(d) > 0)
    assert javascript_errors(browser) == []
    serious = serious_violations(browser)
    assert serious == [], json.dumps(serious, indent=1)


def test_units_not_on_the_funnel_are_counted_and_named_with_why(browser, published):
    """The type 1 mean HbA1c of the small national cohort: units with fewer than 8 type 1
    children are not plotted; the page says how many and why, names them below the table,
    and says why in words when one of them is the chosen unit."""
    site, release = published
    expected = selectors.funnel(release.pk, "44")
    assert expected.not_shown, "the small cohort has units with fewer than 8 type 1 children"
    chosen = expected.not_shown[0]
    browser.get(f"{site.url}/benchmarking/44/?unit={chosen.area_code}")
    wait = WebDriverWait(browser, 30, poll_frequency=0.1)
    wait.until(lambda d: plotted_units(d) == len(expected.points))
    text = "return document.getElementById('funnel-not-shown').textContent"
    wait.until(lambda d: "not shown" in d.execute_script(text))
    count = len(expected.not_shown)
    assert browser.execute_script(text).startswith(
        f"{len(expected.points)} units shown. {count} unit{'s' if count > 1 else ''} not shown"
    )
    problems = browser.execute_script(
        "return document.getElementById('funnel-problems').textContent"
    )
    assert f"{chosen.area_name} ({chosen.area_code}) is not on these plots" in problems
    named = browser.execute_script(
        "return [...document.querySelectorAll('#funnel-not-shown-units tbody tr')]"
        ".map(r => [r.dataset.code, r.cells[0].textContent])"
    )
    assert sorted(code for code, _ in named) == sorted(r.area_code for r in expected.not_shown)
    assert all(reason for _, reason in named)
    save_screenshot(browser, "funnel-44-not-shown-top")
    browser.execute_script("document.getElementById('funnel-not-shown-units').scrollIntoView()")
    save_screenshot(browser, "funnel-44-not-shown")
    assert javascript_errors(browser) == []
    serious = serious_violations(browser)
    assert serious == [], json.dumps(serious, indent=1)
