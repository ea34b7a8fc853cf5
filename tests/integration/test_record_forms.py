"""Web forms of a child's record (issue 23): one set of rules with the CSV (each rule through a
form and through a file gives the same code and message), dependent questions refused on the
server whatever is sent, every save recorded with who, when, before and after, and undone;
optimistic locking; a signed-off or closed year read-only; the recompute queued; access by
role; and bad input answered with a form error or a 4xx, writing nothing."""

import datetime as dt
import html

import pytest
from django.urls import reverse

from aggregation.models import RecomputeRequest
from constants.csv_template import TEMPLATE_2021, TEMPLATE_2026
from constants.groups import GroupName
from npda.data_model import models as m
from npda.submissions import edits, messages
from npda.submissions.services import read_and_check
from npda.workspace import common, history
from npda.workspace.forms import ChildForm, ContactForm
from tests.csv_files import VALID_CHILD, make_csv, row, row_2026
from tests.factories import AuditPeriodFactory, synthetic_nhs_number, user_in_group
from tests.kpi_cohort import Cohort

pytestmark = pytest.mark.django_db
TODAY_2024, TODAY_2026 = dt.date(2024, 12, 1), dt.date(2026, 12, 1)
E06_MESSAGE = messages.ROW["E06"]


@pytest.fixture
def nurse():
    return user_in_group(GroupName.TRUST_AUDIT_TEAM_EDIT_ACCESS, ["PZ041"])


@pytest.fixture
def year(monkeypatch):
    """PZ041's open 2024-25 with one child (VALID_CHILD's dates) and one contact, as at TODAY."""
    monkeypatch.setattr(common, "today", lambda: TODAY_2024)
    period = AuditPeriodFactory(year=2024, is_open=True)
    cohort = Cohort(period=period)
    child = cohort.child(
        nhs_number=VALID_CHILD["nhs_number"],
        date_of_birth="2012-06-15",
        diagnosis_date="2019-03-03",
        sex=1,
        rows=(
            {
                "visit_date": "2024-06-10",
                "hba1c": 58,
                "hba1c_format": 1,
                "hba1c_date": "2024-06-10",
            },
        ),
    )
    return cohort, child


def csv_problems(cells: dict, period, template, today) -> dict[str, list[tuple[str, str]]]:
    """(code, message) of each field, for a file of one row: the child's and the row's."""
    unit = m.PaediatricDiabetesUnit.objects.get(pz_code="PZ041")
    steps = read_and_check(
        make_csv([cells], template=template),
        "one.csv",
        unit,
        period,
        user=None,
        allow_closed_period=True,
        today=today,
    )
    try:
        while True:
            next(steps)
    except StopIteration as stop:
        records = stop.value
    found: dict[str, list[tuple[str, str]]] = {}
    for errors in (records.patients[0].errors, records.visits[0].errors):
        for name, problems in errors.items():
            found.setdefault(name, []).extend((p["code"], p["message"]) for p in problems)
    return found


def form_problems(form) -> dict[str, list[tuple[str, str]]]:
    assert not form.is_valid()
    return {
        name: [(e.code, e.message) for e in errors]
        for name, errors in form.errors.as_data().items()
    }


# One set of rules: each rule through a form and a file ---------------------------------------

