"""A unit's own workspace (issue 22): its children with their flags, filters and search, each
child's record with its state and reason on every measure (against the worked examples of
kpis.md §8), the worklist and its due dates at the window edges, the downloads, the audit trail,
and nothing of it for anyone outside the unit."""

import csv
import datetime as dt
import io

import openpyxl
import pytest

from aggregation.child_states import due_items
from aggregation.jobs import request_unit_recompute
from aggregation.models import RecomputeRequest
from aggregation.services import compute_kpis
from constants.groups import GroupName
from npda.data_model import models as m
from npda.workspace import common, selectors
from tests.factories import synthetic_nhs_number, user_in_group
from tests.kpi_cohort import Cohort, E, hba1c
from tests.workspace_world import TODAY, build_unit_world

pytestmark = pytest.mark.django_db


def measures(cohort, patient, today) -> dict:
    record = selectors.child_record(cohort.unit, cohort.period, patient, today)
    return {item.number: item for item in record.measures}


def said(cohort, patient, today, *numbers) -> dict[str, tuple[str, str]]:
    """Each measure's state and reason in the child's record."""
    found = measures(cohort, patient, today)
    return {n: (found[n].state, found[n].reason) for n in numbers}


def long_date(cohort, text: str) -> str:
    return f"{cohort.day(text):%-d %b %Y}"


# States and reasons against the worked examples of kpis.md §8 ------------------------------


def test_8_1_why_each_child_is_in_or_out(example_8_1):
    cohort, children = example_8_1
    end, after = cohort.day(E), cohort.day(E) + dt.timedelta(days=1)
    not_eligible = {
        ("C3", "25"): "diagnosed in this audit year",
        ("C4", "25"): "left the unit during the year",
        ("C9", "25"): "died during the year",
        ("C5", "23"): "not type 1 diabetes",
        ("C7", "40"): "25 or over at the start of the year",
        ("C8", "40"): "no contact in the year",
        ("C2", "28"): "under 12 at the start of the year",
        ("C6", "28"): "no measurement recorded in the year",
        ("C1", "32.2"): "12 or over at the start of the year",
        ("C1", "41"): "not diagnosed in this audit year",
    }
    for (name, number), reason in not_eligible.items():
        assert said(cohort, children[name], after, number)[number] == (
            "not eligible",
            f"Not eligible: {reason}.",
        ), (name, number)
    c1 = measures(cohort, children["C1"], after)
    assert (c1["1"].state, c1["1"].reason) == ("counted", "Counted.")
    c2 = said(cohort, children["C2"], after, "4", "8")  # 9 at S; alive
    assert c2 == {"4": ("not counted", "Not counted: under 12 at the start of the year."),
                  "8": ("not counted", "Not counted.")}  # fmt: skip
    assert (c1["25"].state, c1["25"].reason) == ("passed", "Recorded: an HbA1c.")
    assert c1["28"].state == "failed"
    assert c1["28"].reason == f"Missed: a blood pressure was due by {long_date(cohort, E)}."
    assert c1["28"].due == end and c1["28"].days_left == -1 and c1["28"].overdue
    on_the_last_day = measures(cohort, children["C1"], end)["28"]  # scored failed, due today
    assert (on_the_last_day.days_left, on_the_last_day.overdue) == (0, False)
    assert on_the_last_day.reason == (
        f"Not recorded yet: a blood pressure. Due by {long_date(cohort, E)}."
    )


def test_8_2_health_checks_done_of_expected(example_8_2):
    cohort, children = example_8_2
    compute_kpis(cohort.period, calculation_date=cohort.day("2024-12-31"))
    today = cohort.day("2024-12-31")
    d1 = measures(cohort, children["D1"], today)
    assert d1["32.1"].state == "incomplete"
    assert d1["32.1"].reason == f"2 of 3 health checks done. Due by {long_date(cohort, E)}."
    assert (d1["32.1"].due, d1["32.1"].days_left) == (cohort.day(E), 90)
    assert d1["27"].reason == (
        f"Not recorded yet: a thyroid function test. Due by {long_date(cohort, E)}."
    )
    d4 = measures(cohort, children["D4"], today)
    assert (d4["32.3"].state, d4["32.3"].reason) == ("passed", "6 of 6 health checks done.")


