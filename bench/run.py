"""`make bench`: run every benchmark on the `npda_bench` database and print the figures."""

import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common


def main() -> None:
    common.setup_django()
    from bench import (
        benchmarking,
        cohort,
        dataset_2026,
        exports,
        front_door,
        kpis,
        maps,
        published_files,
        record_forms,
        reference_data,
        releases,
        submission_versions,
        submissions,
        workspace,
    )

    if len(sys.argv) > 1:  # `bench/run.py published_files ...`: these only, on the demo
        releases.ensure_demo()
        for name in sys.argv[1:]:
            locals()[name].run()
        return

    print(
        f"NPDA benchmarks on {platform.node()}: {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, database {common.BENCH_DATABASE}"
    )
    reference_data.run()
    submissions.run()
    cohort.run()  # leaves the national cohort, which kpis.run() starts from
    kpis.run()  # leaves the 5x cohort
    dataset_2026.run()  # 2025-26 and 2026-27 beside it
    releases.run()  # builds the demo of three years again
    maps.run()  # on that demo
    benchmarking.run()  # on the same demo
    front_door.run()  # on the same demo
    exports.run()  # on the same demo
    published_files.run()  # on the same demo
    submission_versions.run()  # on the same demo (it replaces one unit's latest year)
    workspace.run()  # on the same demo
    record_forms.run()  # on the same demo (it changes one contact and changes it back)


if __name__ == "__main__":
    main()
