"""A unit user uploads a file on the upload page and sees the summary and the error list."""

import pytest
from django.contrib.auth.models import Group
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select
from selenium.webdriver.support.wait import WebDriverWait

from constants.groups import GroupName
from npda.data_model.models import PaediatricDiabetesUnit
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
    user.period = AuditPeriodFactory(year=2024, is_open=True)
    user.device = authenticator(user)
    return user


def choose_year(browser, period) -> None:
    Select(browser.find_element(By.ID, "id_audit_period")).select_by_value(str(period.pk))


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
    choose_year(browser, nurse.period)  # the 2021 template's year (the first is 2026-27)
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
    choose_year(browser, nurse.period)
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


def test_the_2026_year_names_its_template_and_takes_only_that(browser, live_site, nurse, tmp_path):
    """Choosing 2026-27 says which template it needs and links the blank one; a 2021 file is
    refused with F10 naming the template, and a 2026 file is accepted."""
    import json

    from tests.browser.test_map_page import serious_violations
    from tests.csv_files import make_csv_2026, row_2026

    period = AuditPeriodFactory(year=2026, is_open=True, is_visible=True)
    log_in(browser, live_site.url, nurse.email, PASSWORD, nurse.device)
    browser.get(live_site.url + "/submissions/upload/")
    choose_year(browser, period)
    hint = browser.find_element(By.ID, "template-hint")
    assert hint.text.startswith("2026-2027 uses the 2026 template (59 columns).")
    link = hint.find_element(By.LINK_TEXT, "Download the blank template")
    assert link.get_attribute("href").endswith("/submissions/templates/2026.csv")
    templates = browser.find_element(By.CSS_SELECTOR, "table[aria-labelledby=templates]").text
    assert "2026-2027 2026 template (59 columns)" in templates
    save_screenshot(browser, "upload-2026-template")
    serious = serious_violations(browser)
    assert serious == [], json.dumps(serious, indent=1)

    old = tmp_path / "PZ041 2021.csv"
    old.write_bytes(make_csv([row(visit_date="10/06/2026", hba1c_date="10/06/2026")]))
    browser.find_element(By.ID, "id_csv_file").send_keys(str(old))
    browser.find_element(By.ID, "upload-button").click()
    WebDriverWait(browser, 20).until(
        ec.text_to_be_present_in_element((By.ID, "result"), "not accepted")
    )
    text = browser.find_element(By.ID, "result").text
    assert (
        "This file is in the NPDA 2021 template, but the 2026-2027 audit year uses the 2026" in text
    )
    save_screenshot(browser, "upload-2026-wrong-template")

    new = tmp_path / "PZ041 2026.csv"
    new.write_bytes(make_csv_2026([row_2026(insulin_regimen="5", non_insulin_medication="1")]))
    browser.get(live_site.url + "/submissions/upload/")
    choose_year(browser, period)
    browser.find_element(By.ID, "id_csv_file").send_keys(str(new))
    browser.find_element(By.ID, "upload-button").click()
    WebDriverWait(browser, 30).until(ec.presence_of_element_located((By.ID, "summary")))
    summary = " ".join(browser.find_element(By.ID, "summary").text.split())
    assert "1 children 1 visits 0 records with errors" in summary, summary
    assert javascript_errors(browser) == []
