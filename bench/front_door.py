"""Benchmark: the front door on the national demo of three audit years (issue 25), in headless
Chromium against gunicorn, each visit in a new browser profile (nothing cached).

Targets: the home page loaded (navigation start to the load event's end) <= 1 s; a unit page
and a funnel page with all their charts drawn <= 1.5 s after navigation start (median of 10;
3.5-6 s and 2.6-4 s before the charts came with the page, ADR 0026); search <= 100 ms server
time (in process, Django's test client).

Runs after `releases.run()`, which leaves the demo in the bench database
(`bench/run.py front_door` runs only this, on the demo).
"""

import statistics
import time
import urllib.request

from bench.maps import _browser, gunicorn

VISITS = 10
# Before any page script runs: when every chart of the page is drawn, and the load event.
WATCH = """
window.__npda = {};
(function () {
  const drawn = () => Array.from(document.querySelectorAll('.js-plotly-plot'))
    .filter(p => p.data && p.data.length && p.querySelector('.main-svg')).length;
  function check() {
    if (window.__npda.want && drawn() >= window.__npda.want) {
      window.__npda.drawn = performance.now();
      return;
    }
    requestAnimationFrame(check);
  }
  window.__npda.want = %d;
  requestAnimationFrame(check);
  window.addEventListener('load', () => setTimeout(() => {
    window.__npda.loaded = performance.timing.loadEventEnd - performance.timing.navigationStart;
    window.__npda.atLoad = drawn();
  }));
})();
"""
SEARCHES = ("cambridge", "PZ041", "E54000056", "north west", "hospital", "ysbyty gwynedd",
            "qu", "x" * 200, "zzzz")  # fmt: skip


def run() -> None:
    print("the front door (home, search, charts with the page) on the demo of three years")
    search_server_time()
    with gunicorn() as url:
        _warm_up(url)
        home = _visits(url, ["/"] * VISITS, charts=0, key="loaded")
        units = _visits(url, [f"/units/{code}/" for code in _units(VISITS)], charts=3)
        funnels = _visits(url, [f"/benchmarking/{m}/" for m in _funnel_measures(VISITS)], charts=2)
    _line("home page loaded (navigation to load event end)", home, "<= 1000 ms")
    _line("unit page, all 3 charts drawn after navigation start", units, "<= 1500 ms")
    _line("funnel page, both charts drawn after navigation start", funnels, "<= 1500 ms")


def _line(label: str, values: list[float], target: str) -> None:
    print(
        f"  {label:<54} median {statistics.median(values):6.0f} ms, max {max(values):6.0f} "
        f"(n={len(values)}); target {target}"
    )


def search_server_time(rounds: int = 20) -> None:
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.get("/search/?q=warm")
    times = []
    for _ in range(rounds):
        for query in SEARCHES:
            started = time.perf_counter()
            response = client.get("/search/", {"q": query})
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
    ordered = sorted(times)
    print(
        f"  search page, server time ({len(SEARCHES)} queries x {rounds}): median "
        f"{statistics.median(times):.1f} ms, p95 {ordered[int(0.95 * len(ordered)) - 1]:.1f} ms, "
        f"max {max(times):.1f} ms; target <= 100 ms"
    )


def _units(count: int) -> list[str]:
    from aggregation import selectors

    codes = [a.code for a in selectors.areas("pdu", selectors.latest_final_release().id)]
    return codes[:: max(len(codes) // count, 1)][:count]


def _funnel_measures(count: int) -> list[str]:
    from aggregation import selectors

    numbers = [m.number for m in selectors.funnel_measures()]
    return (numbers * count)[:count]


def _warm_up(url: str, rounds: int = 6) -> None:
    """Every worker has served these pages before (templates compiled, caches filled), as on a
    server that has been up a while."""
    for _ in range(rounds):
        for path in ("/", "/units/PZ041/", "/benchmarking/32.1/", "/search/?q=cambridge"):
            urllib.request.urlopen(url + path, timeout=30).read()


def _visits(url: str, paths: list[str], *, charts: int, key: str = "drawn") -> list[float]:
    """Milliseconds from navigation start to `key` on each visit, each in a new profile."""
    found = []
    for path in paths:
        driver = _browser()
        try:
            driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                                   {"source": WATCH % charts})  # fmt: skip
            driver.get(url + path)
            for _ in range(300):
                timing = driver.execute_script("return window.__npda")
                if timing and timing.get(key) and timing.get("atLoad") is not None:
                    break
                time.sleep(0.05)
            assert timing.get("atLoad", 0) >= charts, (path, timing)  # drawn by the load event
            found.append(timing[key])
        finally:
            driver.quit()
    return found


if __name__ == "__main__":
    from bench import common

    common.setup_django(migrate=False)
    run()