VISIT_RULES_2021 = [
    ("E01", "visit_date", {"visit_date": "31/02/2024"}),
    ("E02", "hba1c_date", {"hba1c_date": "10/06/2030"}),
    ("E11", "hba1c_date", {"hba1c_date": "10/06/2011"}),
    ("E12", "hba1c", {"hba1c": "300"}),
    (
        "E13",
        "systolic_blood_pressure",
        {
            "systolic_blood_pressure": "300",
            "diastolic_blood_pressure": "70",
            "blood_pressure_observation_date": "10/06/2024",
        },
    ),
    (
        "E14",
        "height",
        {"height": "30", "weight": "40", "height_weight_observation_date": "10/06/2024"},
    ),
    ("E15", "hba1c_date", {"hba1c_date": ""}),
    ("E15", "closed_loop_system", {"treatment": "3"}),
    ("E16", "closed_loop_system", {"treatment": "1", "closed_loop_system": "2"}),
    (
        "E17",
        "smoking_cessation_referral_date",
        {"smoking_status": "1", "smoking_cessation_referral_date": "10/06/2024"},
    ),
    (
        "E18",
        "dietician_additional_appointment_date",
        {
            "dietician_additional_appointment_offered": "2",
            "dietician_additional_appointment_date": "10/06/2024",
        },
    ),
    (
        "E19",
        "hospital_discharge_date",
        {
            "hospital_admission_date": "10/06/2024",
            "hospital_discharge_date": "01/06/2024",
            "hospital_admission_reason": "1",
        },
    ),
    ("E20", "treatment", {"treatment": "42"}),
    ("E10", "visit_date", {"visit_date": ""}),
    (
        "E13",
        "diastolic_blood_pressure",
        {
            "systolic_blood_pressure": "110",
            "diastolic_blood_pressure": "10",
            "blood_pressure_observation_date": "10/06/2024",
        },
    ),
    ("E13", "albumin_creatinine_ratio", {"albumin_creatinine_ratio": "1500"}),
    (
        "E13",
        "total_cholesterol",
        {"total_cholesterol": "20", "total_cholesterol_date": "10/06/2024"},
    ),
    ("E15", "blood_pressure_observation_date", {"systolic_blood_pressure": "110"}),
    ("E15", "retinal_screening_observation_date", {"retinal_screening_result": "1"}),
    ("E15", "total_cholesterol_date", {"total_cholesterol": "4"}),
    ("E15", "height_weight_observation_date", {"height": "140"}),
    ("E15", "hospital_admission_reason", {"hospital_admission_date": "10/06/2024"}),
    ("E11", "coeliac_screen_date", {"coeliac_screen_date": "01/09/2018"}),
    (
        "E21",
        "weight",
        {"weight": "heavy", "height": "140", "height_weight_observation_date": "10/06/2024"},
    ),
    (
        "E22",
        "dka_additional_therapies",
        {
            "hospital_admission_date": "10/06/2024",
            "hospital_admission_reason": "1",
            "dka_additional_therapies": "4",
        },
    ),
    (
        "E22",
        "hospital_admission_other",
        {
            "hospital_admission_date": "10/06/2024",
            "hospital_admission_reason": "1",
            "hospital_admission_other": "Fell",
        },
    ),
]
VISIT_RULES_2026 = [
    ("E12", "hba1c", {"hba1c": "7.5"}),
    (
        "E17",
        "smoking_cessation_referral_date",
        {"smoking_vaping_status": "1", "smoking_cessation_referral_date": "10/06/2026"},
    ),
    (
        "E15",
        "dka_additional_therapies",
        {"hospital_admission_date": "10/06/2026", "hospital_admission_reason_2026": "1"},
    ),
    (
        "E22",
        "dka_additional_therapies",
        {
            "hospital_admission_date": "10/06/2026",
            "hospital_admission_reason_2026": "2",
            "dka_additional_therapies": "4",
        },
    ),
    ("E22", "blood_gas_ph", {"blood_gas_ph": "7.1"}),
    (
        "E21",
        "blood_gas_bicarbonate",
        {
            "hospital_admission_date": "10/06/2026",
            "hospital_admission_reason_2026": "2",
            "blood_gas_bicarbonate": "low",
        },
    ),
]


@pytest.mark.parametrize(
    ("dataset", "code", "name", "cells"),
    [(2021, *case) for case in VISIT_RULES_2021] + [(2026, *case) for case in VISIT_RULES_2026],
    ids=lambda v: v if isinstance(v, str) and v[:1] == "E" else None,
)
def test_a_contact_rule_gives_the_same_code_and_message_in_a_form_and_a_file(
    dataset, code, name, cells
):
    template, today = (
        (TEMPLATE_2021, TODAY_2024) if dataset == 2021 else (TEMPLATE_2026, TODAY_2026)
    )
    period = AuditPeriodFactory(year=2024 if dataset == 2021 else 2026, is_open=True)
    full = (row if dataset == 2021 else row_2026)(**cells)
    in_file = csv_problems(full, period, template, today)
    patient = Cohort(period=period).child(date_of_birth="2012-06-15", diagnosis_date="2019-03-03")
    visit_cells = {k: v for k, v in full.items() if k in edits.visit_fields(template)}
    in_form = form_problems(ContactForm(visit_cells, period=period, patient=patient, today=today))
    assert code in {c.split("_")[0] for c, _ in in_file.get(name, [])}, in_file
    assert in_form.get(name) == in_file[name]
    assert {k: v for k, v in in_form.items() if k != "__all__"} == in_file


