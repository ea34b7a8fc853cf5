"""A unit's workspace as its lead uses it (issue 22), keyboard only: log in and land on the
unit's workspace, go to the children with a care process missed, open a child's record, reach
the worklist and take away its CSV. Screenshots in tmp/screenshots; no serious or critical
accessibility violations on any page."""

import pytest
from django.contrib.auth.models import Group
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.wait import WebDriverWait

from constants.groups import GroupName
from npda.data_model import models as m
from npda.workspace import common
from tests.browser.conftest import authenticator, javascript_errors, log_in, save_screenshot
from tests.browser.test_submission_lifecycle import no_serious_violations
from tests.factories import NPDAUserFactory
from tests.workspace_world import TODAY, build_unit_world

pytestmark = pytest.mark.browser
PASSWORD = "a-long-test-password"


@pytest.fixture
def lead(live_site, monkeypatch):
    monkeypatch.setattr(common, "today", lambda: TODAY)  # the server runs in this process
    _, children = build_unit_world()
    user = NPDAUserFactory(email="lead@unit.nhs.uk", password=PASSWORD, first_name="Asha",
                           surname="Patel")  # fmt: skip
    user.groups.add(Group.objects.get(name=GroupName.TRUST_AUDIT_TEAM_FULL_ACCESS))
    user.organisation_employers.add(m.PaediatricDiabetesUnit.objects.get(pz_code="PZ041"))
    user.device = authenticator(user)
    user.children = children
    return user


def tab_to(browser, text: str, limit: int = 120):
    """Press Tab until the focused element's text (or label) starts with `text`, as a keyboard
    user moves through the page; fails if it is never reached."""
    for _ in range(limit):
        ActionChains(browser).send_keys(Keys.TAB).perform()
        focused = browser.switch_to.active_element
        if focused.tag_name in ("select", "input", "textarea"):  # named by its label
            named = f"label[for='{focused.get_attribute('id')}']"
            labels = browser.find_elements(By.CSS_SELECTOR, named)
            label = labels[0].text if labels else focused.get_attribute("value") or ""
        else:
            label = focused.text or focused.get_attribute("aria-label") or ""
        if label.strip().startswith(text):
            return focused
    raise AssertionError(f"{text!r} is not reachable with the Tab key")


def press(browser, *keys) -> None:
    ActionChains(browser).send_keys(*keys).perform()


def test_a_lead_finds_what_is_missed_and_takes_the_worklist(browser, live_site, lead):
    site = live_site
    log_in(browser, site.url, lead.email, PASSWORD, lead.device)
    WebDriverWait(browser, 10).until(ec.url_contains("/units/PZ041/workspace/"))
    summary = browser.find_element(By.ID, "due-summary").text
    assert "6 children" in summary.replace("\n", " ")
    assert "1 with a care process missed" in summary.replace("\n", " ")
    save_screenshot(browser, "workspace-1-landing")
    no_serious_violations(browser)

    # To the children with a care process missed, by keyboard.
    tab_to(browser, "children with something missed")
    press(browser, Keys.ENTER)
    WebDriverWait(browser, 10).until(ec.url_contains("due=overdue"))
    table = browser.find_element(By.ID, "children")
    rows = table.find_elements(By.CSS_SELECTOR, "tbody tr")
    new = lead.children["new"]
    assert len(rows) == 1 and rows[0].text.startswith(new.nhs_number)
    assert "Care process missed" in rows[0].text
    save_screenshot(browser, "workspace-2-missed")
    no_serious_violations(browser)

    # The same filter chosen in the form with the keyboard.
    browser.get(site.url + "/units/PZ041/children/")
    tab_to(browser, "Care processes")
    press(browser, Keys.ARROW_DOWN)  # "One missed"
    tab_to(browser, "Show")
    press(browser, Keys.ENTER)
    WebDriverWait(browser, 10).until(ec.url_contains("due=overdue"))
    assert len(browser.find_elements(By.CSS_SELECTOR, "#children tbody tr")) == 1

    # The child's record, opened from the list.
    tab_to(browser, new.nhs_number)
    press(browser, Keys.ENTER)
    WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.ID, "measures")))
    assert f"/children/{new.pk}/" in browser.current_url
    assert new.nhs_number not in browser.current_url
    measures = browser.find_element(By.ID, "measures").text
    assert "Missed: carbohydrate-counting education was due by 29 Sep 2024." in measures
    assert "(13 days left)" in measures
    assert "Not eligible: diagnosed in this audit year." in measures
    save_screenshot(browser, "workspace-3-child-record")
    no_serious_violations(browser)

    # The worklist, and its CSV as the link downloads it.
    browser.get(site.url + "/units/PZ041/workspace/")
    tab_to(browser, "the worklist")
    press(browser, Keys.ENTER)
    WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.ID, "due")))
    first = browser.find_elements(By.CSS_SELECTOR, "#due tbody tr")[0].text
    assert first.startswith("29 Sep 2024 missed") and new.nhs_number in first
    save_screenshot(browser, "workspace-4-worklist")
    no_serious_violations(browser)
    link = tab_to(browser, "CSV")
    answer = browser.execute_async_script(
        """const done = arguments[arguments.length - 1];
        fetch(arguments[0].href).then(r => r.text().then(t => done([r.status,
            r.headers.get('content-type'), r.headers.get('content-disposition'), t])));""",
        link,
    )
    status, kind, disposition, text = answer
    assert (status, kind) == (200, "text/csv; charset=utf-8")
    assert disposition.startswith("attachment") and "PZ041 2024-2025 due.csv" in disposition
    assert text.lstrip("\ufeff").startswith("NHS number,Measure,Care process,Due by")
    assert f"{new.nhs_number},43," in text
    assert javascript_errors(browser) == []
