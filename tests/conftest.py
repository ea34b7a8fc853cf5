import pytest
from django.apps import apps
from django.conf import settings
from django.test import Client

from boundaries.loader import load_reference_data
from npda.data_model.audit_periods import ensure_audit_periods
from npda.data_model.seeding import (
    sync_disclosure_policies,
    sync_groups,
    sync_kpi_job_groups,
    sync_measures,
)
from tests import snapshots


def seed_lookups() -> None:
    """Migration-seeded rows and the reference data; idempotent and quick when present."""
    sync_measures(apps)
    sync_groups(apps)
    sync_kpi_job_groups(apps)
    sync_disclosure_policies(apps)
    ensure_audit_periods()
    load_reference_data(settings.NPDA_REFERENCE_DATA, skip_unchanged=True, progress=lambda _: None)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    # The real reference data is loaded once per session; each test runs in a transaction that
    # is rolled back, so it is never modified for the next test. Snapshots of an earlier run
    # (tests/snapshots.py) are dropped: the code that built them may have changed.
    with django_db_blocker.unblock():
        snapshots.drop_all()
        seed_lookups()


def _flushes_the_database(item) -> bool:
    """A transactional test (a live server's, or one marked transaction=True): its data are
    committed, and the database is emptied after it."""
    marker = item.get_closest_marker("django_db")
    return "transactional_db" in getattr(item, "fixturenames", ()) or bool(
        marker and marker.kwargs.get("transaction")
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a transactional test has emptied the database, the reference data every other test
    reads are put back before a test that runs in a transaction (in a parallel run the browser
    tests come first on their worker; a test in a transaction cannot reload them itself)."""
    yield
    if nextitem is None or not _flushes_the_database(item) or _flushes_the_database(nextitem):
        return
    from pytest_django.plugin import blocking_manager_key

    with item.config.stash[blocking_manager_key].unblock():
        snapshots.restored("lookups", seed_lookups)


def xdist_scope(nodeid: str) -> str:
    """The unit of work a test belongs to in a parallel run: every browser test one unit (so
    the worlds they share are built once, tests/snapshots.py, and Chromium starts once), every
    other test a unit of its own."""
    return "browser" if nodeid.startswith("tests/browser/") else nodeid


@pytest.hookimpl(optionalhook=True)  # known only when pytest-xdist is loaded
def pytest_xdist_make_scheduler(config, log):
    """`--dist loadgroup` with the browser tests as one group. xdist's own grouping renames a
    grouped test's node id, which pytest 9 no longer lets it do (the tests were spread over
    both workers, each building every world), so the group is given here by path."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class BrowserTestsTogether(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return xdist_scope(nodeid)

    return BrowserTestsTogether(config, log)


@pytest.fixture(autouse=True)
def published_files_folder(tmp_path_factory):
    """Files drawn from releases are kept in a folder of each test's own
    (npda.pages.published_files): nothing drawn by an earlier run, by the demo, or by an earlier
    test from a release of the same id (a world copied back: tests/worlds.py) is served to a
    test."""
    settings.NPDA_PUBLISHED_FILES_DIR = tmp_path_factory.mktemp("published")


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty in-process cache (the API keeps answers there)."""
    from django.core.cache import cache

    cache.clear()


class VerifiedClient(Client):
    """A test client whose `force_login` also passes two-factor authentication, as a signed-in
    person's session has (the plain `Client` shows what a password-only session meets)."""

    def force_login(self, user, backend=None):
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        super().force_login(user, backend)
        device, _ = TOTPDevice.objects.get_or_create(
            user=user, confirmed=True, defaults={"name": "Test authenticator"}
        )
        session = self.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


@pytest.fixture
def client():
    return VerifiedClient()