CHILD_RULES = [
    ("E01", "date_of_birth", {"date_of_birth": "40/01/2012"}),
    ("E02", "death_date", {"death_date": "01/01/2030"}),
    ("E03", "date_of_birth", {"date_of_birth": "01/01/1990"}),
    ("E04", "diagnosis_date", {"diagnosis_date": "01/01/2010"}),
    ("E05", "death_date", {"death_date": "01/01/2012"}),
    ("E06", "gp_practice_ods_code", {"gp_practice_ods_code": ""}),
    ("E07", "gp_practice_ods_code", {"gp_practice_ods_code": "12345"}),
    ("E08", "nhs_number", {"nhs_number": "1234567890"}),
    ("E09", "postcode", {"postcode": "NOT A CODE"}),
    ("E10", "diabetes_type", {"diabetes_type": ""}),
    ("E15", "reason_leaving_service", {"date_leaving_service": "01/11/2024"}),
    ("E20", "sex", {"sex": "7"}),
    ("E20", "ethnicity", {"ethnicity": "Q"}),
    (
        "E20",
        "reason_leaving_service",
        {"date_leaving_service": "01/11/2024", "reason_leaving_service": "9"},
    ),
    ("E02", "date_of_birth", {"date_of_birth": "01/01/2030"}),
    ("E02", "diagnosis_date", {"diagnosis_date": "01/01/2030"}),
    ("E10", "date_of_birth", {"date_of_birth": ""}),
]


@pytest.mark.parametrize(("code", "name", "cells"), CHILD_RULES, ids=[c[0] for c in CHILD_RULES])
def test_a_child_rule_gives_the_same_code_and_message_in_a_form_and_a_file(code, name, cells):
    period = AuditPeriodFactory(year=2024, is_open=True)
    full = row(**cells)
    in_file = {k: v for k, v in csv_problems(full, period, TEMPLATE_2021, TODAY_2024).items()}
    unit = m.PaediatricDiabetesUnit.objects.get(pz_code="PZ041")
    child_cells = {k: v for k, v in full.items() if k in edits.child_fields(TEMPLATE_2021, False)}
    in_form = form_problems(ChildForm(child_cells, unit=unit, period=period, today=TODAY_2024))
    assert code in {c.split("_")[0] for c, _ in in_file[name]}
    assert in_form == in_file


def test_warnings_show_and_do_not_block(year, client, nurse):
    cohort, child = year
    client.force_login(nurse)
    url = reverse("contact-new", args=["PZ041", child.pk]) + "?year=2024"
    response = client.post(
        url, {"visit_date": "10/06/2023", "version": cohort.submission.pk, "year": 2024}
    )
    assert response.status_code == 302
    assert m.Visit.objects.filter(patient=child, visit_date=dt.date(2023, 6, 10)).exists()
    form = ContactForm(
        {"visit_date": "10/06/2023"}, period=cohort.period, patient=child, today=TODAY_2024
    )
    assert form.is_valid() and "outside the 2024-2025 audit year" in form.checked.warnings[0]


# Dependent questions are refused on the server --------------------------------------------------


