"""The map explorer as a person uses it: headless Chromium against the served app, offline."""

import json
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select
from selenium.webdriver.support.wait import WebDriverWait

from tests.browser.conftest import image_downloads, javascript_errors, save_screenshot

pytestmark = pytest.mark.browser
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
EAST_OF_ENGLAND = "E40000007"


def areas(browser) -> list[str]:
    """The fill of every area polygon drawn, in drawing order."""
    return browser.execute_script(
        "return Array.from(document.querySelectorAll('path.npda-area'))"
        ".map(p => p.getAttribute('fill'))"
    )


def requests(browser) -> list[str]:
    return browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )


def wait(browser, condition, seconds=20):
    return WebDriverWait(browser, seconds, poll_frequency=0.05).until(lambda d: condition())


def table(browser) -> dict[str, list[str]]:
    rows = browser.find_elements(By.CSS_SELECTOR, "#results-table tbody tr")
    return {
        row.get_attribute("data-code"): [c.text for c in row.find_elements(By.CSS_SELECTOR, "td")]
        for row in rows
    }


def api_json(browser, url: str) -> dict:
    return browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then(r => r.json()).then(done);",
        url,
    )


def serious_violations(browser) -> list[dict]:
    """axe-core's serious and critical violations on the page as it stands."""
    browser.execute_script(AXE.read_text())
    results = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations));"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in results
        if v["impact"] in ("serious", "critical")
    ]


def title(browser) -> str:
    return browser.find_element(By.ID, "map-title").text


def test_explore_by_measure_level_and_drill_down(browser, published):
    site, release = published
    browser.get(site.url + "/maps/")
    wait(browser, lambda: len(areas(browser)) == 42 and "#f3f2f1" not in areas(browser))
    assert title(browser) == "44 Mean HbA1c: Integrated Care Boards"
    assert (
        "Open Government Licence v.3.0" in browser.find_element(By.CLASS_NAME, "attribution").text
    )
    assert not browser.find_elements(By.CSS_SELECTOR, "img.leaflet-tile")
    assert browser.find_elements(By.CSS_SELECTOR, "path.npda-unit")  # the units as points
    save_screenshot(browser, "map-icb-comparison")
    wait(browser, lambda: image_downloads(browser, "#map-download"))
    assert image_downloads(browser, "#map-download") == {
        "map (PNG)": "image/png",
        "map (SVG)": "image/svg+xml",
    }  # drawn on the server

    # The table is the map's text alternative: the same rows as the open data API gives.
    shown = table(browser)
    api = api_json(browser, f"/api/v1/aggregates?level=icb&measure=44&release={release.pk}")
    assert len(shown) == len(api["rows"]) == 42
    for row in api["rows"]:
        value = "*" if row["value"] is None else f"{row['value']:.1f}"
        assert shown[row["area_code"]][0] == value

    # A new measure repaints the same polygons, with no new geometry request.
    before, fetched = areas(browser), len(requests(browser))
    Select(browser.find_element(By.ID, "measure")).select_by_value("41")
    wait(browser, lambda: areas(browser) != before and title(browser).startswith("41 "))
    new = requests(browser)[fetched:]
    assert new and all("_dash-update-component" in url for url in new), new
    assert "measure=41" in browser.current_url
    save_screenshot(browser, "map-icb-measure-41")

    # Regions: 7 polygons; a click on one drills down to its ICBs, with a breadcrumb back up.
    browser.find_element(By.CSS_SELECTOR, "input[name=level][value=region]").click()
    wait(browser, lambda: len(areas(browser)) == 7)
    browser.execute_script(
        "document.querySelector('path.npda-area-' + arguments[0])"
        ".dispatchEvent(new MouseEvent('click', {bubbles: true}))",
        EAST_OF_ENGLAND,
    )
    wait(browser, lambda: "East of England" in title(browser))
    assert f"area={EAST_OF_ENGLAND}" in browser.current_url
    crumbs = browser.find_element(By.ID, "map-breadcrumb").text.split("\n")
    assert crumbs == ["England and Wales", "England", "East of England"]
    assert len(areas(browser)) == 42  # the ICB layer, its region's ICBs coloured
    assert set(table(browser)) == {
        c["area_code"]
        for c in api_json(
            browser,
            f"/api/v1/aggregates?level=icb&measure=41&release={release.pk}&parent={EAST_OF_ENGLAND}",
        )["rows"]
    }
    save_screenshot(browser, "map-east-of-england")

    # The table's links drill down as the polygons do, for keyboard users: an ICB to its units.
    browser.find_element(By.CSS_SELECTOR, "#results-table tbody th a").click()
    wait(browser, lambda: ": Units in " in title(browser))
    assert "level=pdu" in browser.current_url

    # The back button undoes each step.
    browser.back()
    wait(browser, lambda: "East of England" in title(browser) and ": Units" not in title(browser))
    browser.back()
    wait(browser, lambda: title(browser) == "41 Coeliac screen at diagnosis: NHS England regions")
    assert browser.find_element(By.CSS_SELECTOR, "input[value=region]").is_selected()
    # All of it under the site's Content-Security-Policy: a violation would be a console error.
    policy = browser.execute_script(
        "return fetch('/maps/').then(r => r.headers.get('content-security-policy'))"
    )
    assert "default-src 'none'" in policy and "script-src 'self' 'sha256-" in policy
    assert javascript_errors(browser) == []


