"""Files drawn from published releases are drawn once and kept (issue 19, ADR 0019): served
again without drawing, with an ETag (304 when the caller has it) and, when the URL names its
release, as immutable; one drawing of a file at a time, and a bounded number per process."""

import datetime as dt
import itertools
import threading
import time

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from aggregation.releases import publish_release
from dashboards import exports
from npda.pages import published_files
from npda.pages.published_files import IMMUTABLE, REVALIDATE, PublishedFile
from tests.conftest import seed_lookups
from tests.integration.conftest import EAST_OF_ENGLAND, make_large_units

pytestmark = pytest.mark.django_db


@pytest.fixture
def drawings(monkeypatch):
    """Each drawing of an area CSV, with when it started and ended (the real one is drawn)."""
    seen = []
    real = exports.export_csv

    def counted(export):
        started = time.monotonic()
        time.sleep(0.2)  # long enough for requests that arrive together to overlap
        content = real(export)
        seen.append((export.area.code, started, time.monotonic()))
        return content

    monkeypatch.setattr(exports, "export_csv", counted)
    return seen


def test_a_file_is_drawn_once_then_served_from_disk(client, released, drawings):
    url = f"/areas/region/{EAST_OF_ENGLAND}.csv?release={released.pk}"
    first = client.get(url)
    assert first.status_code == 200 and len(drawings) == 1
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url)
    assert again.content == first.content and len(drawings) == 1
    assert len(queries) <= 2  # the release's row; nothing of the file's own rows
    assert again["ETag"] == first["ETag"] and again["Cache-Control"] == IMMUTABLE
    assert "attachment" in again["Content-Disposition"]
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_latest_is_kept_too_but_revalidated_and_follows_a_new_release(client, released, drawings):
    response = client.get(f"/areas/region/{EAST_OF_ENGLAND}.csv")
    assert response.status_code == 200 and response["Cache-Control"] == REVALIDATE
    pinned = client.get(f"/areas/region/{EAST_OF_ENGLAND}.csv?release={released.pk}")
    assert pinned["ETag"] == response["ETag"]  # one file, whichever way it was asked for
    assert len(drawings) == 1


def test_a_signed_in_person_gets_the_same_public_file(client, released, drawings):
    from constants.groups import GroupName
    from tests.factories import user_in_group

    client.force_login(user_in_group(GroupName.TRUST_AUDIT_TEAM_VIEW_ONLY, ["PZ041"]))
    response = client.get(f"/areas/region/{EAST_OF_ENGLAND}.csv?release={released.pk}")
    assert response.status_code == 200 and response["Cache-Control"] == IMMUTABLE


def test_bad_parts_are_404_and_nothing_is_kept(client, released, drawings):
    for url in (
        f"/areas/region/E99999999.csv?release={released.pk}",
        f"/areas/region/{EAST_OF_ENGLAND}.doc",
        "/areas/region/x.csv?release=999999",
    ):
        assert client.get(url).status_code == 404, url  # fmt: skip
    assert drawings == []


@pytest.mark.django_db(transaction=True)
def test_requests_arriving_together_draw_the_file_once(released_committed, drawings):
    url = f"/areas/region/{EAST_OF_ENGLAND}.csv?release={released_committed.pk}"
    answers = _together(8, lambda: Client().get(url))
    assert [a.status_code for a in answers] == [200] * 8
    assert len({a.content for a in answers}) == 1
    assert len(drawings) == 1


@pytest.mark.django_db(transaction=True)
def test_a_process_draws_one_file_at_a_time(released_committed, drawings):
    from aggregation import selectors

    areas = [a for a in selectors.areas(None, released_committed.pk) if a.level != "pdu"][:3]
    urls = [f"/areas/{a.level}/{a.code}.csv?release={released_committed.pk}" for a in areas]
    answers = _together(3, *[lambda u=u: Client().get(u) for u in urls])
    assert [a.status_code for a in answers] == [200] * 3 and len(drawings) == 3
    spans = sorted((start, end) for _, start, end in drawings)
    assert all(later[0] >= earlier[1] for earlier, later in itertools.pairwise(spans))


def test_no_turn_in_time_is_503_with_retry_after(client, released, monkeypatch):
    monkeypatch.setattr(published_files, "RENDER_WAIT_SECONDS", 0.1)
    assert published_files._render_slots.acquire()  # every turn of this process is taken
    try:
        response = client.get(f"/areas/region/{EAST_OF_ENGLAND}.csv?release={released.pk}")
    finally:
        published_files._render_slots.release()
    assert response.status_code == 503 and response["Retry-After"] == "5"


def test_whole_release_dumps_are_kept(client, released, monkeypatch):
    from aggregation import selectors

    calls = []
    real = selectors.release_results
    monkeypatch.setattr(selectors, "release_results",
                        lambda *a, **k: calls.append(a) or real(*a, **k))  # fmt: skip
    for _ in range(2):
        for fmt in ("csv", "json"):
            response = client.get(f"/api/v1/aggregates?release={released.pk}&format={fmt}")
            assert response.status_code == 200 and response["ETag"]
    assert len(calls) == 2  # one drawing per format


def test_the_folder_keeps_to_its_size_by_dropping_the_oldest(settings, tmp_path):
    settings.NPDA_PUBLISHED_FILES_DIR = tmp_path
    for i in range(10):
        file = PublishedFile(f"f{i}.csv", "text/csv", ("test", i), immutable=True)
        published_files.stored(file, lambda: b"x" * 1000)
        time.sleep(0.01)
    assert published_files.prune(5000) == 6  # down to 80 % of 5,000 bytes: the four newest
    kept = sorted(p.name for p in tmp_path.glob("*/*.csv"))
    newest = sorted(PublishedFile(f"f{i}.csv", "", ("test", i), True).path.name
                    for i in range(6, 10))  # fmt: skip
    assert kept == newest


@pytest.fixture
def released_committed(transactional_db):
    """The large units' final release, committed (threads use connections of their own)."""
    seed_lookups()
    period, _ = make_large_units()
    return publish_release(period, "final", today=dt.date(2026, 12, 1))


def _together(count: int, *calls):
    """Run the calls (or one call `count` times) in threads started together."""
    calls = calls if len(calls) > 1 else calls * count
    barrier, answers = threading.Barrier(len(calls)), [None] * len(calls)

    def run(i):
        barrier.wait()
        answers[i] = calls[i]()
        connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers
