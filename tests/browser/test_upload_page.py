"""A unit user uploads a file on the upload page and sees the summary and the error list."""

import pytest
from django.contrib.auth.models import Group
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.wait import WebDriverWait

from constants.groups import GroupName
from npda.models import PaediatricDiabetesUnit
from tests.browser.conftest import authenticator, javascript_errors, log_in, save_screenshot
from tests.csv_files import make_csv, row
from tests.factories import AuditPeriodFactory, NPDAUserFactory, synthetic_nhs_number

pytestmark = pytest.mark.browser
PASSWORD = "a-long-test-password"


@pytest.fixture
def nurse(live_site):
    user = NPDAUserFactory(email="nurse@unit.nhs.uk", password=PASSWORD)
    user.groups.add(Group.objects.get(name=GroupName.TRUST_AUDIT_TEAM_EDIT_ACCESS))
    user.organisation_employers.add(PaediatricDiabetesUnit.objects.get(pz_code="PZ041"))
    AuditPeriodFactory(year=2024, is_open=True)
    user.device = authenticator(user)
    return user


def test_upload_shows_progress_then_summary_and_errors(browser, live_site, nurse, tmp_path):
    rows = [
        row(
            nhs_number=synthetic_nhs_number(i),
            visit_date=f"{1 + v}/0{6 + v % 3}/2024",
            hba1c_date=f"{1 + v}/0{6 + v % 3}/2024",
        )
        for i in range(40)
        for v in range(10)
    ]
    rows.append(row(visit_date="28/06/2024", hba1c="250", hba1c_date="28/06/2024"))
    path = tmp_path / "PZ041 NPDA 2024-25.csv"
    path.write_bytes(make_csv(rows))

    log_in(browser, live_site.url, nurse.email, PASSWORD, nurse.device)
    browser.get(live_site.url + "/submissions/upload/")
    browser.find_element(By.ID, "id_csv_file").send_keys(str(path))
    assert browser.find_element(By.ID, "file-name").text == path.name
    browser.find_element(By.ID, "upload-button").click()
    WebDriverWait(browser, 30).until(ec.presence_of_element_located((By.ID, "summary")))

    summary = " ".join(browser.find_element(By.ID, "summary").text.split())
    assert "41 children" in summary  # 40 children, and the default child of the last row
    assert "401 visits" in summary and "1 record with errors" in summary
    rules = browser.find_element(By.ID, "errors-by-rule").text
    assert "E12" in rules
    errors = browser.find_element(By.ID, "children-with-errors").text
    assert "9434765919" in errors and "outside the accepted range (20–195)" in errors
    save_screenshot(browser, "upload-result")
    assert javascript_errors(browser) == []


def test_a_wrong_file_is_explained_on_the_page(browser, live_site, nurse, tmp_path):
    path = tmp_path / "PZ180.csv"
    path.write_bytes(make_csv([row(paediatric_diabetes_unit="PZ180")]))
    log_in(browser, live_site.url, nurse.email, PASSWORD, nurse.device)
    browser.get(live_site.url + "/submissions/upload/")
    browser.find_element(By.ID, "id_csv_file").send_keys(str(path))
    browser.find_element(By.ID, "upload-button").click()
    result = WebDriverWait(browser, 20).until(
        ec.text_to_be_present_in_element((By.ID, "result"), "not accepted")
    )
    assert result
    text = browser.find_element(By.ID, "result").text
    assert (
        "The PDU Number in the file (PZ180) is not the unit you are uploading for (PZ041)" in text
    )
    save_screenshot(browser, "upload-rejected")