def test_8_3_care_at_diagnosis_during_the_period(example_8_3):
    """C = 2024-07-01: the windows of kpis.md §8.3's second table, with days left counted from
    that day."""
    cohort, children = example_8_3
    today = cohort.day("2024-07-01")
    compute_kpis(cohort.period, calculation_date=today)
    n1 = measures(cohort, children["N1"], today)
    n2 = measures(cohort, children["N2"], today)
    assert (n1["41"].state, n1["41"].reason) == (
        "passed",
        "Recorded: a coeliac screen at diagnosis.",
    )
    assert (n1["42"].state, n1["42"].due) == ("incomplete", cohort.day("2024-08-08"))
    assert n1["42"].days_left == 38
    assert n1["42"].reason == (
        "Not recorded yet: a thyroid screen at diagnosis. Due by "
        f"{long_date(cohort, '2024-08-08')}."
    )
    assert (n2["41"].state, n2["41"].due) == ("incomplete", cohort.day("2024-08-30"))
    assert (n2["43"].state, n2["43"].due, n2["43"].overdue) == (
        "failed",
        cohort.day("2024-06-15"),
        True,
    )
    assert n2["43"].reason == (
        f"Missed: carbohydrate-counting education was due by {long_date(cohort, '2024-06-15')}."
    )
    n5 = said(cohort, children["N5"], today, "41")  # its only visit is after C
    assert n5["41"] == ("not eligible", "Not eligible: no contact in the year yet.")


def test_8_3_care_at_diagnosis_after_the_period(example_8_3):
    cohort, children = example_8_3
    end = cohort.day(E)
    compute_kpis(cohort.period, calculation_date=end)
    assert said(cohort, children["N3"], end, "41")["41"] == (
        "not eligible",
        "Not eligible: diagnosed in the last 90 days of the year, too late to be counted.",
    )
    assert said(cohort, children["N3"], end, "43")["43"][0] == "passed"
    assert said(cohort, children["N4"], end, "43")["43"] == (
        "not eligible",
        "Not eligible: diagnosed in the last 14 days of the year, too late to be counted.",
    )
    assert said(cohort, children["N5"], end, "41")["41"] == (
        "not eligible",
        "Not eligible: not diagnosed in this audit year.",
    )
    assert said(cohort, children["N6"], end, "41")["41"] == (
        "not eligible",
        "Not eligible: not type 1 diabetes.",
    )
    assert said(cohort, children["N1"], end, "42")["42"] == (
        "failed",
        f"Missed: a thyroid screen at diagnosis was due by {long_date(cohort, '2024-08-08')}.",
    )


def test_8_4_contributors_to_mean_and_median_hba1c(example_8_4):
    cohort, children = example_8_4
    end = cohort.day(E)
    h1 = said(cohort, children["H1"], end, "44", "45")
    assert h1["44"] == ("contributor", "Contributes a median HbA1c of 58.5 mmol/mol.")
    assert h1["45"] == h1["44"]
    h2 = said(cohort, children["H2"], end, "44")["44"]
    assert h2 == ("contributor", "Contributes a median HbA1c of 52.0 mmol/mol.")
    for name in ("H4", "H5"):
        assert said(cohort, children[name], end, "44")["44"] == (
            "not a contributor",
            "No HbA1c more than 90 days after diagnosis in the year, so none to contribute.",
        )


def test_48_records_a_need_not_a_care_process_with_a_due_date(example_8_1):
    cohort, children = example_8_1
    c1 = measures(cohort, children["C1"], cohort.day(E))["48"]
    assert (c1.state, c1.reason, c1.due) == (
        "no", "Not recorded: a need for extra psychological support.", None)  # fmt: skip


def test_8_5_admissions_of_each_child(example_8_5):
    cohort, children = example_8_5
    end = cohort.day(E)
    assert said(cohort, children["A1"], end, "46", "47") == {
        "46": ("admitted", "2 admissions in the year."),
        "47": ("admitted", "1 DKA admission in the year."),
    }
    assert said(cohort, children["A5"], end, "46")["46"][1] == "0 admissions in the year."
    assert said(cohort, children["A6"], end, "46")["46"] == (
        "not eligible",
        "Not eligible: 25 or over at the start of the year.",
    )