def test_a_shared_link_reloads_the_same_view(browser, published):
    site, release = published
    url = f"{site.url}/maps/?level=lhb&measure=25&release={release.pk}&colour=value&sort=-value"
    browser.get(url)
    # Powys has no unit, so no result: it stays the no-data grey.
    wait(browser, lambda: len(areas(browser)) == 7 and areas(browser).count("#f3f2f1") == 1)
    assert title(browser) == "25 HbA1c: Welsh health boards"
    assert Select(browser.find_element(By.ID, "measure")).first_selected_option.text == "25 HbA1c"
    assert browser.find_element(By.CSS_SELECTOR, "input[value=value]").is_selected()
    legend = browser.find_element(By.CLASS_NAME, "legend").text
    assert "up to" in legend and "higher is better" in legend
    values = [cells[0] for cells in table(browser).values() if cells[0] != "*"]
    assert values == sorted(values, key=float, reverse=True)
    browser.refresh()
    wait(browser, lambda: title(browser) == "25 HbA1c: Welsh health boards")
    assert browser.current_url == url
    save_screenshot(browser, "map-lhb-value")
    assert javascript_errors(browser) == []

    # Each area's own page is one link away: every measure with its interval, units ranked.
    browser.find_element(By.LINK_TEXT, "All measures").click()
    wait(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "#units-table"))
    assert browser.find_element(By.TAG_NAME, "h1").text.endswith("Health Board")
    assert browser.find_elements(By.CSS_SELECTOR, "svg.area-map circle")
    save_screenshot(browser, "area-lhb")
    serious = serious_violations(browser)
    assert serious == [], json.dumps(serious, indent=1)


def test_keyboard_only_use_and_no_serious_accessibility_violations(browser, published):
    site, _ = published
    browser.get(site.url + "/maps/")
    wait(browser, lambda: len(areas(browser)) == 42 and "#f3f2f1" not in areas(browser))
    before = areas(browser)
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)  # from the top of the page to the measure list, by keyboard only
    for _ in range(30):
        if browser.switch_to.active_element.get_attribute("id") == "measure":
            break
        browser.switch_to.active_element.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.get_attribute("id") == "measure"
    browser.switch_to.active_element.send_keys(Keys.DOWN)
    wait(browser, lambda: areas(browser) != before and title(browser).startswith("45 "))
    assert "measure=45" in browser.current_url

    save_screenshot(browser, "map-keyboard")
    serious = serious_violations(browser)
    assert serious == [], json.dumps(serious, indent=1)
