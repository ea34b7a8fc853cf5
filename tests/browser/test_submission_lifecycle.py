"""The submission lifecycle as people use it (issue 21): a unit's lead uploads a file with
mistakes, reads its comparison with the unit's data and discards it; uploads a good one and
uses it; restores the earlier version with a reason; signs off the ended year; and the audit
team sees the tracker. Screenshots in tmp/screenshots; no serious accessibility violations."""

import json

import pytest
from django.contrib.auth.models import Group
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select
from selenium.webdriver.support.wait import WebDriverWait

from constants.groups import GroupName
from npda.data_model import models as m
from npda.submissions.services import import_submission
from tests.browser.conftest import authenticator, javascript_errors, log_in, save_screenshot
from tests.browser.test_map_page import serious_violations
from tests.csv_files import make_csv, row
from tests.factories import AuditPeriodFactory, NPDAUserFactory, synthetic_nhs_number

pytestmark = pytest.mark.browser
PASSWORD = "a-long-test-password"
CHILDREN = [synthetic_nhs_number(i) for i in range(6)]


def rows(children, **changes):
    return [row(nhs_number=nhs, visit_date=f"{10 + v}/06/2024", hba1c_date=f"{10 + v}/06/2024",
                **changes) for nhs in children for v in range(3)]  # fmt: skip


@pytest.fixture
def lead(live_site):
    user = NPDAUserFactory(email="lead@unit.nhs.uk", password=PASSWORD, first_name="Asha",
                           surname="Patel")  # fmt: skip
    user.groups.add(Group.objects.get(name=GroupName.TRUST_AUDIT_TEAM_FULL_ACCESS))
    unit = m.PaediatricDiabetesUnit.objects.get(pz_code="PZ041")
    user.organisation_employers.add(unit)
    user.period = AuditPeriodFactory(year=2024, is_open=True)  # ended on 31 March 2025
    user.device = authenticator(user)
    import_submission(make_csv(rows(CHILDREN)), "PZ041 first.csv", unit, user.period)
    return user


def upload(browser, site, period, path) -> None:
    browser.get(site.url + "/submissions/upload/")
    Select(browser.find_element(By.ID, "id_audit_period")).select_by_value(str(period.pk))
    browser.find_element(By.ID, "id_csv_file").send_keys(str(path))
    browser.find_element(By.ID, "upload-button").click()
    WebDriverWait(browser, 30).until(ec.presence_of_element_located((By.ID, "comparison")))


def no_serious_violations(browser) -> None:
    serious = serious_violations(browser)
    assert serious == [], json.dumps(serious, indent=1)


