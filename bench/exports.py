"""Benchmark: report exports of the latest final release (issue 12), built in process as the
export_report command and the downloads build them: every area's CSV and XLSX, and every
ICB's PDF report (target <= 1 s each) and map image (PNG)."""

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PDF_TARGET_SECONDS = 1.0


def _time_files(release_id: int, areas: list, fmt: str) -> list[float]:
    from dashboards import area_files, exports

    seconds, sizes = [], []
    for area in areas:
        started = time.perf_counter()
        content, _ = area_files.render(exports.area_export(release_id, area.level, area.code), fmt)
        seconds.append(time.perf_counter() - started)
        sizes.append(len(content))
    print(
        f"  {fmt:<5} {len(areas):>3} {'areas' if len(areas) > 50 else 'ICBs '}: median "
        f"{1000 * statistics.median(seconds):6.1f} ms, max {1000 * max(seconds):6.1f} ms; "
        f"all {sum(seconds):5.1f} s, {sum(sizes) / 1e6:5.1f} MB; slowest "
        f"{areas[seconds.index(max(seconds))].code} (file {seconds.index(max(seconds)) + 1})"
    )
    return seconds


def run() -> None:
    from aggregation import selectors
    from dashboards import area_report, exports, rendering

    release = selectors.latest_final_release()
    areas = [a for a in selectors.areas(None, release.id) if a.level in exports.EXPORT_LEVELS]
    icbs = [a for a in areas if a.level == "icb"]
    print(f"report exports, {release.label} release")
    for fmt in ("csv", "xlsx"):
        _time_files(release.id, areas, fmt)
    started = time.perf_counter()
    rendering.warm()  # Chromium starts once per process, as each gunicorn worker does
    area_report.warm()  # and WeasyPrint loads its fonts
    print(
        f"  Chromium and WeasyPrint started once per process: {time.perf_counter() - started:.1f} s"
    )
    pdf = _time_files(release.id, icbs, "pdf")
    over = sum(s > PDF_TARGET_SECONDS for s in pdf)
    verdict = "met" if over == 0 else f"NOT met: {over} over"
    print(f"  PDF per ICB report <= {PDF_TARGET_SECONDS:.0f} s: {verdict}")
    _time_files(release.id, icbs, "png")


if __name__ == "__main__":
    from bench import common

    common.setup_django(migrate=False)
    run()
