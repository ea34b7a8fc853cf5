"""The front door in headless Chromium on three published years (issue 25): a visitor searches
for Cambridge, reaches the ICB, picks 2023-24, sees the trend and downloads the PDF; unit and
funnel pages have their charts drawn at the page's load event; no public page has a serious
or critical axe-core violation."""

import json

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from selenium.webdriver.support.wait import WebDriverWait

from tests.browser.conftest import javascript_errors, save_screenshot
from tests.browser.test_map_page import serious_violations

pytestmark = pytest.mark.browser
CAMBRIDGESHIRE = "E54000056"

# Installed before any page script runs: at the load event, how many plotly charts are drawn.
CHARTS_AT_LOAD = """
window.__charts = {};
window.addEventListener('load', function () {
  window.__charts.atLoad = Array.from(document.querySelectorAll('.js-plotly-plot'))
    .filter(p => p.data && p.data.length && p.querySelector('.main-svg')).length;
});
"""


def wait(browser, condition, seconds=30):
    return WebDriverWait(browser, seconds, poll_frequency=0.1).until(lambda d: condition())


def trend_years(browser) -> list | None:
    return browser.execute_script(
        "const plot = document.querySelector('#area-trend-plot');"
        "if (!plot || !plot.data) return null;"
        "return plot.data.filter(t => (t.name || '').includes('95% CI'))"
        ".flatMap(t => t.x);"
    )


def test_a_visitor_finds_their_icb_picks_a_year_sees_the_trend_and_gets_the_pdf(
    browser, three_years
):
    site, finals = three_years
    earlier = finals[1]  # 2023-24
    browser.get(site.url + "/")
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("Care of children")
    save_screenshot(browser, "front-home")
    box = browser.find_element(By.ID, "q")
    box.send_keys("cambridge")
    box.submit()
    wait(browser, lambda: "/search/" in browser.current_url)
    results = {a.text: a.get_attribute("href") for a in
               browser.find_elements(By.CSS_SELECTOR, ".search-results a")}  # fmt: skip
    assert any(href.endswith("/units/PZ041/") for href in results.values())
    assert any("/areas/trust/RGT/" in href for href in results.values())
    save_screenshot(browser, "front-search")
    browser.find_element(By.PARTIAL_LINK_TEXT, "Cambridgeshire and Peterborough").click()
    wait(browser, lambda: f"/areas/icb/{CAMBRIDGESHIRE}/" in browser.current_url)
    wait(browser, lambda: trend_years(browser) == ["2022-23", "2023-24", "2024-25"])

    Select(browser.find_element(By.ID, "release")).select_by_visible_text("2023-24 final release")
    browser.find_element(By.CSS_SELECTOR, ".page-controls button[type=submit]").click()
    wait(browser, lambda: f"release={earlier.pk}" in browser.current_url)
    assert "2023-24 final release" in browser.find_element(By.CSS_SELECTOR, ".lead").text
    wait(browser, lambda: trend_years(browser) == ["2022-23", "2023-24", "2024-25"])
    rows = browser.find_elements(By.CSS_SELECTOR, "#trend-table tbody tr")
    assert [r.find_element(By.TAG_NAME, "th").text for r in rows] == [
        "2022-23", "2023-24", "2024-25"]  # fmt: skip
    save_screenshot(browser, "front-area-2023-24")

    link = browser.find_element(By.ID, "pdf-report")
    href = link.get_attribute("href")
    assert f"release={earlier.pk}" in href and "measure=44" in href
    answer = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then(r => r.arrayBuffer().then(b => done([r.status,"
        " r.headers.get('content-type'), b.byteLength])));",
        href,
    )
    assert answer[0] == 200 and answer[1] == "application/pdf" and answer[2] > 10_000
    assert javascript_errors(browser) == []


CHARTED_PAGES = {"/units/PZ041/": 3, "/benchmarking/32.1/": 2}


def test_charts_are_drawn_at_the_pages_load_event(browser, three_years):
    """Each page with charts, in one test: the world is restored once, not once a page."""
    site, _ = three_years
    script = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                                     {"source": CHARTS_AT_LOAD})  # fmt: skip
    found = {}
    try:
        for path in CHARTED_PAGES:
            browser.get(site.url + path)
            wait(
                browser, lambda: browser.execute_script("return window.__charts.atLoad") is not None
            )
            # No callback ran to draw them: the Dash app starts only when the page's state
            # changes.
            requests = browser.execute_script(
                "return performance.getEntriesByType('resource').map(e => e.name)"
            )
            found[path] = (
                browser.execute_script("return window.__charts.atLoad"),
                [r for r in requests if "_dash-update-component" in r],
                javascript_errors(browser),
            )  # fmt: skip
    finally:
        browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument",
                                {"identifier": script["identifier"]})  # fmt: skip
    assert found == {path: (charts, [], []) for path, charts in CHARTED_PAGES.items()}


PUBLIC_PAGES = {
    "home": "/",
    "search": "/search/?q=cambridge",
    "areas": "/areas/",
    "areas-icb": "/areas/icb/",
    "area": f"/areas/icb/{CAMBRIDGESHIRE}/",
    "unit": "/units/PZ041/",
    "units": "/units/",
    "funnel": "/benchmarking/32.1/",
    "map": "/maps/",
    "methods": "/methods/",
    "open-data": "/open-data/",
    "api-docs": "/api/v1/docs",
    "about-data": "/about/data/",
}


def test_no_public_page_has_a_serious_accessibility_violation(browser, three_years):
    """Every public page, in one test (the world is restored once, not once a page); each
    page's serious or critical violations and script errors are reported by name."""
    site, _ = three_years
    problems = {}
    for name, path in PUBLIC_PAGES.items():
        browser.get(site.url + path)
        wait(browser, lambda: browser.execute_script("return document.readyState") == "complete")
        if name == "map":  # its content arrives through its callback
            wait(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "#results-table tbody tr"))
        save_screenshot(browser, f"front-axe-{name}")
        serious, errors = serious_violations(browser), javascript_errors(browser)
        if serious or errors:
            problems[name] = {"violations": serious, "script errors": errors}
    assert problems == {}, json.dumps(problems, indent=1)


def test_the_live_map_table_shows_every_column(browser, three_years):
    """Live results add a column; the table then sits below the map at full width, with no
    column cut off at the side."""
    from django.contrib.auth.models import Group

    from constants.groups import GroupName
    from tests.browser.conftest import authenticator, log_in
    from tests.factories import NPDAUserFactory

    site, _ = three_years
    user = NPDAUserFactory(email="audit@rcpch.ac.uk", password="a-long-test-password")
    user.groups.add(Group.objects.get(name=GroupName.RCPCH_AUDIT_TEAM_FULL_ACCESS))
    log_in(browser, site.url, "audit@rcpch.ac.uk", "a-long-test-password", authenticator(user))
    browser.get(site.url + "/maps/?level=icb&release=live-2024&measure=32.1")
    wait(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "#results-table th.incomplete"))
    overflow = browser.execute_script(
        "const column = document.querySelector('.table-column');"
        "const table = document.getElementById('results-table');"
        "return [table.scrollWidth, column.clientWidth,"
        " table.getBoundingClientRect().right <= window.innerWidth];"
    )
    assert overflow[0] <= overflow[1] and overflow[2], overflow
    save_screenshot(browser, "front-map-live")


# Watches, frame by frame, whether the app's place ever shows Dash's "Loading..." or loses
# its charts while Dash starts on the first change.
WATCH_THE_START = """
window.__blank = [];
const visible = el => el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden';
(function frame() {
  const loading = Array.from(document.querySelectorAll('._dash-loading')).some(visible);
  const charts = Array.from(document.querySelectorAll('.first-view .main-svg')).filter(visible);
  if (loading || charts.length === 0) window.__blank.push(loading ? 'loading' : 'no charts');
  if (!window.__stop) requestAnimationFrame(frame);
})();
"""


def test_the_first_change_keeps_the_charts_in_view_while_dash_starts(browser, three_years):
    site, _ = three_years
    browser.get(site.url + "/units/PZ041/")
    wait(browser, lambda: browser.execute_script("return document.readyState") == "complete")
    browser.execute_script(WATCH_THE_START)
    Select(browser.find_element(By.ID, "measure")).select_by_value("25")
    title = "const t = document.getElementById('trend-title'); return t && t.textContent"
    wait(browser, lambda: browser.execute_script(title) == "25 HbA1c: trend")
    wait(browser, lambda: not browser.find_elements(By.CSS_SELECTOR, ".first-view-still"))
    blank = browser.execute_script("window.__stop = true; return window.__blank")
    assert blank == []
    # The app is Dash's own now: shown, not hidden behind the still copy.
    assert not browser.find_elements(By.CSS_SELECTOR, ".first-view-starting")
    assert browser.find_element(By.ID, "trend-title").is_displayed()
    assert javascript_errors(browser) == []
