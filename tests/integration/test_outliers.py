"""The formal outliers of a final release and the outlier process record."""

import datetime as dt

import numpy as np
import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone

from aggregation import selectors
from aggregation import statistics as st
from aggregation.models import DisclosurePolicy, OutlierProcessStep, UnitOutlierClass
from aggregation.releases import publish_release
from aggregation.selectors import audit_period_for_year
from aggregation.services import OutlierStepError, compute_kpis, record_outlier_step
from constants.groups import GroupName
from npda.data_model.models import PaediatricDiabetesUnit
from npda.synthetic.service import generate_cohort
from tests.factories import user_in_group
from tests.integration.conftest import MIXED_TYPES
from tests.kpi_cohort import Cohort, E, hba1c
from tests.outlier_recompute import flagged_from_the_log

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def flagged():
    """Four units of 30 children with HbA1c around 55 mmol/mol and one (PZ001) around 85:
    PZ001 is far beyond the limits on the type 1 mean HbA1c, a formal outlier measure."""
    units = {code: Cohort(code) for code in ("PZ041", "PZ002", "PZ004", "PZ003", "PZ001")}
    period = units["PZ041"].period
    for code, cohort in units.items():
        base = 85 if code == "PZ001" else 55
        for i in range(30):
            cohort.child(rows=(hba1c(base + i % 5),))
    compute_kpis(period, calculation_date=E)
    return publish_release(period, "final", today=TODAY)


def test_the_outliers_are_the_formal_measures_alerts_and_alarms(flagged):
    team = user_in_group(GroupName.RCPCH_AUDIT_TEAM_VIEW_ONLY)
    cases = selectors.outliers(team, flagged.pk).cases
    hba1c_cases = [c for c in cases if c.point.measure == "44"]
    assert [c.point.area_code for c in hba1c_cases] == ["PZ001"]
    point = hba1c_cases[0].point
    assert point.outlier in ("alert", "alarm") and point.outlier_direction == "negative"
    assert point.value > point.funnel_limits_95[1] and point.funnel_n == 30  # the type 1 mean
    assert point.published
    assert all(c.point.measure in ("32.1", "44") for c in cases)


def test_only_the_audit_team_reads_and_its_full_and_edit_groups_record(client, flagged):
    url = f"/releases/{flagged.pk}/outliers/"
    assert client.get(url).status_code == 302  # to log in
    client.force_login(user_in_group(GroupName.TRUST_AUDIT_TEAM_FULL_ACCESS, units=("PZ001",)))
    assert client.get(url).status_code == 403
    viewer = user_in_group(GroupName.RCPCH_AUDIT_TEAM_VIEW_ONLY)
    client.force_login(viewer)
    page = client.get(url)
    assert page.status_code == 200 and "PZ001" in page.content.decode()
    assert "Record step" not in page.content.decode()
    assert page["Cache-Control"].startswith("max-age=0") or "no-cache" in page["Cache-Control"]
    step = {"unit": "PZ001", "measure": "44", "step": "lead_notified",
            "taken_on": TODAY.isoformat(), "notes": "Letter sent"}  # fmt: skip
    assert client.post(url, step).status_code == 403
    client.force_login(user_in_group(GroupName.RCPCH_AUDIT_TEAM_EDIT_ACCESS))
    response = client.post(url, step)
    assert response.status_code == 302
    recorded = OutlierProcessStep.objects.get()
    assert (recorded.unit_id, recorded.measure_id, recorded.step, recorded.notes) == (
        "PZ001", "44", "lead_notified", "Letter sent",
    )  # fmt: skip
    assert "Letter sent" in client.get(url).content.decode()
    # The record stays as written: the database refuses edits and deletions.
    for change in (lambda q: q.update(notes="Changed"), lambda q: q.delete()):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            change(OutlierProcessStep.objects.filter(pk=recorded.pk))
    recorded.refresh_from_db()
    assert recorded.notes == "Letter sent"