def test_8_6_the_most_recent_treatment_in_words():
    cohort = Cohort()
    child = cohort.child(
        rows=(
            {"visit_date": "2024-05-01", "treatment": 3, "closed_loop_system": 2},
            {"visit_date": "2025-01-15", "treatment": 2},
            hba1c(55, date="2025-03-01"),
        )
    )
    compute_kpis(cohort.period, calculation_date=E)
    result = said(cohort, child, E, "14", "15")
    assert result["14"][0] == "yes" and result["15"][0] == "no"  # ○ measures: yes or no
    treatment = dict(m.Visit._meta.get_field("treatment").choices)[2]
    assert result["14"][1] == f"Most recent treatment: {treatment} (2)."
    assert result["15"] == ("no", result["14"][1])  # the same most recent treatment


# Due dates at the window edges ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "days_left", "missed"),
    [
        (dt.date(2024, 12, 13), 1, False),  # the day before the window closes
        (dt.date(2024, 12, 14), 0, False),  # its last day: still due today
        (dt.date(2024, 12, 15), -1, True),  # the day after: missed
    ],
)
def test_a_care_process_due_at_the_end_of_its_window(today, days_left, missed):
    """42 for a child diagnosed on 15 Sep 2024 closes dx + 90 = 14 Dec 2024."""
    cohort = Cohort()
    child = cohort.child(diagnosis_date="2024-09-15", rows=(hba1c(80, date="2024-09-16"),))
    compute_kpis(cohort.period, calculation_date=min(today, dt.date(2024, 12, 13)))
    kpi = m.KPI.objects.filter(patient=child).values().get()
    items = {
        i.number: i
        for i in due_items(kpi, child.diagnosis_date, cohort.period.end_date, 2024, today)
    }
    assert items["42"].due == dt.date(2024, 12, 14)
    assert (items["42"].days_left, items["42"].overdue) == (days_left, missed)
    assert "25" not in items  # a new diagnosis is not in P5: nothing due for 25


# The unit's pages ------------------------------------------------------------------------------


@pytest.fixture
def unit_world(monkeypatch):
    monkeypatch.setattr(common, "today", lambda: TODAY)
    return build_unit_world()


@pytest.fixture
def nurse():
    return user_in_group(GroupName.TRUST_AUDIT_TEAM_EDIT_ACCESS, ["PZ041"])


def page(client, url, **data):
    response = client.get(url, {"year": 2024, **data})
    assert response.status_code == 200, (url, response.status_code)
    return response


def listed(response) -> set[str]:
    return {c.identifier for c in response.context["page"]}


def ids(children, *names) -> set[str]:
    return {children[n].nhs_number or children[n].unique_reference_number for n in names}


def test_the_children_list_with_each_flag(client, unit_world, nurse):
    _, children = unit_world
    client.force_login(nurse)
    everyone = page(client, "/units/PZ041/children/")
    assert listed(everyone) == ids(children, *children)
    rows = {c.identifier: c for c in everyone.context["page"]}
    flags = {name: rows[next(iter(ids(children, name)))].flags for name in children}
    assert flags["errors"] == {"errors"}
    assert flags["left"] == {"left", "incomplete_year"}
    assert flags["new"] == {"incomplete_year"}
    assert flags["moved"] == {"transferred"}
    assert flags["shared"] == {"other_unit"}
    assert flags["jersey"] == set()
    bad = rows[children["errors"].nhs_number]
    assert (bad.contacts, bad.hba1c, bad.hba1c_date) == (2, 61.0, dt.date(2024, 10, 1))
    for flag, names in {
        "errors": ["errors"],
        "left": ["left"],
        "transferred": ["moved"],
        "other_unit": ["shared"],
        "incomplete_year": ["new", "left"],
    }.items():
        assert listed(page(client, "/units/PZ041/children/", flag=flag)) == ids(children, *names)
    html = everyone.content.decode()
    assert "Also in another unit&#x27;s data" in html and "Errors in the data" in html


