"""Benchmark: files drawn from published releases (issue 19, ADR 0019), on the demo.

Targets: the national PDF and one map PNG, first request and kept (kept: <= 20 ms server
time); 10 identical PDF requests at once against gunicorn (<= 3 s for all, one drawing); a
unit page while those run (within 1.5x of its time when the server is idle).

Runs after `releases.run()`, which leaves the demo in the bench database.
"""

import os
import statistics
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

KEPT_TARGET_MS = 20
BURST_TARGET_S = 3.0
SLOWDOWN_TARGET = 1.5


def run(burst: int = 10) -> None:
    from aggregation import selectors

    release = selectors.latest_final_release()
    pdf = f"/areas/national/EW.pdf?release={release.id}"
    png = f"/maps/map.png?level=icb&measure=44&release={release.id}"
    print(f"files drawn from releases ({release.label} release {release.id})")
    for label, url in (("national PDF", pdf), ("ICB map PNG", png)):
        first_and_kept(label, url)
    burst_against_gunicorn(pdf, burst)


def first_and_kept(label: str, url: str, repeats: int = 30) -> None:
    """Server time in process: the first request draws the file, later ones read it."""
    from django.conf import settings
    from django.test import Client

    from dashboards import area_report, rendering

    rendering.warm()  # as each gunicorn worker does before it serves
    area_report.warm()
    client = Client(HTTP_HOST="127.0.0.1")
    with tempfile.TemporaryDirectory() as folder:
        settings.NPDA_PUBLISHED_FILES_DIR = Path(folder)
        started = time.perf_counter()
        response = client.get(url)
        first = time.perf_counter() - started
        assert response.status_code == 200, response.content[:300]
        kept = []
        for _ in range(repeats):
            started = time.perf_counter()
            again = client.get(url)
            kept.append(time.perf_counter() - started)
            assert again.content == response.content
    median = 1000 * statistics.median(kept)
    verdict = "met" if median <= KEPT_TARGET_MS else "NOT met"
    print(f"  {label:<13} first request {first:5.2f} s; kept: median {median:5.1f} ms, max "
          f"{1000 * max(kept):5.1f} ms (target <= {KEPT_TARGET_MS} ms: {verdict})")  # fmt: skip


def _get(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as answer:
        answer.read()
    return time.perf_counter() - started


def burst_against_gunicorn(pdf: str, burst: int) -> None:
    """`burst` identical requests for a PDF nobody has drawn yet, all at once, and a unit page
    fetched again and again while they run, against its time on the idle server."""
    from bench.maps import gunicorn

    with tempfile.TemporaryDirectory() as folder, tempfile.NamedTemporaryFile() as log:
        os.environ["NPDA_PUBLISHED_FILES_DIR"] = folder
        try:
            with gunicorn(log_path=log.name) as url:
                unit = f"{url}/units/PZ041/"
                for _ in range(3):
                    _get(unit)  # each worker's first request fills its caches
                idle = [_get(unit) for _ in range(15)]
                times, during = [0.0] * burst, []
                barrier = threading.Barrier(burst)

                def fetch(i: int) -> None:
                    barrier.wait()
                    times[i] = _get(url + pdf)

                threads = [threading.Thread(target=fetch, args=(i,)) for i in range(burst)]
                started = time.perf_counter()
                for thread in threads:
                    thread.start()
                time.sleep(0.05)
                while any(t.is_alive() for t in threads):
                    during.append(_get(unit))
                for thread in threads:
                    thread.join()
                total = time.perf_counter() - started
            drawn = Path(log.name).read_text().count("Drew NPDA")
        finally:
            del os.environ["NPDA_PUBLISHED_FILES_DIR"]
    verdict = "met" if total <= BURST_TARGET_S and drawn == 1 else "NOT met"
    print(f"  {burst} identical PDF requests at once: all answered in {total:4.2f} s (slowest "
          f"{max(times):4.2f} s), drawn {drawn} time(s) (target <= {BURST_TARGET_S:.0f} s, "
          f"one drawing: {verdict})")  # fmt: skip
    ratio = statistics.median(during) / statistics.median(idle)
    verdict = "met" if ratio <= SLOWDOWN_TARGET else "NOT met"
    print(f"  unit page: idle median {1000 * statistics.median(idle):5.0f} ms; during the burst "
          f"median {1000 * statistics.median(during):5.0f} ms over {len(during)} requests "
          f"({ratio:3.1f}x, target <= {SLOWDOWN_TARGET}x: {verdict})")  # fmt: skip


if __name__ == "__main__":
    from bench import common

    common.setup_django(migrate=False)
    run()