@pytest.mark.parametrize(
    "cells",
    [
        {"treatment": "1", "closed_loop_system": "2"},
        {"smoking_status": "1", "smoking_cessation_referral_date": "10/06/2024"},
        {
            "hospital_admission_date": "10/06/2024",
            "hospital_admission_reason": "3",
            "dka_additional_therapies": "4",
        },
        {
            "hospital_admission_date": "10/06/2024",
            "hospital_admission_reason": "3",
            "hospital_admission_other": "Fell off a bike",
        },
    ],
)
def test_a_dependent_answer_that_does_not_apply_is_refused_whatever_is_sent(
    year, client, nurse, cells
):
    cohort, child = year
    client.force_login(nurse)
    before = m.Visit.objects.count()
    url = reverse("contact-new", args=["PZ041", child.pk]) + "?year=2024"
    response = client.post(
        url, {"visit_date": "11/06/2024", "version": cohort.submission.pk, **cells}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html and 'class="field-error"' in html
    assert m.Visit.objects.count() == before and not RecomputeRequest.objects.exists()


# Saving: recorded, undone, locked, queued ------------------------------------------------------


def save(client, child, cohort, contact=None, **cells):
    args = ["PZ041", child.pk] + ([contact.pk] if contact else [])
    url = reverse("contact-edit" if contact else "contact-new", args=args) + "?year=2024"
    return client.post(
        url,
        {"version": cohort.submission.pk, "revision": contact.revision if contact else "", **cells},
    )


def test_a_new_contact_is_saved_recorded_and_queues_the_recompute(year, client, nurse):
    cohort, child = year
    client.force_login(nurse)
    response = save(
        client,
        child,
        cohort,
        visit_date="05/09/2024",
        hba1c="61",
        hba1c_format="1",
        hba1c_date="05/09/2024",
        height="150",
        weight="45",
        height_weight_observation_date="05/09/2024",
        systolic_blood_pressure="110",
        diastolic_blood_pressure="70",
        blood_pressure_observation_date="05/09/2024",
    )
    assert response.status_code == 302 and response.url.endswith("#contacts")
    contact = m.Visit.objects.get(patient=child, visit_date=dt.date(2024, 9, 5))
    assert (contact.hba1c, contact.submission_id, contact.changed_by) == (
        61,
        cohort.submission.pk,
        nurse,
    )
    assert contact.bmi == 20 and contact.bmi_centile is not None  # UK-WHO, for a boy of 12
    # The contact's page shows each measurement's centile and SDS as calculated on saving.
    page = client.get(reverse("contact-edit", args=["PZ041", child.pk, contact.pk]) + "?year=2024")
    derived = page.content.decode().split('id="derived"')[1].split("</div>")[0]
    for measurement, centile, sds in (
        ("Height 150", contact.height_centile, contact.height_sds),
        ("Weight 45", contact.weight_centile, contact.weight_sds),
        ("BMI 20", contact.bmi_centile, contact.bmi_sds),
    ):
        assert centile is not None and sds is not None, measurement
        assert f"{measurement}" in derived and f"centile {centile}, SDS {sds}" in derived
    assert contact.source_row == 3 and contact.errors == {}
    assert RecomputeRequest.objects.filter(
        paediatric_diabetes_unit_id="PZ041", reason="form"
    ).exists()
    cohort.submission.refresh_from_db()
    assert cohort.submission.last_edited_at is not None
    event = m.VisitEvent.objects.get(pgh_obj_id=contact.pk, pgh_label="added")
    assert event.pgh_context.metadata == {
        "user": nurse.pk,
        "submission": cohort.submission.pk,
        "source": "form",
    }
    change = history.child_changes(child, 2021)[0]
    assert (change.by, change.source) == (nurse.get_full_name(), "web form")
    assert change.items[0].what == "Contact of 5 Sep 2024" and change.items[0].action == "added"


def test_a_change_records_before_and_after_and_can_be_undone(year, client, nurse):
    cohort, child = year
    client.force_login(nurse)
    contact = m.Visit.objects.get(patient=child)
    response = save(
        client,
        child,
        cohort,
        contact,
        visit_date="10/06/2024",
        hba1c="64",
        hba1c_format="1",
        hba1c_date="10/06/2024",
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.hba1c, contact.revision) == (64, 1)
    before = m.VisitEvent.objects.get(pgh_obj_id=contact.pk, pgh_label="before")
    after = m.VisitEvent.objects.get(pgh_obj_id=contact.pk, pgh_label="after")
    assert (before.hba1c, after.hba1c) == (58, 64)
    change = history.child_changes(child, 2021)[0]
    assert change.items[0].values == [("HbA1c", "58", "64")]  # only what changed
    record = client.get(reverse("unit-child", args=["PZ041", child.pk]) + "?year=2024")
    assert "Undo this change" in record.content.decode()
    undone = client.post(
        reverse("change-undo", args=["PZ041", child.pk]), {"change": change.context, "year": 2024}
    )
    assert undone.status_code == 302
    contact.refresh_from_db()
    assert (contact.hba1c, contact.revision) == (58, 2)
    assert history.child_changes(child, 2021)[0].source == "undo"


def test_a_removed_contact_comes_back_with_undo(year, client, nurse):
    cohort, child = year
    lead = user_in_group(GroupName.TRUST_AUDIT_TEAM_FULL_ACCESS, ["PZ041"])
    client.force_login(lead)
    contact = m.Visit.objects.get(patient=child)
    url = reverse("contact-remove", args=["PZ041", child.pk, contact.pk]) + "?year=2024"
    assert client.get(url).status_code == 200
    removed = client.post(url, {"version": cohort.submission.pk, "revision": contact.revision})
    assert removed.status_code == 302 and not m.Visit.objects.filter(pk=contact.pk).exists()
    change = history.child_changes(child, 2021)[0]
    assert change.items[0].action == "removed"
    client.post(
        reverse("change-undo", args=["PZ041", child.pk]), {"change": change.context, "year": 2024}
    )
    back = m.Visit.objects.get(pk=contact.pk)
    assert (back.hba1c, back.visit_date, back.submission_id) == (
        58,
        dt.date(2024, 6, 10),
        cohort.submission.pk,
    )


def test_the_second_of_two_saves_of_one_contact_is_refused(year, client, nurse):
    cohort, child = year
    client.force_login(nurse)
    contact = m.Visit.objects.get(patient=child)
    opened_at = contact.revision  # both forms opened now
    first = save(
        client,
        child,
        cohort,
        contact,
        visit_date="10/06/2024",
        hba1c="60",
        hba1c_format="1",
        hba1c_date="10/06/2024",
    )
    assert first.status_code == 302
    contact.revision = opened_at  # the second form still carries the revision it was opened at
    second = save(
        client,
        child,
        cohort,
        contact,
        visit_date="10/06/2024",
        hba1c="99",
        hba1c_format="1",
        hba1c_date="10/06/2024",
    )
    assert second.status_code == 409
    html = second.content.decode()
    assert f"This contact was changed by {nurse.get_full_name()} at" in html
    assert "reload to see it" in html
    assert m.Visit.objects.get(pk=contact.pk).hba1c == 60


def test_a_replaced_upload_refuses_a_form_opened_before_it(year, client, nurse):
    cohort, child = year
    client.force_login(nurse)
    stale_version = cohort.submission.pk
    newer = m.Submission.objects.create(
        paediatric_diabetes_unit=cohort.unit, audit_period=cohort.period, status="draft"
    )
    m.Submission.objects.filter(pk=stale_version).update(is_active=False, status="superseded")
    m.Submission.objects.filter(pk=newer.pk).update(is_active=True, status="active")
    newer.patients.add(child)  # the new upload has the child too
    response = client.post(
        reverse("contact-new", args=["PZ041", child.pk]) + "?year=2024",
        {"visit_date": "11/06/2024", "version": stale_version},
    )
    assert response.status_code == 409 and "were replaced by" in response.content.decode()


def test_a_signed_off_or_closed_year_is_read_only(year, client, nurse):
    cohort, child = year
    client.force_login(nurse)
    lead = user_in_group(GroupName.TRUST_AUDIT_TEAM_FULL_ACCESS, ["PZ041"])
    m.SignOff.objects.create(
        paediatric_diabetes_unit=cohort.unit,
        audit_period=cohort.period,
        submission=cohort.submission,
        signed_by=lead,
        declaration="Complete.",
    )
    record = client.get(reverse("unit-child", args=["PZ041", child.pk]) + "?year=2024")
    html = record.content.decode()
    assert "were signed off by" in html and "Add a contact" not in html
    response = client.post(
        reverse("contact-new", args=["PZ041", child.pk]) + "?year=2024",
        {"visit_date": "11/06/2024", "version": cohort.submission.pk},
    )
    assert response.status_code == 409 and "signed off" in response.content.decode()
    m.SignOff.objects.all().delete()
    m.AuditPeriod.objects.filter(pk=cohort.period.pk).update(is_open=False)
    response = client.post(
        reverse("contact-new", args=["PZ041", child.pk]) + "?year=2024",
        {"visit_date": "11/06/2024", "version": cohort.submission.pk},
    )
    assert response.status_code == 409 and "is closed" in response.content.decode()
    assert m.Visit.objects.filter(patient=child).count() == 1


def test_a_child_is_added_to_a_year_without_data_and_changed(client, nurse, monkeypatch):
    monkeypatch.setattr(common, "today", lambda: TODAY_2024)
    AuditPeriodFactory(year=2024, is_open=True)
    client.force_login(nurse)
    number = synthetic_nhs_number(77)
    details = {
        "nhs_number": number,
        "date_of_birth": "01/02/2014",
        "sex": "2",
        "diabetes_type": "1",
        "diagnosis_date": "03/04/2020",
        "gp_practice_ods_code": "A81001",
        "year": 2024,
    }
    response = client.post(reverse("child-new", args=["PZ041"]), details)
    assert response.status_code == 302
    child = m.Patient.objects.get(nhs_number=number)
    version = m.Submission.objects.get(paediatric_diabetes_unit_id="PZ041", is_active=True)
    assert version.file_name == "" and child in version.patients.all()
    assert version.events.get().action == "started"
    again = client.post(reverse("child-new", args=["PZ041"]), {**details, "version": version.pk})
    assert again.status_code == 400 and "already has a child" in again.content.decode()
    changed = client.post(
        reverse("child-edit", args=["PZ041", child.pk]),
        {**details, "postcode": "CB2 0QQ", "version": version.pk, "revision": child.revision},
    )
    assert changed.status_code == 302
    child.refresh_from_db()
    assert (child.postcode, child.revision) == ("CB20QQ", 1)


def test_the_web_form_takes_the_gp_practices_postcode_for_its_code(client, nurse, monkeypatch):
    """csv-submission.md §6.1: the GP practice code is required (E06), or in the web form the
    practice's postcode, itself a postcode (E09). A file has no such column: E06 as before."""
    monkeypatch.setattr(common, "today", lambda: TODAY_2024)
    AuditPeriodFactory(year=2024, is_open=True)
    client.force_login(nurse)
    details = {"nhs_number": synthetic_nhs_number(78), "date_of_birth": "01/02/2014", "sex": "2",
               "diabetes_type": "1", "diagnosis_date": "03/04/2020", "year": 2024}  # fmt: skip
    page = client.get(reverse("child-new", args=["PZ041"]) + "?year=2024").content.decode()
    assert 'name="gp_practice_postcode"' in page and "GP practice postcode" in page
    neither = client.post(reverse("child-new", args=["PZ041"]), details)
    assert neither.status_code == 400
    assert E06_MESSAGE in neither.content.decode()
    bad = client.post(reverse("child-new", args=["PZ041"]),
                      {**details, "gp_practice_postcode": "NOT A CODE"})  # fmt: skip
    assert bad.status_code == 400 and "is not a recognised UK postcode" in bad.content.decode()
    assert not m.Patient.objects.filter(nhs_number=details["nhs_number"]).exists()
    saved = client.post(reverse("child-new", args=["PZ041"]),
                        {**details, "gp_practice_postcode": "cb2 0qq"})  # fmt: skip
    assert saved.status_code == 302
    child = m.Patient.objects.get(nhs_number=details["nhs_number"])
    assert (child.gp_practice_postcode, child.gp_practice_ods_code) == ("CB20QQ", "")
    period = m.AuditPeriod.objects.get(start_date__year=2024)
    from_file = csv_problems({**VALID_CHILD, "gp_practice_ods_code": ""}, period, TEMPLATE_2021,
                             TODAY_2024)  # fmt: skip
    assert ("E06", E06_MESSAGE) in from_file["gp_practice_ods_code"]


def test_an_upload_after_form_changes_keeps_them_in_the_version_it_replaces(year, client, nurse):
    from npda.submissions.records import unpack
    from npda.submissions.services import import_submission

    cohort, child = year
    client.force_login(nurse)
    contact = m.Visit.objects.get(patient=child)
    m.SubmissionRecords.objects.create(submission=cohort.submission, packed=b"")
    save(
        client,
        child,
        cohort,
        contact,
        visit_date="10/06/2024",
        hba1c="66",
        hba1c_format="1",
        hba1c_date="10/06/2024",
    )
    events_before = m.VisitEvent.objects.count()
    import_submission(make_csv([row()]), "new.csv", cohort.unit, cohort.period, today=TODAY_2024)
    assert m.VisitEvent.objects.count() == events_before  # a version is not row history
    _, visits = unpack(bytes(m.SubmissionRecords.objects.get(submission=cohort.submission).packed))
    assert [v.fields["hba1c"] for v in visits] == [66]
    assert cohort.submission.events.filter(action="folded").exists()


# Access and bad input -------------------------------------------------------------------------


def test_view_only_staff_see_the_record_without_the_forms(year, client):
    _, child = year
    viewer = user_in_group(GroupName.TRUST_AUDIT_TEAM_VIEW_ONLY, ["PZ041"])
    client.force_login(viewer)
    html = client.get(reverse("unit-child", args=["PZ041", child.pk]) + "?year=2024")
    assert html.status_code == 200 and "Add a contact" not in html.content.decode()
    contact = m.Visit.objects.get(patient=child)
    for name, args in (
        ("contact-new", [child.pk]),
        ("contact-edit", [child.pk, contact.pk]),
        ("contact-remove", [child.pk, contact.pk]),
        ("child-edit", [child.pk]),
    ):
        url = reverse(name, args=["PZ041", *args]) + "?year=2024"
        assert client.get(url).status_code == 403
        assert client.post(url, {"visit_date": "11/06/2024"}).status_code == 403
    assert m.Visit.objects.filter(patient=child).count() == 1


def test_another_units_child_or_contact_is_a_404(year, client):
    _, child = year
    theirs = user_in_group(GroupName.TRUST_AUDIT_TEAM_FULL_ACCESS, ["PZ002"])
    client.force_login(theirs)
    contact = m.Visit.objects.get(patient=child)
    for url in (
        reverse("contact-new", args=["PZ002", child.pk]),
        reverse("contact-edit", args=["PZ002", child.pk, contact.pk]),
        reverse("contact-new", args=["PZ041", child.pk]),
        reverse("child-edit", args=["PZ002", child.pk]),
    ):
        assert client.get(url + "?year=2024").status_code == 404
        assert client.post(url + "?year=2024", {"visit_date": "11/06/2024"}).status_code == 404
    assert m.Visit.objects.filter(patient=child).count() == 1


@pytest.mark.parametrize(
    "tampered",
    [
        {"treatment": "999"},
        {"hba1c": "1e400", "hba1c_format": "1", "hba1c_date": "10/06/2024"},
        {"visit_date": "01/01/0001"},
        {"visit_date": "x" * 600},
        {"version": "abc"},
        {"revision": "-3"},
        {"hospital_admission_other": "y" * 5000},
        {"visit_date": "10/06/2024", "sex": "1"},
    ],
)
def test_tampered_answers_get_a_form_error_and_write_nothing(year, client, nurse, tampered):
    cohort, child = year
    client.force_login(nurse)
    before = m.Visit.objects.count()
    url = reverse("contact-new", args=["PZ041", child.pk]) + "?year=2024"
    response = client.post(
        url, {"visit_date": "11/06/2024", "version": cohort.submission.pk, **tampered}
    )
    assert response.status_code in (302, 400), response.status_code
    if response.status_code == 302:  # a field the form does not have is ignored
        assert tampered == {"visit_date": "10/06/2024", "sex": "1"}
    else:
        assert m.Visit.objects.count() == before


def test_the_check_of_an_upload_warns_of_the_form_changes_it_would_replace(year, client, nurse):
    from npda.submissions.comparison import summary_lines
    from npda.submissions.versions import check_upload, current_comparison

    cohort, child = year
    client.force_login(nurse)
    contact = m.Visit.objects.get(patient=child)
    draft = check_upload(make_csv([row()]), "before.csv", cohort.unit, cohort.period,
                         user=nurse, today=TODAY_2024).draft  # fmt: skip
    assert current_comparison(draft).form_contacts == 0
    save(client, child, cohort, contact, visit_date="10/06/2024", hba1c="66", hba1c_format="1",
         hba1c_date="10/06/2024")  # fmt: skip
    save(client, child, cohort, visit_date="11/07/2024")
    comparison = current_comparison(draft)  # compared again: the data in use changed since
    assert (comparison.form_contacts, comparison.form_children) == (2, 0)
    assert summary_lines(comparison)[-1] == (
        "  Warning: 2 contacts entered or changed in web forms since the data in use were "
        "uploaded would be replaced by this file.")  # fmt: skip
    page = client.get(reverse("submission-detail", args=[draft.pk])).content.decode()
    assert "Changes made in web forms would be replaced" in page and "2 contacts" in page


def test_the_record_says_results_are_being_updated_until_the_recompute_lands(year, client,
                                                                            nurse):  # fmt: skip
    from aggregation.jobs import process_queued_requests
    from aggregation.services import compute_kpis

    cohort, child = year
    compute_kpis(cohort.period, calculation_date=TODAY_2024)
    assert m.KPI.objects.get(patient=child).kpi_27 == m.KPIState.INCOMPLETE
    client.force_login(nurse)
    save(client, child, cohort, visit_date="12/09/2024", thyroid_function_date="12/09/2024")
    url = reverse("unit-child", args=["PZ041", child.pk]) + "?year=2024"
    assert "results are being updated" in client.get(url).content.decode()
    process_queued_requests()  # the scheduler's next poll
    assert m.KPI.objects.get(patient=child).kpi_27 == m.KPIState.PASSED
    page = client.get(url).content.decode()
    assert "results are being updated" not in page
    assert "Recorded: a thyroid function test." in page


def test_an_oversized_body_is_a_400_and_writes_nothing(year, client, nurse):
    cohort, child = year
    client.force_login(nurse)
    before = m.Visit.objects.count()
    url = reverse("contact-new", args=["PZ041", child.pk]) + "?year=2024"
    body = {"visit_date": "11/06/2024", "version": cohort.submission.pk,
            "hospital_admission_other": "x" * 3_000_000}  # fmt: skip
    response = client.post(url, body)
    assert response.status_code == 400 and m.Visit.objects.count() == before


# Found by a probe of the workspace's forms --------------------------------------------------


def _details(client, cohort, child) -> tuple[str, dict]:
    url = reverse("child-edit", args=["PZ041", child.pk]) + "?year=2024"
    initial = {k: v for k, v in client.get(url).context["form"].initial.items() if v is not None}
    return url, {**initial, "gp_practice_ods_code": "A81001", "version": cohort.submission.pk}


@pytest.mark.parametrize("field, value", [
    ("hba1c", "1" + "0" * 26), ("systolic_blood_pressure", "1" + "0" * 22),
    ("height", "9" * 400), ("total_cholesterol", "9" * 400),
])  # fmt: skip
def test_a_number_with_more_digits_than_a_decimal_holds_is_a_form_error(
    year, client, nurse, field, value
):
    cohort, child = year
    client.force_login(nurse)
    before = m.Visit.objects.filter(patient=child).count()
    cells = {"visit_date": "11/06/2024", "hba1c_format": "1", "hba1c_date": "10/06/2024",
             "height_weight_observation_date": "10/06/2024",
             "blood_pressure_observation_date": "10/06/2024",
             "total_cholesterol_date": "10/06/2024", field: value}  # fmt: skip
    response = save(client, child, cohort, **cells)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert m.Visit.objects.filter(patient=child).count() == before
    # The same cell in a file: kept as an error on its row, never an exception.
    problems = csv_problems({**VALID_CHILD, field: value}, cohort.period, TEMPLATE_2021,
                            TODAY_2024)  # fmt: skip
    assert problems[field]


def test_a_removal_undone_twice_is_refused_the_second_time(year, client):
    cohort, child = year
    client.force_login(user_in_group(GroupName.TRUST_AUDIT_TEAM_FULL_ACCESS, ["PZ041"]))
    contact = m.Visit.objects.get(patient=child)
    remove = reverse("contact-remove", args=["PZ041", child.pk, contact.pk]) + "?year=2024"
    client.post(remove, {"version": cohort.submission.pk, "revision": contact.revision})
    change = history.child_changes(child, 2021)[0]
    undo = reverse("change-undo", args=["PZ041", child.pk])
    assert client.post(undo, {"change": change.context, "year": 2024}).status_code == 302
    again = client.post(undo, {"change": change.context, "year": 2024}, follow=True)
    assert again.status_code == 200 and "already been undone" in again.content.decode()
    assert m.Visit.objects.filter(patient=child).count() == 1


def test_an_undo_never_gives_two_children_one_nhs_number(year, client, nurse):
    cohort, child = year
    client.force_login(nurse)
    url, details = _details(client, cohort, child)
    old = child.nhs_number
    changed = client.post(url, {**details, "nhs_number": synthetic_nhs_number(55), "revision": 0})
    assert changed.status_code == 302
    change = history.child_changes(child, 2021)[0]
    new_child = client.post(reverse("child-new", args=["PZ041"]) + "?year=2024",
                            {**details, "nhs_number": old})  # fmt: skip
    assert new_child.status_code == 302  # the number was free
    undone = client.post(reverse("change-undo", args=["PZ041", child.pk]),
                         {"change": change.context, "year": 2024}, follow=True)  # fmt: skip
    assert "would give two children one number" in undone.content.decode()
    sharing = m.Site.objects.filter(paediatric_diabetes_unit_id="PZ041", is_active=True,
                                    patient__nhs_number=old)  # fmt: skip
    assert sharing.count() == 1


def test_a_child_is_changed_only_through_a_year_whose_data_they_are_in(year, client, nurse):
    cohort, child = year
    client.force_login(nurse)
    _, details = _details(client, cohort, child)
    later = AuditPeriodFactory(year=2025, is_open=True)
    edit = reverse("child-edit", args=["PZ041", child.pk]) + "?year=2025"
    assert client.get(edit).status_code == 404
    posted = client.post(edit, {**details, "version": "", "postcode": "CB2 0QQ", "revision": 0})
    assert posted.status_code == 404
    new_contact = reverse("contact-new", args=["PZ041", child.pk]) + "?year=2025"
    assert client.post(new_contact, {"visit_date": "11/06/2025", "version": ""}).status_code == 404
    child.refresh_from_db()
    assert child.postcode != "CB20QQ"
    assert not m.Submission.objects.filter(audit_period=later).exists()  # no version started
    record = client.get(reverse("unit-child", args=["PZ041", child.pk]), {"year": 2025})
    text = html.unescape(record.content.decode())
    assert record.status_code == 200 and "is not in PZ041's 2025-2026 data" in text
    assert "Change the child's details" not in text and "Add a contact" not in text
