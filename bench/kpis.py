"""Benchmark: KPI scoring + aggregation at every level on the national synthetic cohort.

Prints the full recompute (scoring every child + all aggregations), a one-unit recompute, and the
time ratio of a 5x cohort (170,000 children). The cohorts come from `generate_cohort` (seed 1);
without that command, a cohort of the same shape is generated here with SQL (generate_series).
The database is left holding the 5x cohort.
"""

import time
from datetime import date

from bench.common import report, timed

NATIONAL_CHILDREN = 34_000
AUDIT_YEAR = 2024
ONE_UNIT = "PZ041"
COHORT_TODAY = date(2026, 11, 26)  # as bench/cohort.py: the 2024-25 period has ended
CLINICAL_TABLES = (
    "npda_kpi",
    "npda_auditprogress",
    "npda_visit",
    "npda_submission_patients",
    "npda_submission",
    "npda_site",
    "npda_patient",
)


def run(repeats: int = 3) -> None:
    from django.core.management import get_commands

    from npda.models import AuditPeriod

    use_command = "generate_cohort" in get_commands()
    source = "generate_cohort --seed 1" if use_command else "SQL generator"
    timings = {}
    for children in (NATIONAL_CHILDREN, 5 * NATIONAL_CHILDREN):
        started = time.perf_counter()
        how = source
        if not (use_command and _generated_cohort_present(children)):
            how = make_cohort(children, use_command=use_command)
        period = AuditPeriod.objects.get(start_date__year=AUDIT_YEAR)
        counts = _cohort_size(period)
        print(
            f"compute_kpis on {counts[0]:,} children, {counts[1]:,} visits ({how}, ready "
            f"in {time.perf_counter() - started:.0f} s), C = E = {period.end_date}"
        )
        timings[children] = measure(period, repeats)
    ratio = _median(timings[5 * NATIONAL_CHILDREN]["full"]) / _median(
        timings[NATIONAL_CHILDREN]["full"]
    )
    print(f"  5x cohort / national cohort, full recompute time ratio: {ratio:.2f}")


def _cohort_size(period) -> tuple[int, int]:
    from npda.models import Submission, Visit

    active = Submission.objects.filter(audit_period=period, is_active=True)
    children = active.values("patients").count()
    visits = Visit.objects.filter(submission__in=active).count()
    return children, visits


def _generated_cohort_present(children: int) -> bool:
    """A generate_cohort cohort of this size (as bench/cohort.py leaves it) is reused."""
    from npda.models import AuditPeriod, Submission

    period = AuditPeriod.objects.filter(start_date__year=AUDIT_YEAR).first()
    if period is None:
        return False
    generated = Submission.objects.filter(
        audit_period=period, is_active=True, file_name__endswith=f"NPDA data {period.slug}.csv"
    )
    return generated.exists() and abs(_cohort_size(period)[0] - children) < 0.05 * children


def measure(period, repeats: int) -> dict[str, list[float]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from aggregation.services import compute_kpis

    def full() -> None:
        compute_kpis(period, calculation_date=period.end_date)

    def one_unit() -> None:
        compute_kpis(period, [ONE_UNIT], period.end_date)

    full()  # warm-up: the period's first KPI rows
    with CaptureQueriesContext(connection) as queries:
        full()
    seconds = timed(full, repeats, before=vacuum_kpi_tables)
    report(f"full scoring + all aggregations ({len(queries)} statements)", seconds)
    one = timed(one_unit, repeats, before=vacuum_kpi_tables)
    report(f"recompute of one unit ({ONE_UNIT}) + its areas", one)
    return {"full": seconds, "one": one}


def vacuum_kpi_tables() -> None:
    """Untimed, before each run: what autovacuum does soon after a recompute replaced every row
    (the runs are back to back here, so their dead rows would otherwise pile up)."""
    from django.db import connection

    from npda.models import KPI_AGGREGATION_MODELS

    tables = ["npda_kpi", "npda_auditprogress"]
    tables += [model._meta.db_table for model in KPI_AGGREGATION_MODELS]
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {', '.join(tables)}")


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def make_cohort(children: int, *, use_command: bool) -> str:
    """A fresh cohort of about `children` children; returns how it was made."""
    from django.core.management import CommandError, call_command
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(CLINICAL_TABLES)} CASCADE")
    how = "generate_cohort --seed 1" if use_command else "SQL generator"
    try:
        if use_command:
            call_command(
                "generate_cohort",
                audit_year=AUDIT_YEAR,
                patients=children,
                seed=1,
                today=COHORT_TODAY,
                verbosity=0,
            )
        else:
            generate_cohort_sql(children)
    except CommandError as error:  # e.g. more children than the generator has identifiers for
        times = round(children / NATIONAL_CHILDREN)
        print(
            f"  generate_cohort --patients {children}: {error}; using the national cohort x{times}"
        )
        how = f"national generate_cohort cohort replicated x{times}"
        make_cohort(NATIONAL_CHILDREN, use_command=use_command)
        replicate_cohort(times)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(CLINICAL_TABLES)}")
    return how


