"""The worked examples of kpis.md §8 as fixtures, each as written (period 2024-25) and again in
the 2026 dataset's fields for 2026-27 (`as_2026`): the scoring's tests check each example's
states and figures, the workspace's tests each child's state and reason in words. Registered
for the integration tests by their conftest."""

import pytest

from aggregation.services import compute_kpis
from tests.kpi_cohort import Cohort, E, d, hba1c


@pytest.fixture(params=[2021, 2026], ids=["2021 dataset", "2026 dataset"])
def as_2026(request) -> bool:
    return request.param == 2026


@pytest.fixture
def example_8_1(as_2026):
    cohort = Cohort(as_2026=as_2026)

    def child(dob, dx, *, type_=1, visit=None, hba1c=True, **extra):
        rows = []
        if visit:
            row = {"visit_date": visit}
            if hba1c:
                row |= {"hba1c": 58, "hba1c_format": 1, "hba1c_date": visit}
            rows.append(row)
        return cohort.child(
            date_of_birth=dob, diagnosis_date=dx, diabetes_type=type_, rows=tuple(rows), **extra
        )

    children = {
        "C1": child("2010-06-15", "2018-05-01", visit="2024-06-10"),
        "C2": child("2014-09-01", "2020-01-10", visit="2024-10-01"),
        "C3": child("2012-04-01", "2024-07-20", visit="2024-07-21"),
        "C4": child("2012-04-02", "2019-03-03", visit="2024-05-15", leaving="2024-11-30", reason=2),
        "C5": child("2008-01-20", "2022-02-02", type_=2, visit="2024-05-05"),
        "C6": child("1999-04-02", "2009-09-09", visit=None),
        "C7": child("1999-04-01", "2008-01-01", visit="2024-05-01", hba1c=False),
        "C8": child("2015-02-02", "2021-06-06", visit="2024-03-15"),
        "C9": child("2011-08-08", "2016-02-02", visit="2024-09-09", death_date="2025-01-15"),
    }
    # C6: a visit in P with treatment only, no observation dates.
    cohort.row(children["C6"], visit_date=d("2024-08-08"), treatment=2)
    compute_kpis(cohort.period, calculation_date=cohort.day(E))
    return cohort, children


HBA1C = {"hba1c": 60, "hba1c_format": 1, "hba1c_date": "2024-06-01"}
BMI = {"height": 140, "weight": 40, "height_weight_observation_date": "2024-06-01"}
THYROID = {"thyroid_function_date": "2024-06-01"}
BP = {"systolic_blood_pressure": 110, "blood_pressure_observation_date": "2024-06-01"}
ACR = {"albumin_creatinine_ratio": 1.5, "albumin_creatinine_ratio_date": "2024-06-01"}
FOOT = {"foot_examination_observation_date": "2024-06-01"}
RETINAL = {"retinal_screening_result": 1, "retinal_screening_observation_date": "2024-06-01"}


@pytest.fixture
def example_8_2(as_2026):
    cohort = Cohort(as_2026=as_2026)

    def child(dob, *rows):
        return cohort.child(
            date_of_birth=dob,
            diagnosis_date="2019-01-01",
            rows=tuple({"visit_date": "2024-06-01", **r} for r in rows),
        )

    children = {
        "D1": child("2015-01-01", HBA1C | BMI | {"thyroid_function_date": "2024-03-20"}),
        "D2": child(
            "2014-01-01",
            HBA1C | THYROID | {"height": 140, "height_weight_observation_date": "2024-07-01"},
            {"weight": 35, "height_weight_observation_date": "2024-07-01"},
        ),
        "D3": child("2010-01-01", HBA1C | BMI | THYROID | BP | FOOT | RETINAL),
        "D4": child("2009-01-01", HBA1C | BMI | THYROID | BP | ACR | FOOT),
        "D5": child(
            "2011-01-01", HBA1C | {"height": 150, "height_weight_observation_date": "2024-06-01"}
        ),
    }
    return cohort, children


