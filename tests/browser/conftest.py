"""Headless Debian Chromium driven by Selenium against pytest-django's live server."""

import datetime as dt
import shutil
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from aggregation.models import Release
from aggregation.releases import publish_release
from aggregation.selectors import audit_period_for_year
from aggregation.services import compute_kpis
from npda.synthetic.service import generate_cohort
from tests import snapshots
from tests.conftest import seed_lookups

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "tmp" / "screenshots"


@pytest.fixture(scope="session")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-quic",
        "--no-first-run",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1400",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


@pytest.fixture(autouse=True)
def fresh_cookies(request):
    """Each test starts signed out: the browser is shared, and a session cookie left by one
    test must not reach the next test's server (its sessions were flushed with the database)."""
    yield
    if "browser" in request.fixturenames:
        request.getfixturevalue("browser").execute_cdp_cmd("Network.clearBrowserCookies", {})


@pytest.fixture
def live_site(live_server, transactional_db):
    """The live server with the reference data (transactional tests start from a flushed DB;
    the data comes back from a snapshot taken once per run: tests/snapshots.py)."""
    snapshots.restored("lookups", seed_lookups)
    return live_server


def _published() -> None:
    snapshots.restored("lookups", seed_lookups)
    generate_cohort(audit_year=2024, patients=5000, seed=2, today=dt.date(2025, 6, 1))
    period = audit_period_for_year(2024)
    compute_kpis(period)
    publish_release(period, "final", today=dt.date(2025, 6, 2))


@pytest.fixture
def published(live_server, transactional_db):
    """A small national cohort (every unit, 5,000 children), scored and released: built once
    per run, restored for each test."""
    snapshots.restored("published", _published)
    return live_server, Release.objects.get(kind="final")


def _three_years() -> None:
    snapshots.restored("lookups", seed_lookups)
    for year in (2022, 2023, 2024):
        generate_cohort(audit_year=year, patients=3000, seed=year, today=dt.date(2025, 6, 1))
        period = audit_period_for_year(year)
        compute_kpis(period)
        if year == 2024:
            publish_release(period, "provisional", as_at=dt.date(2024, 9, 30),
                            today=dt.date(2025, 6, 2))  # fmt: skip
        publish_release(period, "final", today=dt.date(2025, 6, 2))


@pytest.fixture
def three_years(live_server, transactional_db):
    """Three audit years of a small national cohort (every unit, 3,000 children a year), each
    with a final release, and the last with a provisional release at its second quarter end:
    built once per run, restored for each test."""
    snapshots.restored("three_years", _three_years)
    finals = list(Release.objects.filter(kind="final").order_by("audit_period__start_date"))
    return live_server, finals


def authenticator(user):
    """The user's own authenticator app: a confirmed TOTP device whose secret the test holds."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.create(user=user, name="Test phone", confirmed=True)


def totp_code(key: bytes, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows now (or that many 30 s steps later: a code is
    accepted once, and the next step's is accepted too)."""
    import time

    from django_otp.oath import TOTP

    generator = TOTP(key, step=30, t0=0, digits=6)
    generator.time = time.time() + 30 * steps_ahead
    return f"{generator.token():06d}"


def log_in(browser, site_url: str, email: str, password: str, device) -> None:
    """Email and password, then the code from the user's app, as a person does."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.wait import WebDriverWait

    browser.get(site_url + "/accounts/login/")
    browser.find_element(By.ID, "id_username").send_keys(email)
    browser.find_element(By.ID, "id_password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "form.login button").click()
    code = WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.ID, "id_code")))
    code.send_keys(totp_code(device.bin_key, steps_ahead=1))
    browser.find_element(By.CSS_SELECTOR, "form.login button").click()
    WebDriverWait(browser, 10).until(lambda d: "/accounts/two-factor/" not in d.current_url)


def save_screenshot(driver, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def javascript_errors(driver) -> list[str]:
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if entry["level"] == "SEVERE" and "favicon.ico" not in entry["message"]
    ]


def image_downloads(driver, container: str) -> dict[str, str]:
    """The PNG and SVG links inside `container`, each fetched as a click would: its label
    and the content type it answered with."""
    return driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        const links = [...document.querySelectorAll(arguments[0] + ' a[download]')]
          .filter(a => /\\.(png|svg)(\\?|$)/.test(a.getAttribute('href')));
        Promise.all(links.map(a => fetch(a.href).then(r => [a.textContent, r.status === 200
            ? r.headers.get('content-type') : String(r.status)])))
          .then(pairs => done(Object.fromEntries(pairs)));
        """,
        container,
    )
