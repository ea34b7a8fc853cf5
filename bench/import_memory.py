"""Run by bench/submissions.py in a fresh process: import one CSV as `manage.py import_submission`
would, and print the command's JSON result with the process's peak resident memory before and
after the import (VmHWM: unlike ru_maxrss, it is not inherited through fork from the parent).

Usage: python -m bench.import_memory FILE PZ_CODE AUDIT_YEAR
"""

import io
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common


def peak_resident_kb() -> int:
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status)[1])


def main(path: str, pz_code: str, audit_year: str) -> None:
    common.setup_django(migrate=False)
    from django.core.management import call_command

    before = peak_resident_kb()
    out = io.StringIO()
    call_command(
        "import_submission", path, pdu=pz_code, audit_year=int(audit_year), as_json=True, stdout=out
    )
    result = json.loads(out.getvalue())
    print(json.dumps({**result, "before_kb": before, "peak_kb": peak_resident_kb()}))


if __name__ == "__main__":
    main(*sys.argv[1:])
