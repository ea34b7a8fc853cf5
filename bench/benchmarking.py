"""Benchmark: unit pages, area pages and the funnel plots on the national cohort of three audit
years (the demo), server time in process through Django's test client.

Targets (issue 10): a unit page's server time for all the requests of its first paint (the
page, the Dash layout and dependencies, and the three chart callbacks; static files are served
by WhiteNoise) <= 300 ms; each chart callback p95 <= 50 ms; an area page <= 300 ms.

Runs after `releases.run()`, which leaves the demo in the bench database.
"""

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboards.callback_requests import FUNNEL_OUTPUTS, UNIT_CALLBACKS, location_request

UNIT_APP = "/django_plotly_dash/app/unit_profile"
FUNNEL_APP = "/django_plotly_dash/app/funnel_explorer"
MEASURES = ("44", "25", "32.1", "41", "46", "13")


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(round(q * len(ordered)) - 1, 0)]


def _timed(request) -> float:
    started = time.perf_counter()
    response = request()
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.content[:300]
    return elapsed


def _line(label: str, values: list[float], target: str) -> None:
    print(
        f"  {label:<44} median {statistics.median(values):6.1f} ms, p95 {_p(values, 0.95):6.1f}, "
        f"max {max(values):6.1f} (n={len(values)}); target {target}"
    )


def run() -> None:
    from django.test import Client

    from aggregation import selectors

    print("unit pages, area pages and funnel plots on the demo of three years")
    client = Client(HTTP_HOST="127.0.0.1")
    units = [a.code for a in selectors.areas("pdu")]
    post = lambda url, body: client.post(url, body, content_type="application/json")  # noqa: E731

    def first_paint(code: str, search: str = "") -> tuple[float, dict[str, float]]:
        parts = {
            "page": _timed(lambda: client.get(f"/units/{code}/{search}")),
            "layout": _timed(lambda: client.get(f"{UNIT_APP}/_dash-layout")),
            "dependencies": _timed(lambda: client.get(f"{UNIT_APP}/_dash-dependencies")),
        }
        for name, outputs in UNIT_CALLBACKS.items():
            body = json.dumps(location_request(outputs, f"/units/{code}/", search))
            parts[name] = _timed(lambda body=body: post(f"{UNIT_APP}/_dash-update-component", body))
        return sum(parts.values()), parts

    cold_total, _ = first_paint(units[0])  # a fresh process: templates, caches, connections
    from npda.pages.warmup import warm_caches

    warm_caches()  # as each gunicorn worker does before it serves (gunicorn.conf.py)
    totals, by_part = [], {}
    for code in units:
        total, parts = first_paint(code)
        totals.append(total)
        for name, ms in parts.items():
            by_part.setdefault(name, []).append(ms)
    print(
        f"  unit page first paint, a fresh process's first request: {cold_total:.0f} ms "
        "(a gunicorn worker warms its caches first)"
    )
    _line(f"unit page first paint, each of {len(units)} units", totals, "<= 300 ms")
    for name in ("page", "layout", "dependencies"):
        _line(f"  of which {name}", by_part[name], "")
    # Each chart callback as the measure changes on a page (trend and peers redraw).
    for code in units[::6]:
        for measure in MEASURES:
            for name in ("trend", "peers"):
                body = json.dumps(
                    location_request(UNIT_CALLBACKS[name], f"/units/{code}/", f"?measure={measure}")
                )
                by_part[name].append(_timed(lambda body=body: post(
                    f"{UNIT_APP}/_dash-update-component", body)))  # fmt: skip
    for name in UNIT_CALLBACKS:
        _line(f"unit {name} callback", by_part[name], "p95 <= 50 ms")

    funnel = []
    for measure in [m.number for m in selectors.funnel_measures()]:
        for unit in ("", "?unit=PZ041"):
            body = json.dumps(location_request(FUNNEL_OUTPUTS, f"/benchmarking/{measure}/", unit))
            funnel.append(_timed(lambda body=body: post(f"{FUNNEL_APP}/_dash-update-component",
                                                        body)))  # fmt: skip
    _line("funnel callback, every funnel measure", funnel, "p95 <= 50 ms")

    areas = {}
    for area in selectors.areas(None, selectors.latest_final_release().id):
        if area.level in selectors.AREA_PAGE_LEVELS:
            areas.setdefault(area.level, []).append(area.code)
    every = []
    for level, codes in sorted(areas.items()):
        times = [_timed(lambda u=f"/areas/{level}/{c}/": client.get(u)) for c in codes]
        every += times
        _line(f"area page, {level} ({len(codes)})", times, "<= 300 ms")
    _line("area page, every area", every, "<= 300 ms")


if __name__ == "__main__":
    from bench import common

    common.setup_django(migrate=False)
    run()
