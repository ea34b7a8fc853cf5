"""Benchmark: the map explorer on the national cohort of three audit years (the demo).

Targets (issue 9): server time of each map callback p95 <= 50 ms; the map page in headless
Chromium from navigation to 42 polygons drawn <= 1.5 s; repaint after a measure change
<= 300 ms; ICB geometry bytes (gzip) printed; 50 concurrent simulated users on loopback
(locust, headless, bounded) against gunicorn p95 <= 300 ms with 0 errors.

Runs after `releases.run()`, which leaves the demo in the bench database.
"""

import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.common import ROOT
from dashboards.map_outputs import update_request

PORT = 8765
SEARCHES = [
    f"?level={level}&measure={measure}&colour={colour}"
    for level in ("icb", "region", "lhb", "country", "pdu")
    for measure in ("25", "32.1", "41", "44", "46", "13")
    for colour in ("comparison", "value")
] + [
    "?level=icb&area=E40000007&measure=41",  # a region's ICBs
    "?level=pdu&area=E54000008&measure=25",  # an ICB's units
    "?level=pdu&area=W11000028&measure=44",  # a health board's units
    "?level=region&area=E92000001&measure=25&sort=-value",
]


def run(page_loads: int = 8, repaints: int = 12, users: int = 50, seconds: int = 60) -> None:
    print("map explorer on the demo of three years")
    geometry_sizes()
    callback_server_time()
    with gunicorn() as url:
        browser_timings(url, page_loads, repaints)
        load_test(url, users, seconds)


def geometry_sizes() -> None:
    from npda.data_model.models import BoundaryLayer

    for level, count, raw, packed in BoundaryLayer.objects.order_by("level").values_list(
        "level", "feature_count", "size_bytes", "geojson_gzip"
    ):
        print(
            f"  geometry {level:<8} {count:>3} areas: {raw / 1024:6.1f} KB, "
            f"{len(bytes(packed)) / 1024:5.1f} KB gzip"
            + ("; target ICB <= 60 KB" * (level == "icb"))
        )


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(int(q * len(ordered)) - 1, 0)]


def callback_server_time(rounds: int = 5) -> None:
    """The one callback through django-plotly-dash's endpoint, in process (server time)."""
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    url = "/django_plotly_dash/app/map_explorer/_dash-update-component"
    first, later = [], []
    for round_ in range(rounds):
        for search in SEARCHES:
            body = json.dumps(update_request(search))
            started = time.perf_counter()
            response = client.post(url, body, content_type="application/json")
            (first if round_ == 0 else later).append(time.perf_counter() - started)
            assert response.status_code == 200, response.content[:300]
    for label, seconds in (("first request of each view", first), ("later requests", later)):
        print(
            f"  callback server time, {label} (n={len(seconds)}): p50 "
            f"{statistics.median(seconds) * 1000:.1f} ms, p95 {_p(seconds, 0.95) * 1000:.1f} ms, "
            f"max {max(seconds) * 1000:.1f} ms; target p95 <= 50 ms"
        )


class gunicorn:
    """The production server on the bench database, for the browser and the load test; its
    log goes to `log_path` when given."""

    def __init__(self, log_path: str | None = None):
        self.log_path = log_path

    def __enter__(self) -> str:
        from django.conf import settings

        from npda.synthetic.management.commands.load_demo import database_url

        env = {
            **os.environ,
            "NPDA_ENV": "production",
            "SECRET_KEY": "bench-only-" + "x" * 40,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": database_url(settings.DATABASES["default"]),  # the bench database
            "NPDA_BIND": f"127.0.0.1:{PORT}",
            "NPDA_SSL_REDIRECT": "0",  # plain HTTP on the loopback: no TLS to redirect to
        }
        self.log = open(self.log_path, "w") if self.log_path else subprocess.PIPE
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "--config", "gunicorn.conf.py"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=self.log,
        )  # fmt: skip
        url = f"http://127.0.0.1:{PORT}"
        for _ in range(150):
            try:
                urllib.request.urlopen(url + "/maps/", timeout=2).read()
                break
            except OSError:
                time.sleep(0.2)
        else:
            self.process.kill()
            log = Path(self.log_path).read_text() if self.log_path else (
                self.process.stderr.read().decode())  # fmt: skip
            raise RuntimeError("gunicorn did not start: " + log)
        workers = os.environ.get("WEB_CONCURRENCY") or str(os.cpu_count() * 2 + 1)
        threads = os.environ.get("NPDA_THREADS") or "4"
        print(f"  gunicorn on {url}: {workers} workers x {threads} threads, NPDA_ENV=production")
        return url

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(20)
        if self.log_path:
            self.log.close()