def replicate_cohort(times: int) -> None:
    """Copy every child of the period's active submissions (patient, site, visits) times - 1
    more times into the same submissions: the same data, `times` as many children."""
    from django.db import connection, transaction

    from npda.models import Patient, Site, Visit

    def columns(model, replaced: str | None = None) -> tuple[str, str]:
        names = [f.column for f in model._meta.concrete_fields if not f.primary_key]
        source = ["c.new_id" if n == replaced else f"x.{n}" for n in names]
        return ", ".join(names), ", ".join(source)

    patient_cols, patient_source = columns(Patient)
    site_cols, site_source = columns(Site, "patient_id")
    visit_cols, visit_source = columns(Visit, "patient_id")
    statements = (
        f"""CREATE TEMPORARY TABLE bench_copy ON COMMIT DROP AS
            SELECT sp.patient_id AS old_id, sp.submission_id,
                nextval(pg_get_serial_sequence('npda_patient', 'id')) AS new_id
            FROM npda_submission_patients sp
            JOIN npda_submission s ON s.id = sp.submission_id AND s.is_active
            CROSS JOIN generate_series(2, {int(times)})""",
        f"""INSERT INTO npda_patient (id, {patient_cols})
            SELECT c.new_id, {patient_source}
            FROM bench_copy c JOIN npda_patient x ON x.id = c.old_id""",
        f"""INSERT INTO npda_site ({site_cols})
            SELECT {site_source} FROM bench_copy c JOIN npda_site x ON x.patient_id = c.old_id""",
        """INSERT INTO npda_submission_patients (submission_id, patient_id)
            SELECT submission_id, new_id FROM bench_copy""",
        f"""INSERT INTO npda_visit ({visit_cols})
            SELECT {visit_source} FROM bench_copy c
            JOIN npda_visit x ON x.patient_id = c.old_id AND x.submission_id = c.submission_id""",
    )
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def generate_cohort_sql(children: int, seed: float = 0.42) -> None:
    """A national-shaped cohort: every unit's active submission, ~14.5 rows per child."""
    from django.db import connection, transaction

    from npda.models import AuditPeriod

    period, _ = AuditPeriod.objects.get_or_create(
        start_date=f"{AUDIT_YEAR}-04-01",
        defaults={"end_date": f"{AUDIT_YEAR + 1}-03-31", "slug": f"{AUDIT_YEAR}-{AUDIT_YEAR + 1}"},
    )
    params = {"period": period.pk, "children": children, "s": f"{AUDIT_YEAR}-04-01"}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [seed])
        for statement in COHORT_SQL:
            cursor.execute(statement, params)


NHS_CHECK = " + ".join(f"{10 - i} * substr(n, {i + 1}, 1)::int" for i in range(9))

