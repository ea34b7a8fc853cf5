"""Benchmark: report exports of every area of the latest final release (issue 12): the time per
CSV and per XLSX file, built in process as the export_report command and downloads build them.
(The PDF target, every ICB's report <= 1 s each, comes with the PDF report.)"""

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def run() -> None:
    from aggregation import selectors
    from dashboards import exports

    release = selectors.latest_final_release()
    areas = [a for a in selectors.areas(None, release.id) if a.level in exports.EXPORT_LEVELS]
    print(f"report exports of {len(areas)} areas, {release.label} release")
    for fmt in exports.FORMATS:
        seconds, sizes = [], []
        for area in areas:
            started = time.perf_counter()
            content, _ = exports.render(exports.area_export(release.id, area.level, area.code), fmt)
            seconds.append(time.perf_counter() - started)
            sizes.append(len(content))
        print(
            f"  {fmt:<5} per area: median {1000 * statistics.median(seconds):6.1f} ms, "
            f"max {1000 * max(seconds):6.1f} ms; all {sum(seconds):5.1f} s, "
            f"{sum(sizes) / 1e6:5.1f} MB"
        )


if __name__ == "__main__":
    from bench import common

    common.setup_django(migrate=False)
    run()
