"""The open data API's human-readable docs page, offline in Chromium: every endpoint listed,
and a request tried from the page returns the published rows."""

import datetime as dt

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from aggregation.releases import publish_release
from tests.browser.conftest import javascript_errors, save_screenshot
from tests.integration.conftest import add_children
from tests.kpi_cohort import Cohort, E

pytestmark = pytest.mark.browser


def test_the_docs_page_lists_every_endpoint_and_runs_a_request(browser, live_site):
    cohort = Cohort("PZ041")
    add_children(cohort, 20, 10)
    from aggregation.services import compute_kpis

    compute_kpis(cohort.period, calculation_date=E)
    release = publish_release(cohort.period, "final", today=dt.date(2026, 12, 1))
    browser.get(live_site.url + "/api/v1/docs")
    WebDriverWait(browser, 30).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")) >= 6
    )
    paths = {e.text for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
    assert {"/api/v1/releases", "/api/v1/measures", "/api/v1/areas", "/api/v1/aggregates"} <= {
        p.replace("\u200b", "") for p in paths
    }
    assert "NPDA open data API" in browser.find_element(By.CSS_SELECTOR, ".title").text
    save_screenshot(browser, "api-docs")
    # The response of /api/v1/releases, fetched by the page itself (same origin, offline).
    body = browser.execute_async_script(
        "const done = arguments[0];"
        "fetch('/api/v1/aggregates?level=pdu&measure=25').then(r => r.json()).then(done);"
    )
    assert body["release"]["id"] == release.pk
    assert [row["area_code"] for row in body["rows"]] == ["PZ041"]
    assert body["rows"][0]["value"] == pytest.approx(66.7)
    assert javascript_errors(browser) == []
