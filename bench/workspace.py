"""Benchmark: a unit's own workspace on the national demo (issue 22).

Targets, p95 server time over 50 requests each, for the largest unit's latest year: its children
list <= 300 ms, a child's record <= 200 ms (the child with the most contacts), the worklist
<= 300 ms, the workspace landing <= 300 ms.

Runs on the demo of `releases.run()`.
"""

import statistics
import time

TARGETS_MS = {"workspace landing": 300, "children list": 300, "child's record": 200,
              "worklist": 300}  # fmt: skip


def run(repeats: int = 50) -> None:
    from django.db.models import Count

    from bench.submission_versions import _signed_in
    from npda.data_model.models import Submission, Visit

    largest = (
        Submission.objects.filter(is_active=True)
        .order_by("-audit_period__start_date", "-patient_count")
        .select_related("paediatric_diabetes_unit", "audit_period").first()
    )  # fmt: skip
    unit, period = largest.paediatric_diabetes_unit, largest.audit_period
    busiest = (
        Visit.objects.filter(submission=largest).values("patient_id")
        .annotate(rows=Count("id")).order_by("-rows").first()
    )  # fmt: skip
    year = period.start_date.year
    print(f"workspace: the largest unit, {unit.pk} ({largest.patient_count:,} children, "
          f"{largest.visit_count:,} rows), {period}; the child's record has "
          f"{busiest['rows']} contacts")  # fmt: skip
    client = _signed_in()
    pages = {
        "workspace landing": f"/units/{unit.pk}/workspace/?year={year}",
        "children list": f"/units/{unit.pk}/children/?year={year}&sort=-hba1c",
        "child's record": f"/units/{unit.pk}/children/{busiest['patient_id']}/?year={year}",
        "worklist": f"/units/{unit.pk}/due/?year={year}",
    }
    for label, url in pages.items():
        _measure(client, label, url, repeats)


def _measure(client, label: str, url: str, repeats: int) -> None:
    assert client.get(url).status_code == 200, url  # the process's first request, untimed
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        response = client.get(url)
        seconds.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    p95 = 1000 * sorted(seconds)[int(0.95 * len(seconds)) - 1]
    target = TARGETS_MS[label]
    verdict = "met" if p95 <= target else "NOT met"
    print(f"  {label:<18} median {1000 * statistics.median(seconds):5.0f} ms, p95 {p95:5.0f} ms "
          f"server time (target <= {target} ms: {verdict})")  # fmt: skip


if __name__ == "__main__":
    from bench import common

    common.setup_django()
    run()