def test_filters_by_due_measure_and_type_and_sorts(client, unit_world, nurse):
    _, children = unit_world
    client.force_login(nurse)
    url = "/units/PZ041/children/"
    # The new diagnosis: 43 missed (dx + 14 = 29 Sep), 42 due by 14 Dec (13 days left).
    assert listed(page(client, url, due="overdue")) == ids(children, "new")
    assert listed(page(client, url, due="soon")) == ids(children, "new")
    assert listed(page(client, url, measure="43", state="failed")) == ids(children, "new")
    assert listed(page(client, url, measure="42", state="incomplete")) == ids(children, "new")
    assert listed(page(client, url, type="2")) == set()
    by_hba1c = [c.identifier for c in page(client, url, sort="-hba1c").context["page"]]
    assert by_hba1c[0] == children["new"].nhs_number  # 80 mmol/mol, the highest
    ascending = [c.identifier for c in page(client, url, sort="hba1c").context["page"]]
    assert ascending[0] == children["moved"].nhs_number  # 57
    # A filter value that is not offered is ignored: every child, never an error.
    for junk in (
        {"flag": "nope"},
        {"type": "x"},
        {"measure": "999", "state": "zzz"},
        {"sort": "password"},
        {"page": "-4"},
        {"due": "\x00"},
    ):
        response = client.get(url, {"year": 2024, **junk})
        assert response.status_code in (200, 400), junk
        if response.status_code == 200:
            assert len(response.context["page"].paginator.object_list) == len(children)


def test_search_by_nhs_number_is_a_post_and_never_reaches_a_url(client, unit_world, nurse):
    _, children = unit_world
    client.force_login(nurse)
    number = children["moved"].nhs_number
    spaced = f"{number[:3]} {number[3:6]} {number[6:]}"
    response = client.post("/units/PZ041/children/", {"nhs_number": spaced, "year": 2024})
    assert response.status_code == 200 and listed(response) == {number}
    assert "1 child found" in response.content.decode()
    for number in (synthetic_nhs_number(902), synthetic_nhs_number(901)):  # PZ002's; nobody's
        nobody = client.post("/units/PZ041/children/", {"nhs_number": number})
        assert listed(nobody) == set() and "No child of PZ041" in nobody.content.decode()
    form = page(client, "/units/PZ041/children/").content.decode()
    assert 'method="post"' in form and 'name="nhs_number"' in form
    for link in (r.identifier for r in page(client, "/units/PZ041/children/").context["page"]):
        assert f"={link}" not in form and f"/{link}/" not in form  # ids in links, not numbers


def test_a_childs_record(client, unit_world, nurse):
    _, children = unit_world
    client.force_login(nurse)
    bad = children["errors"]
    html = page(client, f"/units/PZ041/children/{bad.pk}/").content.decode()
    assert "The postcode is not a postcode." in html
    assert "HbA1c must be 20 to 195 mmol/mol." in html
    assert "April to June" in html and "October to December" in html
    record = selectors.child_record(
        m.PaediatricDiabetesUnit.objects.get(pk="PZ041"),
        m.AuditPeriod.objects.get(start_date__year=2024),
        bad,
        TODAY,
    )
    postcode = next(v for v in record.demographics if v.errors)
    assert (postcode.text, postcode.errors) == ("ZZ", ["The postcode is not a postcode."])
    sections = [name for name, _, _ in record.sections]
    assert sections and all(expected >= done for _, done, expected in record.sections)
    moved = page(client, f"/units/PZ041/children/{children['moved'].pk}/").context["record"]
    assert [(s.paediatric_diabetes_unit_id, s.is_active) for s in moved.sites] == [
        ("PZ002", False),
        ("PZ041", True),
    ]
    new = {
        m_.number: m_
        for m_ in page(client, f"/units/PZ041/children/{children['new'].pk}/")
        .context["record"]
        .measures
    }
    assert (new["42"].state, new["42"].days_left) == ("incomplete", 13)
    assert new["25"].reason == "Not eligible: diagnosed in this audit year."


