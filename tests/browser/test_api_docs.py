"""The open data API's docs page, offline in Chromium: our own page from the API's schema
(npda.api.docs), every endpoint listed, its examples answered by the API, no serious axe-core
violation (the library's Swagger UI had contrast, language and nested-control failures)."""

import datetime as dt
import json

import pytest
from selenium.webdriver.common.by import By

from aggregation.releases import publish_release
from tests.browser.conftest import javascript_errors, save_screenshot
from tests.browser.test_map_page import serious_violations
from tests.integration.conftest import add_children
from tests.kpi_cohort import Cohort, E

pytestmark = pytest.mark.browser


def test_the_docs_page_lists_every_endpoint_and_its_examples_answer(browser, live_site):
    cohort = Cohort("PZ041")
    add_children(cohort, 20, 10)
    from aggregation.services import compute_kpis

    compute_kpis(cohort.period, calculation_date=E)
    release = publish_release(cohort.period, "final", today=dt.date(2026, 12, 1))
    browser.get(live_site.url + "/api/v1/docs")
    paths = {e.text for e in browser.find_elements(By.CSS_SELECTOR, ".endpoint-path")}
    assert {"/api/v1/releases", "/api/v1/measures", "/api/v1/areas", "/api/v1/aggregates"} <= paths
    assert "NPDA open data API" in browser.find_element(By.CSS_SELECTOR, ".title").text
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en-GB"
    save_screenshot(browser, "api-docs")
    serious = serious_violations(browser)
    assert serious == [], json.dumps(serious, indent=1)
    # Each example is a link the API answers.
    links = browser.find_elements(By.CSS_SELECTOR, ".endpoint a[href*='/api/v1/']")
    examples = [a.get_attribute("href") for a in links]
    assert len(examples) >= 6
    statuses = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "Promise.all(arguments[0].map(u => fetch(u).then(r => r.status))).then(done);",
        examples,
    )
    assert set(statuses) == {200}
    body = browser.execute_async_script(
        "const done = arguments[0];"
        "fetch('/api/v1/aggregates?level=pdu&measure=25').then(r => r.json()).then(done);"
    )
    assert body["release"]["id"] == release.pk
    assert [row["area_code"] for row in body["rows"]] == ["PZ041"]
    assert body["rows"][0]["value"] == pytest.approx(66.7)
    assert javascript_errors(browser) == []
