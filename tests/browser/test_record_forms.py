"""A nurse corrects a child's record in the web form (issue 23), keyboard only: adds a contact
with an HbA1c and a blood pressure, leaves out the blood pressure's date, reads the error
summary, follows it to the field, corrects it and saves; the record says the results are being
updated, and after the scheduler's next poll shows the child's new states. Screenshots in
tmp/screenshots; no serious or critical accessibility violations."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.wait import WebDriverWait

from aggregation.jobs import process_queued_requests
from aggregation.services import compute_kpis
from constants.groups import GroupName
from npda.data_model import models as m
from npda.workspace import common
from tests.browser.conftest import authenticator, javascript_errors, log_in, save_screenshot
from tests.browser.test_submission_lifecycle import no_serious_violations
from tests.browser.test_workspace import press, tab_to
from tests.factories import AuditPeriodFactory, NPDAUserFactory
from tests.kpi_cohort import Cohort

pytestmark = pytest.mark.browser
PASSWORD = "a-long-test-password"
TODAY = dt.date(2024, 12, 1)


@pytest.fixture
def nurse(live_site, monkeypatch):
    monkeypatch.setattr(common, "today", lambda: TODAY)
    period = AuditPeriodFactory(year=2024, is_open=True)
    cohort = Cohort(period=period)
    child = cohort.child(date_of_birth="2010-01-20", diagnosis_date="2016-05-05",
                         rows=({"visit_date": "2024-05-01"},))  # fmt: skip
    compute_kpis(period, calculation_date=TODAY)
    user = NPDAUserFactory(email="nurse@unit.nhs.uk", password=PASSWORD, first_name="Sam",
                           surname="Okafor")  # fmt: skip
    user.groups.add(Group.objects.get(name=GroupName.TRUST_AUDIT_TEAM_EDIT_ACCESS))
    user.organisation_employers.add(cohort.unit)
    user.device, user.child = authenticator(user), child
    return user


def states(browser) -> dict[str, str]:
    rows = browser.find_elements(By.CSS_SELECTOR, "#measures tbody tr")
    return {r.find_element(By.TAG_NAME, "th").text.split(" ")[0]: r.find_elements(
        By.TAG_NAME, "td")[0].text for r in rows}  # fmt: skip


def type_into(browser, label: str, text: str) -> None:
    tab_to(browser, label)
    press(browser, text)


def test_a_nurse_adds_a_contact_corrects_a_mistake_and_sees_the_new_states(
    browser, live_site, nurse
):
    site, child = live_site, nurse.child
    log_in(browser, site.url, nurse.email, PASSWORD, nurse.device)
    record = f"{site.url}/units/PZ041/children/{child.pk}/?year=2024"
    browser.get(record)
    before = states(browser)
    assert (before["25"], before["28"]) == ("Incomplete", "Not eligible")

    tab_to(browser, "Add a contact")
    press(browser, Keys.ENTER)
    WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.ID, "contact-form")))
    save_screenshot(browser, "record-form-1-new-contact")
    no_serious_violations(browser)
    type_into(browser, "Date of the contact", "12/09/2024")
    type_into(browser, "HbA1c", "61")
    tab_to(browser, "HbA1c result format")
    press(browser, Keys.ARROW_DOWN)  # 1: mmol/mol
    type_into(browser, "Date of the HbA1c", "12/09/2024")
    # The closed-loop question applies only to a pump: shown for treatment 3, hidden for 1.
    closed_loop = browser.find_element(By.ID, "id_closed_loop_system-field")
    assert not closed_loop.is_displayed()
    tab_to(browser, "Diabetes treatment")
    press(browser, Keys.ARROW_DOWN, Keys.ARROW_DOWN, Keys.ARROW_DOWN)  # 3: insulin pump
    assert closed_loop.is_displayed()
    press(browser, Keys.ARROW_UP, Keys.ARROW_UP)  # 1: one to three injections a day
    assert not closed_loop.is_displayed()
    type_into(browser, "Systolic blood pressure", "112")
    type_into(browser, "Diastolic blood pressure", "71")  # the date left out by mistake
    tab_to(browser, "Save the contact")
    press(browser, Keys.ENTER)

    summary = WebDriverWait(browser, 10).until(
        ec.presence_of_element_located((By.ID, "error-summary")))  # fmt: skip
    assert browser.switch_to.active_element == summary
    assert "There is a problem" in summary.text
    message = summary.find_element(By.TAG_NAME, "a").text
    assert "Observation Date (Blood Pressure)" in message or "blood pressure" in message.lower()
    inline = browser.find_element(By.ID, "id_blood_pressure_observation_date_error").text
    assert message in inline
    save_screenshot(browser, "record-form-2-error-summary")
    no_serious_violations(browser)
    assert not m.Visit.objects.filter(patient=child, visit_date=dt.date(2024, 9, 12)).exists()

    press(browser, Keys.TAB, Keys.ENTER)  # the summary's link: to the field
    focused = browser.switch_to.active_element
    assert focused.get_attribute("id") == "id_blood_pressure_observation_date"
    press(browser, "12/09/2024")
    tab_to(browser, "Save the contact")
    press(browser, Keys.ENTER)
    WebDriverWait(browser, 10).until(ec.url_contains(f"/children/{child.pk}/"))
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "The contact is saved" in main and "results are being updated" in main
    save_screenshot(browser, "record-form-3-saved")

    process_queued_requests()  # the scheduler's next poll
    browser.get(record)
    after = states(browser)
    assert (after["25"], after["28"]) == ("Passed", "Passed")
    changes = browser.find_element(By.ID, "changes").text
    assert "Sam Okafor" in changes and "Contact of 12 Sep 2024 added" in changes
    save_screenshot(browser, "record-form-4-new-states")
    no_serious_violations(browser)
    assert [e for e in javascript_errors(browser) if "status of 400" not in e] == []

    # The same child's record for a year whose data they are not in: no changes offered.
    AuditPeriodFactory(year=2025, is_open=True)
    browser.get(record.split("?")[0] + "?year=2025")
    notice = browser.find_element(By.ID, "read-only").text
    assert "is not in PZ041's 2025-2026 data" in notice
    assert not browser.find_elements(By.ID, "add-contact")
    save_screenshot(browser, "record-form-5-another-year")
    no_serious_violations(browser)