def test_each_record_opened_and_list_downloaded_is_audited(client, unit_world, nurse):
    _, children = unit_world
    client.force_login(nurse)
    child = children["left"]
    page(client, f"/units/PZ041/children/{child.pk}/")
    client.get("/units/PZ041/children/download.csv", {"year": 2024})
    client.get("/units/PZ041/due/download.xlsx", {"year": 2024})
    trail = m.VisitActivity.objects.filter(user=nurse).order_by("timestamp")
    kinds = [(a.activity, a.detail) for a in trail]
    assert (m.ActivityType.CHILD_RECORD_VIEWED, f"patient {child.pk} of PZ041 2024-2025") in kinds
    downloads = [d for k, d in kinds if k == m.ActivityType.REPORT_DOWNLOADED]
    assert any(d.startswith("children of PZ041") and "csv" in d for d in downloads)
    assert any(d.startswith("due list of PZ041") and "xlsx" in d for d in downloads)
    assert all(child.nhs_number not in d for _, d in kinds)


def test_downloads_are_formula_safe_and_private(client, unit_world, nurse):
    _, children = unit_world
    client.force_login(nurse)
    response = client.get("/units/PZ041/children/download.csv", {"year": 2024})
    assert response["Cache-Control"] == "no-store"
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "NHS number" and len(rows) == 1 + len(children)
    jersey = next(r for r in rows if "HYPERLINK" in r[0])
    assert jersey[0] == "'=HYPERLINK(1)"
    book = openpyxl.load_workbook(
        io.BytesIO(client.get("/units/PZ041/children/download.xlsx", {"year": 2024}).content)
    )
    cells = [row[0] for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert "=HYPERLINK(1)" in cells  # text, not a formula
    assert book.active.cell(row=2 + cells.index("=HYPERLINK(1)"), column=1).data_type == "s"
    due = client.get("/units/PZ041/due/download.csv", {"year": 2024, "overdue": "1"})
    due_rows = list(csv.reader(io.StringIO(due.content.decode("utf-8-sig"))))
    assert due_rows[0] == ["NHS number", "Measure", "Care process", "Due by", "Days left", "Status"]
    assert due_rows[1] == [
        children["new"].nhs_number,
        "43",
        due_rows[1][2],
        "2024-09-29",
        "",
        "missed",
    ]


def test_the_worklist_soonest_first_with_filters(client, unit_world, nurse):
    _, children = unit_world
    client.force_login(nurse)
    items = page(client, "/units/PZ041/due/").context["page"]
    pairs = [(c.identifier, i.number, i.due) for c, i in items]
    assert pairs[:2] == [
        (children["new"].nhs_number, "43", dt.date(2024, 9, 29)),
        (children["new"].nhs_number, "42", dt.date(2024, 12, 14)),
    ]
    assert [due for _, _, due in pairs] == sorted(due for _, _, due in pairs)
    assert all(due == dt.date(2025, 3, 31) for _, _, due in pairs[2:])
    only_42 = page(client, "/units/PZ041/due/", process="42")
    assert {i.number for _, i in only_42.context["page"]} == {"42"}
    offered = {number for number, _ in only_42.context["processes"]}
    assert {"42", "43"} < offered  # the other processes stay offered once one is chosen
    missed = page(client, "/units/PZ041/due/", overdue="1").context["page"]
    assert [(c.identifier, i.number) for c, i in missed] == [(children["new"].nhs_number, "43")]
    html = page(client, "/units/PZ041/due/").content.decode()
    assert "13</td>" in html and "missed" in html


def test_the_worklist_and_the_children_list_agree_on_what_is_due(unit_world):
    """The worklist reads only the care-process states; the children list reads every fact:
    both give each child the same care processes due, from the same rules."""
    period, _ = unit_world
    unit = m.PaediatricDiabetesUnit.objects.get(pk="PZ041")
    listed_children = selectors.unit_children(unit, period, TODAY)
    worklist = selectors.unit_due(unit, period, TODAY)
    assert [c.pk for c in worklist] == [c.pk for c in listed_children]
    assert [c.due for c in worklist] == [c.due for c in listed_children]
    assert sum(len(c.due) for c in worklist) > len(worklist)  # something to agree on


def test_the_workspace_landing(client, unit_world, nurse):
    period, _ = unit_world
    client.force_login(nurse)
    assert client.get("/workspace/").url == "/units/PZ041/workspace/"
    response = page(client, "/units/PZ041/workspace/")
    context = response.context
    assert (context["children"], context["overdue"], context["due_soon"]) == (6, 1, 1)
    assert context["days_left"] == (period.deadline - TODAY).days
    assert context["version"].is_active
    html = response.content.decode()
    assert "Live results (not published)" in html and "/units/PZ041/due/" in html
    # The live headline results say when they were calculated, and whether an update waits.
    headline = context["headline"]
    assert headline and f"Calculated as at {headline[0].calculation_date:%-d %b %Y}" in html
    RecomputeRequest.objects.all().delete()
    assert 'id="recompute-pending"' not in page(client, "/units/PZ041/workspace/").content.decode()
    request_unit_recompute("PZ041", period.pk, reason="form")
    waiting = page(client, "/units/PZ041/workspace/").content.decode()
    assert 'id="recompute-pending"' in waiting and "Results are being updated" in waiting
    two_units = user_in_group(GroupName.TRUST_AUDIT_TEAM_VIEW_ONLY, ["PZ041", "PZ002"])
    client.force_login(two_units)
    choose = client.get("/workspace/")
    assert choose.status_code == 200 and "/units/PZ002/workspace/" in choose.content.decode()
    team = user_in_group(GroupName.RCPCH_AUDIT_TEAM_VIEW_ONLY)
    client.force_login(team)
    assert client.get("/workspace/").url == "/team/"
    assert "/units/PZ041/workspace/" in client.get("/team/").content.decode()


# Bad input and access ----------------------------------------------------------------------


def test_what_does_not_exist_or_is_not_yours_is_a_404(client, unit_world, nurse):
    _, children = unit_world
    client.force_login(nurse)
    theirs = m.Patient.objects.get(
        nhs_number=children["shared"].nhs_number, sites__paediatric_diabetes_unit_id="PZ002"
    )
    for url in (
        f"/units/PZ041/children/{theirs.pk}/?year=2024",  # PZ002's copy of the shared child
        "/units/PZ041/children/99999999/?year=2024",
        "/units/PZ002/children/?year=2024",
        "/units/PZ002/workspace/?year=2024",
        "/units/PZ002/due/?year=2024",
        "/units/PZ002/children/download.csv?year=2024",
        "/units/PZ999/children/?year=2024",
        "/units/PZ041/children/?year=1999",
        "/units/PZ041/children/?year=abc",
        "/units/PZ041/children/download.pdf?year=2024",
        "/units/PZ041/due/download.exe?year=2024",
        f"/units/PZ041/children/{children['new'].pk}/?year=20%00",
    ):
        response = client.get(url)
        assert response.status_code in (400, 404), (url, response.status_code)
        assert children["new"].nhs_number not in response.content.decode()
    response = client.post("/units/PZ002/children/", {"nhs_number": children["shared"].nhs_number})
    assert response.status_code == 404


def test_view_only_staff_see_the_workspace_and_the_public_see_none_of_it(client, unit_world):
    _, children = unit_world
    viewer = user_in_group(GroupName.TRUST_AUDIT_TEAM_VIEW_ONLY, ["PZ041"])
    client.force_login(viewer)
    assert page(client, "/units/PZ041/children/").status_code == 200
    client.logout()
    child = children["new"]
    for url in (
        "/units/PZ041/workspace/",
        "/units/PZ041/children/",
        f"/units/PZ041/children/{child.pk}/",
        "/units/PZ041/due/",
        "/units/PZ041/due/download.csv",
    ):
        response = client.get(url, {"year": 2024})
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_the_audit_team_reaches_any_units_workspace_from_the_units_index(client):
    team = user_in_group(GroupName.RCPCH_AUDIT_TEAM_VIEW_ONLY)
    client.force_login(team)
    assert 'href="/units/PZ002/workspace/"' in client.get("/units/").content.decode()
    client.logout()
    assert "/workspace/" not in client.get("/units/").content.decode()
    client.force_login(user_in_group(GroupName.TRUST_AUDIT_TEAM_FULL_ACCESS, ["PZ041"]))
    assert 'href="/units/PZ002/workspace/"' not in client.get("/units/").content.decode()