@pytest.fixture
def example_8_3(as_2026):
    cohort = Cohort(as_2026=as_2026)

    def child(dx, coeliac=None, thyroid=None, carbs=None, type_=1):
        row = {"visit_date": dx if dx >= "2024-04-01" else "2024-09-01"}
        row |= {"coeliac_screen_date": coeliac} if coeliac else {}
        row |= {"thyroid_function_date": thyroid} if thyroid else {}
        row |= {"carbohydrate_counting_level_three_education_date": carbs} if carbs else {}
        return cohort.child(diagnosis_date=dx, diabetes_type=type_, rows=(row,))

    children = {
        "N1": child("2024-05-10", "2024-02-10", "2024-08-20", "2024-05-20"),
        "N2": child("2024-06-01", "2024-09-04", "2024-08-30", "2024-06-16"),
        "N3": child("2025-01-20", "2025-01-21", "2025-01-21", "2025-02-03"),
        "N4": child("2025-03-25"),
        "N5": child("2019-03-01", "2024-09-01"),
        "N6": child("2024-07-01", "2024-07-02", type_=2),
    }
    return cohort, children


@pytest.fixture
def example_8_4(as_2026):
    cohort = Cohort(as_2026=as_2026)
    children = {
        "H1": cohort.child(
            diagnosis_date="2015-03-01",
            rows=(
                hba1c(58, date="2024-05-01"),
                hba1c(62, date="2024-08-01"),
                hba1c(7.5, 2, date="2024-11-01"),
            ),
        ),
        "H2": cohort.child(
            diagnosis_date="2024-06-01",
            rows=(
                hba1c(100, date="2024-06-02"),
                hba1c(70, date="2024-08-30"),
                hba1c(54, date="2024-09-15"),
                hba1c(50, date="2025-01-10"),
            ),
        ),
        "H3": cohort.child(
            diagnosis_date="2020-01-01",
            diabetes_type=2,
            rows=(
                hba1c(48, date="2024-07-01"),
                hba1c(52, date="2024-10-01"),
                hba1c(47, date="2025-02-01"),
                hba1c(49, date="2025-03-01"),
            ),
        ),
        "H4": cohort.child(
            diagnosis_date="2016-05-05",
            rows=({**hba1c(65, date="2024-03-20"), "visit_date": "2024-04-10"},),
        ),
        "H5": cohort.child(diagnosis_date="2017-07-07", rows=(hba1c(250, date="2024-06-06"),)),
    }
    compute_kpis(cohort.period, calculation_date=cohort.day(E))
    return cohort, children


def admission(start, end, reason, **extra):
    return {
        "visit_date": start,
        "hospital_admission_date": start,
        "hospital_discharge_date": end,
        "hospital_admission_reason": reason,
        **extra,
    }


@pytest.fixture
def example_8_5(as_2026):
    cohort = Cohort(as_2026=as_2026)
    clinic = {"visit_date": "2024-06-15"}

    def child(*rows, dob="2012-06-15"):
        return cohort.child(date_of_birth=dob, rows=(clinic, *rows))

    children = {
        "A1": child(
            admission("2024-05-01", "2024-05-03", 2, dka_additional_therapies=4),
            admission("2024-05-01", None, 2, dka_additional_therapies=4),
            admission("2024-12-24", "2024-12-26", 4),
        ),
        "A2": child(admission("2024-03-29", "2024-04-02", 2, dka_additional_therapies=4)),
        "A3": child(admission("2025-03-30", "2025-04-03", 6, hospital_admission_other="Fall")),
        "A4": child(admission("2024-02-01", "2024-02-05", 1)),
        "A5": child(admission("2024-09-09", "2024-09-10", None)),
        "A6": child(admission("2024-10-10", "2024-10-12", 2), dob="1999-04-01"),
    }
    compute_kpis(cohort.period, calculation_date=cohort.day(E))
    return cohort, children
