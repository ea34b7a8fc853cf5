"""`manage.py generate_cohort`: into the database through store_submission, or as CSV files."""

import csv
import functools
import io
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from constants.csv_template import TEMPLATE_2021, TEMPLATE_2026
from npda.data_model import models as m
from npda.submissions.services import import_submission
from npda.synthetic.generator import AuditYear, generate_unit
from npda.synthetic.plan import plan_cohort
from npda.synthetic.service import unit_info

pytestmark = pytest.mark.django_db

TODAY = "2026-11-26"
UNITS = ["PZ041", "PZ248", "PZ001"]


def generate(*extra: str, units=UNITS, year: int = 2024) -> str:
    out = io.StringIO()
    call_command(
        "generate_cohort",
        "--audit-year", str(year), "--patients", "34000", "--seed", "3", "--today", TODAY,
        "--pdu", *units, *extra,
        stdout=out,
    )  # fmt: skip
    return out.getvalue()


@functools.cache  # the reference units never change during the run
def expected(pz_code: str):
    units = [unit_info(u) for u in m.PaediatricDiabetesUnit.objects.filter(is_active=True)]
    plan = plan_cohort(3, units, 34_000)
    return generate_unit(plan, pz_code, AuditYear(2024, date.fromisoformat(TODAY)))


def active_submission(pz_code: str, year: int | None = None) -> m.Submission:
    periods = {"audit_period__start_date": date(year, 4, 1)} if year else {}
    return m.Submission.objects.get(paediatric_diabetes_unit_id=pz_code, is_active=True, **periods)


def test_units_are_stored_as_their_active_submissions():
    output = generate()
    period = m.AuditPeriod.objects.get(start_date=date(2024, 4, 1))
    assert (period.slug, period.end_date, period.is_open) == ("2024-2025", date(2025, 3, 31), False)
    assert "[1/3] PZ001" in output and "[3/3] PZ248" in output
    for pz_code in UNITS:
        cohort = expected(pz_code)
        submission = active_submission(pz_code)
        assert submission.audit_period == period
        assert submission.file_name == f"{pz_code} NPDA data 2024-2025.csv"
        assert submission.patient_count == len(cohort.patients) == submission.patients.count()
        assert submission.visit_count == len(cohort.visits) == submission.visits.count()
        assert submission.error_count == 0
        sites = m.Site.objects.filter(paediatric_diabetes_unit_id=pz_code, is_active=True)
        assert sites.count() == len(cohort.patients)
        leavers = sites.exclude(reason_leaving_service=None).count()
        assert leavers == sum(1 for p in cohort.patients if p.site_fields["date_leaving_service"])
        visits = m.Visit.objects.filter(patient__sites__paediatric_diabetes_unit_id=pz_code)
        assert visits.exclude(submission=submission).count() == 0
        assert not visits.filter(is_valid=False).exists()
    assert f"{sum(len(expected(c).patients) for c in UNITS):,} children" in output


def test_stored_values_match_the_generated_records():
    generate(units=["PZ041"])
    cohort = expected("PZ041")
    patient = cohort.patients[0]
    stored = m.Patient.objects.get(nhs_number=patient.key)
    for name, value in patient.fields.items():
        assert getattr(stored, name) == value, name
    rows = m.Visit.objects.filter(patient=stored).order_by("source_row")
    records = [v for v in cohort.visits if v.patient_key == patient.key]
    assert [v.source_row for v in rows] == [v.source_row for v in records]
    for row, record in zip(rows, records, strict=True):
        for name, value in record.fields.items():
            assert getattr(row, name) == value, name
        if row.height and row.weight:
            assert row.bmi is not None  # derived by the store


def test_jersey_children_are_stored_with_unique_reference_numbers():
    generate(units=["PZ248"])
    children = active_submission("PZ248").patients.all()
    assert children.exists()
    assert not children.exclude(nhs_number=None).exists()
    assert all(c.unique_reference_number.startswith("JE-SYN-") for c in children)


def test_running_again_replaces_the_submission_and_keeps_the_children():
    generate(units=["PZ041"])
    first = active_submission("PZ041")
    children = set(first.patients.values_list("pk", flat=True))
    generate(units=["PZ041"])
    second = active_submission("PZ041")
    assert second.pk != first.pk
    first.refresh_from_db()
    assert not first.is_active and first.visits.count() == 0
    assert set(second.patients.values_list("pk", flat=True)) == children
    duplicates = m.Visit.objects.values("patient", "source_row").annotate(n=Count("id"))
    assert not duplicates.filter(n__gt=1).exists()


def test_skip_existing_leaves_loaded_units_alone():
    generate(units=["PZ041"])
    first = active_submission("PZ041")
    output = generate("--skip-existing", units=["PZ041", "PZ001"])
    assert active_submission("PZ041").pk == first.pk
    assert "PZ041" not in output and "1 units skipped" in output
    assert active_submission("PZ001").patient_count > 0
    assert "PZ041 already loaded" in generate("--skip-existing", "-v", "2", units=["PZ041"])