def test_check_discard_use_restore_sign_off_and_the_tracker(browser, live_site, lead, tmp_path):
    site, period = live_site, lead.period
    log_in(browser, site.url, lead.email, PASSWORD, lead.device)

    # A file with mistakes: one child missing, one with an impossible date of birth.
    bad = tmp_path / "PZ041 with mistakes.csv"
    bad.write_bytes(make_csv(rows(CHILDREN[:4]) + rows(CHILDREN[4:5], date_of_birth="31/02/2012")))
    upload(browser, site, period, bad)
    comparison = browser.find_element(By.ID, "comparison").text
    assert "Removed (in your data, not in this file) 1" in comparison
    losing = browser.find_element(By.ID, "losing").text
    assert "2 children would stop counting" in losing
    assert f"{CHILDREN[5]} is not in the new file" in losing
    assert f"{CHILDREN[4]} would have no usable date of birth" in losing
    save_screenshot(browser, "lifecycle-1-draft-with-mistakes")
    no_serious_violations(browser)
    browser.find_element(By.ID, "discard-button").click()
    WebDriverWait(browser, 10).until(ec.url_contains("/submissions/upload/"))
    assert "discarded: your data are unchanged" in browser.find_element(By.TAG_NAME, "main").text

    # A good file: one more contact for the first child; used as the unit's data.
    good = tmp_path / "PZ041 good.csv"
    more = row(nhs_number=CHILDREN[0], visit_date="20/06/2024", hba1c_date="20/06/2024")
    good.write_bytes(make_csv([*rows(CHILDREN), more]))
    upload(browser, site, period, good)
    assert "Changed 1" in browser.find_element(By.ID, "comparison-counts").text
    button = browser.find_element(By.ID, "use-button")
    assert button.text == "Use this file as PZ041's 2024-25 data"
    button.click()
    WebDriverWait(browser, 10).until(
        ec.text_to_be_present_in_element((By.TAG_NAME, "main"), "This is PZ041's data")
    )
    save_screenshot(browser, "lifecycle-2-in-use")

    # Back to the first version, with a reason.
    browser.get(site.url + f"/submissions/history/PZ041/{period.start_date.year}/")
    no_serious_violations(browser)
    first = m.Submission.objects.get(file_name="PZ041 first.csv")
    reason = browser.find_element(By.ID, f"reason-{first.pk}")
    reason.send_keys("The extra contact belongs to another child")
    browser.find_element(By.CSS_SELECTOR, f"#version-{first.pk} + tr button").click()
    WebDriverWait(browser, 10).until(
        ec.text_to_be_present_in_element((By.TAG_NAME, "main"), "data again")
    )
    versions = browser.find_element(By.ID, "versions").text
    assert versions.count("In use") == 1 and "Superseded" not in versions
    first.refresh_from_db()
    assert first.is_active
    save_screenshot(browser, "lifecycle-3-restored")

    # Sign off the ended year; a new upload is then refused with who signed and when.
    browser.get(site.url + f"/submissions/sign-off/PZ041/{period.start_date.year}/")
    browser.find_element(By.ID, "sign-off-button").click()  # the box not ticked
    summary = WebDriverWait(browser, 10).until(
        ec.presence_of_element_located((By.ID, "error-summary"))
    )
    assert "Tick the declaration" in summary.text
    no_serious_violations(browser)
    save_screenshot(browser, "lifecycle-4-sign-off-error")
    browser.find_element(By.ID, "confirm").click()
    browser.find_element(By.ID, "sign-off-button").click()
    signed = WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.ID, "signed")))
    assert "Signed off by Asha Patel" in signed.text
    save_screenshot(browser, "lifecycle-5-signed-off")
    browser.get(site.url + "/submissions/upload/")
    Select(browser.find_element(By.ID, "id_audit_period")).select_by_value(str(period.pk))
    browser.find_element(By.ID, "id_csv_file").send_keys(str(good))
    browser.find_element(By.ID, "upload-button").click()
    refused = WebDriverWait(browser, 20).until(
        ec.text_to_be_present_in_element((By.ID, "result"), "not accepted")
    )
    assert refused and "signed off by Asha Patel" in browser.find_element(By.ID, "result").text
    # The form error's page answered 400 on purpose; nothing else may have failed.
    assert [e for e in javascript_errors(browser) if "status of 400" not in e] == []

    # The audit team's tracker.
    browser.find_element(By.CSS_SELECTOR, "form.inline button").click()  # log out
    WebDriverWait(browser, 10).until(ec.url_to_be(site.url + "/"))
    team = NPDAUserFactory(email="team@rcpch.ac.uk", password=PASSWORD)
    team.groups.add(Group.objects.get(name=GroupName.RCPCH_AUDIT_TEAM_VIEW_ONLY))
    log_in(browser, site.url, team.email, PASSWORD, authenticator(team))
    browser.get(site.url + f"/submissions/tracker/?year={period.start_date.year}&sort=-children")
    tracker = browser.find_element(By.ID, "tracker")
    first_row = tracker.find_elements(By.CSS_SELECTOR, "tbody tr")[0].text
    assert first_row.startswith("PZ041") and "Signed off by Asha Patel" in first_row
    assert "No data" in tracker.text
    save_screenshot(browser, "lifecycle-6-tracker")
    no_serious_violations(browser)