COHORT_SQL = (
    """
    INSERT INTO npda_submission (paediatric_diabetes_unit_id, audit_period_id, submitted_at,
        is_active, csv_file, file_name, patient_count, visit_count, error_count, errors)
    SELECT pz_code, %(period)s, now(), true, '', pz_code || '.csv', 0, 0, 0, '{}'
    FROM npda_paediatricdiabetesunit""",
    f"""
    CREATE TEMPORARY TABLE bench_child ON COMMIT DROP AS
    WITH numbers AS (
        SELECT i, '999' || lpad(i::text, 6, '0') AS n FROM generate_series(1, %(children)s * 2) i
    ), valid AS (
        SELECT i, n || mod(11 - mod({NHS_CHECK}, 11), 11)::text AS nhs
        FROM numbers WHERE mod({NHS_CHECK}, 11) <> 1
    )
    SELECT row_number() OVER (ORDER BY i) AS k, nhs, random() AS r1, random() AS r2,
        random() AS r3, random() AS r4
    FROM valid ORDER BY i LIMIT %(children)s""",
    """
    INSERT INTO npda_patient (nhs_number, date_of_birth, diabetes_type, diagnosis_date,
        death_date, sex, ethnicity, postcode, gp_practice_ods_code, gp_practice_postcode,
        is_valid, errors, dataset_year)
    SELECT nhs, dob, CASE WHEN r2 < 0.9 THEN 1 WHEN r2 < 0.96 THEN 2 ELSE 5 END,
        CASE WHEN r3 < 0.08 THEN %(s)s::date + (r4 * 300)::int
             ELSE dob + ((%(s)s::date - dob - 30) * r4)::int END,
        CASE WHEN r1 < 0.001 THEN %(s)s::date + 200 END, 1 + mod((r1 * 2)::int, 2), 'A', 'WC1X8SH',
        'A81001', '', true, '{}', 2021
    FROM (SELECT *, date '2000-04-02' + (r1 * 7900)::int AS dob FROM bench_child ORDER BY k) c""",
    """
    CREATE TEMPORARY TABLE bench_patient ON COMMIT DROP AS
    SELECT p.id AS patient_id, s.id AS submission_id, s.paediatric_diabetes_unit_id AS pdu,
        row_number() OVER (ORDER BY p.id) AS k
    FROM npda_patient p
    JOIN (SELECT id, paediatric_diabetes_unit_id,
                 row_number() OVER (ORDER BY paediatric_diabetes_unit_id) - 1 AS u,
                 count(*) OVER () AS units
          FROM npda_submission WHERE audit_period_id = %(period)s) s
      ON s.u = mod(p.id, s.units)""",
    """
    INSERT INTO npda_submission_patients (submission_id, patient_id)
    SELECT submission_id, patient_id FROM bench_patient""",
    """
    INSERT INTO npda_site (patient_id, paediatric_diabetes_unit_id, date_joined,
        date_leaving_service, reason_leaving_service, previous_pz_code, is_active)
    SELECT patient_id, pdu, date '2019-01-01',
        CASE WHEN random() < 0.05 THEN %(s)s::date + (random() * 360)::int END, NULL, '', true
    FROM bench_patient""",
    "UPDATE npda_site SET reason_leaving_service = 1 WHERE date_leaving_service IS NOT NULL",
    """
    INSERT INTO npda_visit (patient_id, submission_id, source_row, visit_date,
        height, weight, height_weight_observation_date, hba1c, hba1c_format, hba1c_date,
        treatment, closed_loop_system, glucose_monitoring, systolic_blood_pressure,
        diastolic_blood_pressure, blood_pressure_observation_date,
        foot_examination_observation_date, retinal_screening_observation_date,
        retinal_screening_result, albumin_creatinine_ratio, albumin_creatinine_ratio_date,
        albuminuria_stage, thyroid_function_date, thyroid_treatment_status, coeliac_screen_date,
        gluten_free_diet, psychological_screening_assessment_date,
        psychological_additional_support_status, smoking_status,
        dietician_additional_appointment_offered, flu_immunisation_recommended_date,
        sick_day_rules_training_date, ketone_meter_training, hospital_admission_date,
        hospital_discharge_date, hospital_admission_reason, hospital_admission_other,
        is_valid, errors, dataset_year)
    SELECT patient_id, submission_id,
        row_number() OVER (PARTITION BY submission_id ORDER BY patient_id, d) + 1, d,
        CASE WHEN r1 < 0.5 THEN 150 + r2 * 30 END, CASE WHEN r1 < 0.5 THEN 40 + r3 * 30 END,
        CASE WHEN r1 < 0.5 THEN d END,
        CASE WHEN r2 < 0.7 THEN CASE WHEN r4 < 0.05 THEN 6 + r3 * 3 ELSE 40 + r3 * 50 END END,
        CASE WHEN r2 < 0.7 THEN CASE WHEN r4 < 0.05 THEN 2 ELSE 1 END END,
        CASE WHEN r2 < 0.7 THEN d END,
        CASE WHEN r3 < 0.6 THEN 1 + (r4 * 7)::int END, CASE WHEN r3 < 0.3 THEN 2 END,
        CASE WHEN r1 < 0.6 THEN 1 + (r2 * 3)::int END,
        CASE WHEN r4 < 0.4 THEN 110 END, CASE WHEN r4 < 0.4 THEN 70 END,
        CASE WHEN r4 < 0.4 THEN d END,
        CASE WHEN r5 < 0.1 THEN d END, CASE WHEN r5 < 0.08 THEN d END,
        CASE WHEN r5 < 0.08 THEN 1 END, CASE WHEN r5 < 0.09 THEN 1.2 END,
        CASE WHEN r5 < 0.09 THEN d END, CASE WHEN r5 < 0.09 THEN 1 END,
        CASE WHEN r5 < 0.1 THEN d END, CASE WHEN r5 < 0.1 THEN 1 END,
        CASE WHEN r5 < 0.07 THEN d END, CASE WHEN r5 < 0.07 THEN 2 END,
        CASE WHEN r5 < 0.06 THEN d END, CASE WHEN r5 < 0.06 THEN 2 END,
        CASE WHEN r5 < 0.1 THEN 1 END, CASE WHEN r5 < 0.1 THEN 2 END,
        CASE WHEN r5 < 0.1 THEN d END, CASE WHEN r5 < 0.1 THEN d END,
        CASE WHEN r5 < 0.1 THEN 1 END,
        CASE WHEN r5 > 0.985 THEN d END, CASE WHEN r5 > 0.985 THEN d + 2 END,
        CASE WHEN r5 > 0.985 THEN 1 + (r1 * 4)::int END, '',
        r6 > 0.01, CASE WHEN r6 > 0.01 THEN '{}'::jsonb
                   ELSE '{"hba1c": [{"code": "E", "message": "out of range"}]}' END, 2021
    FROM (
        SELECT b.patient_id, b.submission_id, %(s)s::date - 10 + (random() * 370)::int AS d,
            random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5,
            random() AS r6
        FROM bench_patient b
        CROSS JOIN LATERAL generate_series(1, 10 + (mod(b.k * 7919, 10))::int) AS g(j)
    ) v""",
    """
    UPDATE npda_submission s SET patient_count = x.n
    FROM (SELECT submission_id, count(*) AS n FROM npda_submission_patients GROUP BY 1) x
    WHERE x.submission_id = s.id""",
)
