"""What a visitor sees on the about-the-data page (the levels table and the embedded Dash map,
offline, in a titled frame), and logging in and out."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.wait import WebDriverWait

from tests.browser.conftest import authenticator, javascript_errors, log_in, save_screenshot
from tests.factories import NPDAUserFactory

pytestmark = pytest.mark.browser


def test_the_about_page_shows_levels_and_the_boundary_map(browser, live_site):
    browser.get(live_site.url + "/about/data/")
    table = browser.find_element(By.CSS_SELECTOR, "table.levels")
    rows = {
        row.find_element(By.TAG_NAME, "th").text: row.find_element(By.CSS_SELECTOR, "td.num").text
        for row in table.find_elements(By.CSS_SELECTOR, "tbody tr")
    }
    assert rows["Integrated Care Boards"] == "42"
    assert rows["Local Health Boards (Wales)"] == "7"
    assert rows["Paediatric Diabetes Units"] == "172"

    frame = browser.find_element(By.CSS_SELECTOR, ".map-frame iframe")
    assert frame.get_attribute("title").startswith("Map of the ICBs")
    browser.switch_to.frame(frame)
    try:
        # 42 ICB and 7 LHB polygons plus one circle per unit with a location, drawn offline.
        WebDriverWait(browser, 30).until(
            lambda d: len(d.find_elements(By.CSS_SELECTOR, "path.leaflet-interactive")) >= 49 + 150
        )
        attribution = browser.find_element(By.CLASS_NAME, "attribution").text
        assert "Open Government Licence v.3.0" in attribution
        assert not browser.find_elements(By.CSS_SELECTOR, "img.leaflet-tile")  # no tiles
    finally:
        browser.switch_to.default_content()
    save_screenshot(browser, "about-data")
    assert javascript_errors(browser) == []


def test_log_in_and_out(browser, live_site):
    user = NPDAUserFactory(email="lead@unit.nhs.uk", password="a-long-test-password")
    log_in(browser, live_site.url, "LEAD@unit.nhs.uk", "a-long-test-password", authenticator(user))
    # The home page is the same for everyone (cached, no account links): another page shows
    # who is signed in.
    browser.get(live_site.url + "/search/")
    WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.CLASS_NAME, "who")))
    assert browser.find_element(By.CLASS_NAME, "who").text == "lead@unit.nhs.uk"
    browser.find_element(By.CSS_SELECTOR, "nav form button").click()
    WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.LINK_TEXT, "Log in")))


def test_wrong_password_shows_an_error(browser, live_site):
    browser.get(live_site.url + "/accounts/login/")
    browser.find_element(By.ID, "id_username").send_keys("nobody@unit.nhs.uk")
    browser.find_element(By.ID, "id_password").send_keys("wrong-password")
    browser.find_element(By.CSS_SELECTOR, "form.login button").click()
    error = WebDriverWait(browser, 10).until(
        ec.presence_of_element_located((By.CLASS_NAME, "errornote"))
    )
    assert "enter a correct email address and password" in error.text.lower()