# In the page: milliseconds from navigation start until 42 areas carry their colours.
DRAWN_SCRIPT = """
const done = arguments[arguments.length - 1];
function check() {
  const areas = document.querySelectorAll('path.npda-area');
  const filled = Array.from(areas).filter(p => p.getAttribute('fill') !== '#f3f2f1');
  if (areas.length === 42 && filled.length === 42) done(performance.now());
  else requestAnimationFrame(check);
}
check();
"""
# Milliseconds from a measure change until the areas are repainted.
REPAINT_SCRIPT = """
const done = arguments[arguments.length - 1];
const fills = () => Array.from(document.querySelectorAll('path.npda-area'))
  .map(p => p.getAttribute('fill')).join();
const before = fills();
const select = document.getElementById('measure');
select.value = arguments[0];
const started = performance.now();
select.dispatchEvent(new Event('change', {bubbles: true}));
function check() {
  if (fills() !== before && document.querySelectorAll('path.npda-area').length === 42) {
    done(performance.now() - started);
  } else requestAnimationFrame(check);
}
check();
"""


def _browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ("--headless", "--no-sandbox", "--disable-gpu",
                     "--disable-background-networking", "--window-size=1280,1400",
                     f"--user-data-dir={tempfile.mkdtemp(prefix='npda-bench-')}"):  # fmt: skip
        options.add_argument(argument)
    service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver")
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_script_timeout(30)
    return driver


def _warm_up(url: str, requests: int = 40) -> None:
    """A running server has served pages before: let every worker compile its templates and
    fill its caches, so a first visit is timed as a visitor meets it, not a fresh process."""
    for path in ("/maps/", "/django_plotly_dash/app/map_explorer/_dash-layout",
                 "/django_plotly_dash/app/map_explorer/_dash-dependencies"):  # fmt: skip
        for _ in range(requests // 4):
            urllib.request.urlopen(url + path, timeout=10).read()
    body = json.dumps(update_request("?")).encode()
    for _ in range(requests // 4):
        request = urllib.request.Request(
            url + "/django_plotly_dash/app/map_explorer/_dash-update-component", body,
            {"Content-Type": "application/json"},
        )  # fmt: skip
        urllib.request.urlopen(request, timeout=10).read()


def browser_timings(url: str, page_loads: int, repaints: int) -> None:
    _warm_up(url)
    cold, warm, repaint = [], [], []
    for _ in range(page_loads):
        driver = _browser()  # a new profile: nothing cached
        try:
            driver.get(url + "/maps/")
            cold.append(driver.execute_async_script(DRAWN_SCRIPT))
            driver.get(url + "/maps/?measure=25")  # the same visitor again: bundles cached
            warm.append(driver.execute_async_script(DRAWN_SCRIPT))
        finally:
            driver.quit()
    driver = _browser()
    try:
        driver.get(url + "/maps/")
        driver.execute_async_script(DRAWN_SCRIPT)
        measures = ["41", "25", "44", "32.1", "46", "13", "31", "24"]
        for i in range(repaints):
            repaint.append(driver.execute_async_script(REPAINT_SCRIPT, measures[i % 8]))
    finally:
        driver.quit()
    for label, values, target in (
        ("navigation to 42 polygons drawn, first visit", cold, "<= 1.5 s"),
        ("the same, a later visit (bundles cached)", warm, "<= 1.5 s"),
        ("repaint after a measure change", repaint, "<= 300 ms"),
    ):
        print(
            f"  {label} (n={len(values)}): median {statistics.median(values):.0f} ms, "
            f"max {max(values):.0f} ms; target {target}"
        )


def load_test(url: str, users: int, seconds: int) -> None:
    prefix = Path(tempfile.mkdtemp(prefix="npda-locust-")) / "run"
    command = [
        str(Path(sys.executable).parent / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"),
        "--headless", "-u", str(users), "-r", "10", "-t", f"{seconds}s", "--host", url,
        "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING",
    ]  # fmt: skip
    subprocess.run(command, cwd=ROOT, check=False, capture_output=True)
    with open(f"{prefix}_stats.csv", newline="") as stats:
        rows = list(csv.DictReader(stats))
    for row in rows:
        name = "all requests" if row["Name"] == "Aggregated" else row["Name"]
        print(
            f"  {users} users, {name:<28} {int(row['Request Count']):>6} requests, "
            f"{int(row['Failure Count'])} errors, p50 {row['50%']} ms, p95 {row['95%']} ms, "
            f"{float(row['Requests/s']):.0f}/s"
        )
    print("  target: p95 <= 300 ms with 0 errors")
