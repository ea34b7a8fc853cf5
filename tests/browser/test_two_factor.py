"""Two-factor authentication as a person meets it, in headless Chromium: first login sets up an
authenticator app from the page's own key (the test is the phone), recovery codes are shown,
and the next login takes a code and reaches the unit page."""

import base64
import time

import pytest
from django.contrib.auth.models import Group
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from constants.groups import GroupName
from npda.data_model.models import PaediatricDiabetesUnit
from tests.browser.conftest import javascript_errors, save_screenshot, totp_code
from tests.browser.test_map_page import serious_violations
from tests.factories import NPDAUserFactory

pytestmark = pytest.mark.browser
PASSWORD = "a-long-test-password"


def submit(browser, field_id: str, text: str) -> None:
    field = browser.find_element(By.ID, field_id)
    field.clear()
    field.send_keys(text)
    browser.find_element(By.CSS_SELECTOR, "form.login button").click()


def test_set_up_an_app_then_log_in_with_a_code_and_reach_the_unit_page(browser, published):
    site, _ = published
    user = NPDAUserFactory(email="lead@unit.nhs.uk", password=PASSWORD)
    user.groups.add(Group.objects.get(name=GroupName.TRUST_AUDIT_TEAM_VIEW_ONLY))
    user.organisation_employers.add(PaediatricDiabetesUnit.objects.get(pz_code="PZ041"))
    wait = WebDriverWait(browser, 15, poll_frequency=0.1)

    browser.get(f"{site.url}/accounts/login/?next=/units/PZ041/")
    browser.find_element(By.ID, "id_username").send_keys(user.email)
    submit(browser, "id_password", PASSWORD)
    wait.until(lambda d: "/accounts/two-factor/setup/" in d.current_url)
    assert browser.find_element(By.CSS_SELECTOR, "figure.qr svg").is_displayed()
    save_screenshot(browser, "two-factor-setup")
    assert serious_violations(browser) == []
    # The test is the phone: it reads the key off the page, as a person types it into an app.
    secret = browser.find_element(By.ID, "totp-secret").text.replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    submit(browser, "id_code", totp_code(key))
    codes = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#recovery-codes code"))
    assert len(codes) == 10
    save_screenshot(browser, "two-factor-recovery-codes")
    browser.find_element(By.LINK_TEXT, "Continue").click()
    wait.until(lambda d: d.current_url.endswith("/units/PZ041/"))
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#case-mix-table"))  # charts drawn
    browser.find_element(By.CSS_SELECTOR, "nav form button").click()  # log out
    wait.until(lambda d: d.find_elements(By.LINK_TEXT, "Log in"))  # the logout has landed

    # The next login asks for a code and goes on to the page asked for.
    browser.get(f"{site.url}/accounts/login/?next=/units/PZ041/")
    browser.find_element(By.ID, "id_username").send_keys(user.email)
    submit(browser, "id_password", PASSWORD)
    wait.until(lambda d: d.find_elements(By.ID, "id_code"))
    submit(browser, "id_code", "123456")  # a wrong code is refused with the reason
    error = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".errornote"))
    assert "not accepted" in error[0].text
    save_screenshot(browser, "two-factor-wrong-code")
    time.sleep(1.1)  # the pause django-otp makes after a wrong code
    submit(browser, "id_code", totp_code(key, steps_ahead=1))
    wait.until(lambda d: d.current_url.endswith("/units/PZ041/"))
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "tr[data-measure]"))
    assert browser.find_element(By.CLASS_NAME, "who").text == user.email
    save_screenshot(browser, "two-factor-unit-page")
    assert javascript_errors(browser) == []