def test_csv_mode_writes_one_file_per_unit_and_nothing_to_the_database(tmp_path):
    output = generate("--csv-dir", str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"{code} NPDA data 2024-2025.csv" for code in sorted(UNITS)
    ]
    for pz_code in UNITS:
        with (tmp_path / f"{pz_code} NPDA data 2024-2025.csv").open(encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        assert rows[0] == TEMPLATE_2021.headings(jersey=pz_code == "PZ248")
        assert len(rows) - 1 == len(expected(pz_code).visits)
        assert {row[11] for row in rows[1:]} == {pz_code}
    assert not m.Patient.objects.exists() and not m.Submission.objects.exists()
    assert "written to" in output


def test_csv_files_are_byte_identical_and_independent_of_the_other_units(tmp_path):
    generate("--csv-dir", str(tmp_path / "a"))
    generate("--csv-dir", str(tmp_path / "b"), units=["PZ041"])
    name = "PZ041 NPDA data 2024-2025.csv"
    assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_importing_the_csv_stores_the_same_children_and_visits(tmp_path):
    """The database route and the upload route give the same data."""
    generate(units=["PZ001"])
    generated = snapshot("PZ001")
    generate("--csv-dir", str(tmp_path), units=["PZ001"])
    content = (tmp_path / "PZ001 NPDA data 2024-2025.csv").read_bytes()
    unit = m.PaediatricDiabetesUnit.objects.get(pz_code="PZ001")
    period = m.AuditPeriod.objects.get(start_date=date(2024, 4, 1))
    result = import_submission(
        content, "PZ001 NPDA data 2024-2025.csv", unit, period,
        allow_closed_period=True, today=date.fromisoformat(TODAY),
    )  # fmt: skip
    assert result.accepted and result.records_with_errors == 0 and not result.warnings
    assert snapshot("PZ001") == generated


def snapshot(pz_code: str, year: int | None = None) -> tuple[list, list]:
    submission = active_submission(pz_code, year)
    patient_fields = ["nhs_number", "date_of_birth", "postcode", "sex", "ethnicity"]
    patient_fields += ["diabetes_type", "diagnosis_date", "death_date", "gp_practice_ods_code"]
    patient_fields += ["adhd_asd_status", "learning_disability_status", "dataset_year"]
    patients = sorted(submission.patients.values_list(*patient_fields))
    skip = {"id", "patient", "submission", "errors"}
    visit_fields = [f.attname for f in m.Visit._meta.concrete_fields if f.name not in skip]
    visits = sorted(submission.visits.values_list("patient__nhs_number", *visit_fields))
    return patients, visits


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--pdu", "PZ999"], "Not an active unit: PZ999"),
        (["--audit-year", "2027"], "has not started"),
        (["--patients", "0"], "Nothing to generate"),
    ],
)
def test_bad_requests_are_refused(arguments, message):
    base = {"--audit-year": "2024", "--patients": "100", "--today": TODAY}
    for flag, value in zip(arguments[::2], arguments[1::2], strict=True):
        base[flag] = value
    with pytest.raises(CommandError, match=message):
        call_command("generate_cohort", *[x for pair in base.items() for x in pair])


def test_pdu_numbers_are_read_like_the_upload_reads_them(tmp_path):
    generate("--csv-dir", str(tmp_path), units=["41", "pz 248", "PZ041"])
    assert sorted(p.name[:5] for p in tmp_path.iterdir()) == ["PZ041", "PZ248"]


def test_a_2026_cohort_continues_the_children_of_the_year_before_in_the_2026_template(tmp_path):
    generate(units=["PZ001"], year=2025)
    generate(units=["PZ001"], year=2026)
    before = m.Submission.objects.get(audit_period__start_date=date(2025, 4, 1))
    now = m.Submission.objects.get(audit_period__start_date=date(2026, 4, 1))
    assert now.audit_period.dataset_year == 2026 and now.error_count == 0
    continuing = set(before.patients.values_list("nhs_number", flat=True)) & set(
        now.patients.values_list("nhs_number", flat=True)
    )
    assert len(continuing) > 0.8 * now.patient_count
    visits = now.visits.all()
    assert not visits.exclude(dataset_year=2026).exists()
    assert visits.filter(insulin_regimen__isnull=False).exists()
    assert not visits.filter(treatment__isnull=False).exists()
    assert max(visits.values_list("visit_date", flat=True)) <= date.fromisoformat(TODAY)
    generated = snapshot("PZ001", 2026)
    generate("--csv-dir", str(tmp_path), units=["PZ001"], year=2026)
    name = "PZ001 NPDA data 2026-2027.csv"
    with (tmp_path / name).open(encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == TEMPLATE_2026.headings()
    result = import_submission(
        (tmp_path / name).read_bytes(), name, now.paediatric_diabetes_unit, now.audit_period,
        allow_closed_period=True, today=date.fromisoformat(TODAY),
    )  # fmt: skip
    assert result.accepted and result.records_with_errors == 0 and not result.warnings
    assert snapshot("PZ001", 2026) == generated