def test_bad_steps_are_refused_with_a_reason_and_nothing_is_written(client, flagged):
    editor = user_in_group(GroupName.RCPCH_AUDIT_TEAM_EDIT_ACCESS)
    client.force_login(editor)
    url = f"/releases/{flagged.pk}/outliers/"
    not_flagged = {"unit": "PZ041", "measure": "44", "step": "lead_notified",
                   "taken_on": TODAY.isoformat()}  # fmt: skip
    response = client.post(url, not_flagged)
    assert response.status_code == 400
    assert "PZ041 is not an alert or alarm on 44" in response.content.decode()
    future = {
        **not_flagged,
        "unit": "PZ001",
        "taken_on": (TODAY + dt.timedelta(days=2)).isoformat(),
    }
    assert "between the release" in client.post(url, future).content.decode()
    assert client.post(url, {**future, "taken_on": "not a date"}).status_code == 400
    with pytest.raises(OutlierStepError):
        record_outlier_step(editor, flagged.pk, "PZ001", "44", "sang a song", TODAY)
    assert not OutlierProcessStep.objects.exists()


def test_provisional_releases_have_no_outliers(flagged):
    provisional = publish_release(flagged.audit_period, "provisional", as_at=dt.date(2024, 9, 30),
                                  today=TODAY)  # fmt: skip
    with pytest.raises(selectors.NotFound):
        selectors.outliers(user_in_group(GroupName.RCPCH_AUDIT_TEAM_FULL_ACCESS), provisional.pk)


# Every unit, on its true values (benchmarking-methods.md §6) -------------------------------------


def expected_hba1c_classes() -> dict[str, tuple[str, str]]:
    """The type 1 mean HbA1c classes of the mixed-types world worked out by hand (§4.2 with
    plain limits: its outlier policy allows no overdispersion): above is worse (lower is
    better)."""
    every = [v for medians, _ in MIXED_TYPES.values() for v in medians]
    theta, sigma = np.mean(every), np.std(every, ddof=1)
    classes = {}
    for code, (medians, _) in MIXED_TYPES.items():
        z = (np.mean(medians) - theta) / (sigma / np.sqrt(len(medians)))
        klass = "alarm" if abs(z) > st.Z998 else "alert" if abs(z) > st.Z95 else "within"
        classes[code] = (klass, "" if klass == "within" else "negative" if z > 0 else "positive")
    return classes


def hba1c_cases(release) -> dict[str, selectors.ClassedUnit]:
    team = user_in_group(GroupName.RCPCH_AUDIT_TEAM_VIEW_ONLY)
    return {c.point.area_code: c.point for c in selectors.outliers(team, release.pk).cases
            if c.point.measure == "44"}  # fmt: skip


@pytest.mark.parametrize("version", [2, 1])
def test_a_unit_whose_public_value_is_withheld_is_still_classed_and_listed(mixed_types, version):
    """PZ005 has 6 children (its value is * under either policy), PZ001 and three others have
    their type 1 count hidden (their value is * under SDC-1): all are classed on their true
    values, and every alert and alarm is listed, PZ005 and PZ001 far above the limits."""
    period, _ = mixed_types
    policy = DisclosurePolicy.objects.get(policy_id="SDC", version=version)
    release = publish_release(period, "final", today=TODAY, policy=policy)
    expected = expected_hba1c_classes()
    assert expected["PZ005"] == expected["PZ001"] == ("alarm", "negative")
    classes = UnitOutlierClass.objects.filter(release=release, measure_id="44")
    stored = {c.unit_code: (c.outlier, c.outlier_direction) for c in classes}
    assert stored == expected  # every unit that submitted, whatever the public sees
    cases = hba1c_cases(release)
    assert {code: (c.outlier, c.outlier_direction) for code, c in cases.items()} == {
        code: klass for code, klass in expected.items() if klass[0] != "within"
    }
    published = {code for code, c in cases.items() if c.published}
    withheld_publicly = {"PZ005"} if version == 2 else {"PZ005", "PZ001", "PZ002", "PZ004",
                                                        "PZ041"}  # fmt: skip
    assert set(cases) - published == withheld_publicly
    five = cases["PZ005"]
    assert (five.funnel_n, five.value) == (6, 97.5) and five.value > five.funnel_limits_998[1]
    assert five.public_note == "suppressed – small number"


def test_the_outliers_page_lists_withheld_units_and_the_units_that_took_no_part(
    client, mixed_types
):
    period, _ = mixed_types
    PaediatricDiabetesUnit.objects.filter(pz_code="PZ181").update(is_active=False)  # closed
    release = publish_release(period, "final", today=TODAY)
    client.force_login(user_in_group(GroupName.RCPCH_AUDIT_TEAM_EDIT_ACCESS))
    page = client.get(f"/releases/{release.pk}/outliers/").content.decode()
    summary = page[page.index('aria-label="Summary"') : page.index("</table>")]
    assert '<tr data-code="PZ005">' in summary and "Withheld (*)" in summary
    assert "Not on the public funnel: its published value is withheld" in page
    assert "97.5 mmol/mol" in page  # the true value, for the audit team
    assert "6 units on 32.1" in page and "6 units on 44" in page
    # The other open units have no active submission for the year: non-participating (a
    # closed unit is not expected to submit).
    absent = PaediatricDiabetesUnit.objects.filter(is_active=True).exclude(pz_code__in=MIXED_TYPES)
    absent = absent.count()
    assert f"{absent} units had no data for 2024-2025" in page
    assert '<li data-code="PZ248">' in page and '<li data-code="PZ041">' not in page
    assert '<li data-code="PZ181">' not in page
    report = selectors.outliers(user_in_group(GroupName.RCPCH_AUDIT_TEAM_VIEW_ONLY), release.pk)
    assert len(report.non_participating) == absent and report.every_unit
    assert all(u.outlier_direction == "negative" for u in report.non_participating)
    # The process can be recorded for a unit whose public value is withheld.
    step = {"unit": "PZ005", "measure": "44", "step": "lead_notified",
            "taken_on": TODAY.isoformat()}  # fmt: skip
    assert client.post(f"/releases/{release.pk}/outliers/", step).status_code == 302
    assert OutlierProcessStep.objects.get().unit_id == "PZ005"


def test_a_release_made_before_classes_were_stored_says_its_list_is_partial(mixed_types, client):
    period, _ = mixed_types
    release = publish_release(period, "final", today=TODAY)
    UnitOutlierClass.objects.filter(release=release).delete()  # as releases made before
    team = user_in_group(GroupName.RCPCH_AUDIT_TEAM_VIEW_ONLY)
    report = selectors.outliers(team, release.pk)
    assert not report.every_unit and "PZ005" not in {c.point.area_code for c in report.cases}
    assert "PZ001" in {c.point.area_code for c in report.cases}  # published under SDC-2
    client.force_login(team)
    page = client.get(f"/releases/{release.pk}/outliers/").content.decode()
    assert "only units with a published value are listed" in page


def test_the_outliers_are_those_the_suppression_logs_true_values_give():
    """A small national cohort (every unit, about 17 children each: many units' values are
    withheld): the units the outliers page lists are exactly those beyond a limit, published
    or not, the withheld ones classed again from the suppression log's true values."""
    generate_cohort(audit_year=2024, patients=3000, seed=3, today=dt.date(2025, 6, 1))
    period = audit_period_for_year(2024)
    compute_kpis(period)
    release = publish_release(period, "final", today=dt.date(2025, 6, 2))
    expected = flagged_from_the_log(release.pk)
    report = selectors.outliers(user_in_group(GroupName.RCPCH_AUDIT_TEAM_VIEW_ONLY), release.pk)
    listed = {(c.point.area_code, c.point.measure): (c.point.outlier, c.point.outlier_direction)
              for c in report.cases}  # fmt: skip
    assert listed == expected
    withheld = {key for key, case in zip(listed, report.cases, strict=True)
                if not case.point.published}  # fmt: skip
    assert withheld, "some listed units have a withheld public value"
    assert selectors.funnel(release.pk, "44").not_shown  # and the public funnel names them


def test_the_audit_teams_page_leads_to_the_tracker_the_releases_and_their_outliers(client, flagged):
    from django.urls import reverse

    client.force_login(user_in_group(GroupName.RCPCH_AUDIT_TEAM_VIEW_ONLY))
    html = client.get("/team/").content.decode()
    assert f'href="{reverse("tracker")}"' in html
    assert f'href="{reverse("outliers", args=[flagged.pk])}"' in html
    assert f'href="{reverse("suppression-log", args=[flagged.pk])}"' in html
    assert f"(release {flagged.pk})" in html and "SDC-2" in html
    client.force_login(user_in_group(GroupName.TRUST_AUDIT_TEAM_FULL_ACCESS, ["PZ041"]))
    assert client.get("/team/").status_code == 403
