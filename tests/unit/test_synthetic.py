"""The synthetic cohort generator as pure functions: plan, children, visits (no database)."""

import itertools
import statistics
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest

from constants.codes import hba1c_mmol_per_mol_to_percent, hba1c_percent_to_mmol_per_mol
from npda.data_model.identifiers import is_valid_nhs_number
from npda.synthetic import parameters as p
from npda.synthetic.generator import AuditYear, UnitCohort, generate_unit, identifiers
from npda.synthetic.plan import plan_cohort
from tests.synthetic_units import TODAY, YEAR, national_units

S, E = YEAR.start, YEAR.end


def age_at(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


@pytest.fixture(scope="module")
def national(plan) -> list[UnitCohort]:
    return [generate_unit(plan, pz_code, YEAR) for pz_code in plan.units]


@pytest.fixture(scope="module")
def children(national):
    """(patient record, its visits' fields in file order) for every child in the country."""
    result = []
    for cohort in national:
        rows: dict[str, list[dict]] = {}
        for visit in cohort.visits:
            rows.setdefault(visit.patient_key, []).append(visit.fields)
        result.extend((patient, rows[patient.key]) for patient in cohort.patients)
    return result


def full_year(patient) -> bool:
    return (
        patient.fields["diagnosis_date"] < S
        and patient.site_fields["reason_leaving_service"] is None
        and patient.fields["death_date"] is None
    )


# --- plan ---------------------------------------------------------------------------------------


def test_there_are_172_units_and_their_sizes_add_up_to_the_national_total(plan):
    sizes = [unit.size for unit in plan.units.values()]
    assert len(sizes) == 172
    assert sum(sizes) == 34_000
    assert min(sizes) >= 20 and max(sizes) <= 900
    assert plan.units["PZ248"].size < 60  # Jersey is small
    assert statistics.median(sizes) < statistics.mean(sizes)  # skewed: a few large units


def test_unit_sizes_scale_with_a_smaller_cohort():
    plan = plan_cohort(1, national_units(), 3_000)
    assert sum(unit.size for unit in plan.units.values()) == 3_000


def test_a_few_english_units_are_clear_outliers(plan):
    outliers = {code: unit.outlier for code, unit in plan.units.items() if unit.outlier}
    assert sorted(Counter(outliers.values()).items()) == [
        ("high_hba1c", 2),
        ("low_completion", 2),
        ("positive", 1),
    ]
    assert all(plan.units[code].info.region.startswith("E") for code in outliers)
    ordinary = [u.effects.hba1c_mean for u in plan.units.values() if not u.outlier]
    for code, kind in outliers.items():
        effects = plan.units[code].effects
        if kind == "high_hba1c":
            assert effects.hba1c_mean > max(ordinary)
        if kind == "low_completion":
            assert effects.care["height_weight"] < min(
                u.effects.care["height_weight"] for u in plan.units.values() if not u.outlier
            )


def test_units_differ_in_their_care_and_hba1c(plan):
    care = [u.effects.care["albumin"] for u in plan.units.values() if not u.outlier]
    hba1c = [u.effects.hba1c_mean for u in plan.units.values() if not u.outlier]
    assert statistics.stdev(care) > 0.3
    assert 1.5 < statistics.stdev(hba1c) < 6
    assert 57 < statistics.mean(hba1c) < 63


def test_the_plan_does_not_depend_on_the_order_of_units():
    units = national_units()
    forward, backward = plan_cohort(5, units, 34_000), plan_cohort(5, units[::-1], 34_000)
    assert forward == backward


# --- determinism --------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_records(plan):
    again = plan_cohort(1, national_units(), 34_000)
    for code in ("PZ041", "PZ248"):
        assert generate_unit(plan, code, YEAR) == generate_unit(again, code, YEAR)


def test_another_seed_gives_other_children(plan):
    other_seed = plan_cohort(2, national_units(), 34_000)
    first = generate_unit(plan, "PZ041", YEAR)
    assert generate_unit(other_seed, "PZ041", YEAR).patients != first.patients


PERSISTENT = ("date_of_birth", "sex", "ethnicity", "diabetes_type", "diagnosis_date", "postcode")


@pytest.mark.parametrize("pz_code", ["PZ041", "PZ248", "PZ001"])
def test_children_come_back_year_after_year_new_diagnoses_join_and_leavers_leave(plan, pz_code):
    before = generate_unit(plan, pz_code, AuditYear(2023, TODAY))
    after = generate_unit(plan, pz_code, YEAR)
    earlier = {p.key: p for p in before.patients}
    later = {p.key: p for p in after.patients}
    both = earlier.keys() & later.keys()
    assert len(both) > 0.8 * len(later)  # most children are the same children
    for key in both:  # ... with the same identity
        assert all(earlier[key].fields[f] == later[key].fields[f] for f in PERSISTENT)
    left = {k for k, p in earlier.items() if p.site_fields["reason_leaving_service"]}
    died = {k for k, p in earlier.items() if p.fields["death_date"]}
    assert not (left | died) & later.keys()  # leavers leave
    for key in later.keys() - earlier.keys():  # and whoever is new was diagnosed in the year
        assert later[key].fields["diagnosis_date"] >= S
    assert len(after.patients) == plan.units[pz_code].size
    assert earlier.keys() - later.keys() <= left | died | {
        k for k, p in earlier.items() if age_at(p.fields["date_of_birth"], S) >= 25
    }  # fmt: skip


def test_deprivation_is_derived_for_children_with_a_home_postcode(plan):
    cohort = generate_unit(plan, "PZ041", YEAR)
    assert set(cohort.imd_quintiles.values()) == {1, 2, 3, 4, 5}
    homeless = {p.key for p in cohort.patients if p.fields["postcode"].startswith("ZZ99")}
    assert not homeless & cohort.imd_quintiles.keys()
    assert not generate_unit(plan, "PZ248", YEAR).imd_quintiles  # Jersey: no index
    assert all("imd_quintile" not in p.fields for p in cohort.patients)  # not in the file


def test_a_units_children_do_not_depend_on_which_other_units_are_generated(plan):
    alone = generate_unit(plan, "PZ041", YEAR)
    for code in ("PZ001", "PZ248", "PZ100"):
        generate_unit(plan, code, YEAR)
    assert generate_unit(plan, "PZ041", YEAR) == alone


# --- children -------------------------------------------------------------------------------


def test_identifiers_are_valid_test_range_nhs_numbers_unique_in_the_country(national):
    numbers = [p.key for cohort in national if cohort.pz_code != "PZ248" for p in cohort.patients]
    assert all(n.startswith("999") and is_valid_nhs_number(n) for n in numbers)
    assert len(set(numbers)) == len(numbers)
    for cohort in national:
        if cohort.pz_code != "PZ248":
            assert all(p.fields["nhs_number"] == p.key for p in cohort.patients)


def test_jersey_children_have_unique_reference_numbers_and_no_nhs_number(national):
    jersey = next(c for c in national if c.pz_code == "PZ248")
    assert jersey.patients
    for patient in jersey.patients:
        assert patient.fields["nhs_number"] is None
        assert patient.fields["unique_reference_number"] == patient.key
        assert patient.key.startswith("JE-SYN-")
    assert len({p.key for p in jersey.patients}) == len(jersey.patients)


def test_patient_fields_are_typed_and_well_formed(children):
    for patient, _ in children:
        f = patient.fields
        assert isinstance(f["date_of_birth"], date) and isinstance(f["diagnosis_date"], date)
        assert f["sex"] in (1, 2, 3, 99)
        assert f["ethnicity"] in {*"ABCDEFGHJKLMNPRSZ", "99"}
        assert f["postcode"] == f["postcode"].upper() and " " not in f["postcode"]
        assert 5 <= len(f["postcode"]) <= 7
        assert f["gp_practice_ods_code"].startswith("G8") and len(f["gp_practice_ods_code"]) == 6
        assert patient.errors == {}


def test_ages_run_from_0_to_24_and_are_mostly_5_to_18(children):
    ages = [age_at(p.fields["date_of_birth"], S) for p, _ in children]
    assert min(ages) == 0 and max(ages) == 24
    assert sum(5 <= a <= 18 for a in ages) / len(ages) > 0.85
    assert 0.5 < sum(a >= 12 for a in ages) / len(ages) < 0.72


def test_diabetes_types_are_mostly_type_1_with_a_few_percent_type_2(children):
    types = Counter(p.fields["diabetes_type"] for p, _ in children)
    total = sum(types.values())
    assert 0.91 < types[1] / total < 0.95
    assert 0.02 < types[2] / total < 0.045
    assert all(types[code] > 0 for code in (3, 4, 5, 99))
    assert all(
        age_at(p.fields["date_of_birth"], S) >= 10
        for p, _ in children
        if p.fields["diabetes_type"] == 2
    )


def test_new_diagnoses_leavers_and_deaths(children):
    n = len(children)
    new = [p for p, _ in children if p.fields["diagnosis_date"] >= S]
    assert 0.06 < len(new) / n < 0.12  # a steady roster: new diagnoses replace the leavers
    assert {p.fields["diagnosis_date"].month for p in new} == set(range(1, 13))  # all year
    reasons = Counter(p.site_fields["reason_leaving_service"] for p, _ in children)
    assert reasons[1] > reasons[2] > reasons[3] > 0
    transitions = [p for p, _ in children if p.site_fields["reason_leaving_service"] == 1]
    assert all(age_at(p.fields["date_of_birth"], S) >= 16 for p in transitions)
    deaths = [p for p, _ in children if p.fields["death_date"]]
    assert 0 < len(deaths) < 0.002 * n
    for patient, _ in children:
        f, site = patient.fields, patient.site_fields
        assert f["date_of_birth"] <= f["diagnosis_date"] <= TODAY
        assert (site["date_leaving_service"] is None) == (site["reason_leaving_service"] is None)
        if site["date_leaving_service"]:
            assert S <= site["date_leaving_service"] <= E
        if f["death_date"]:
            assert f["diagnosis_date"] <= f["death_date"] <= E


# --- visits ---------------------------------------------------------------------------------


def test_visits_per_child(national, children):
    visits = sum(len(c.visits) for c in national)
    assert 450_000 < visits < 560_000
    counts = [len(rows) for patient, rows in children if full_year(patient)]
    assert min(counts) == 10 and max(counts) == 20
    assert all(1 <= len(rows) <= 20 for _, rows in children)


def test_visits_are_in_file_order_with_source_rows_from_2(national):
    for cohort in national:
        assert [v.source_row for v in cohort.visits] == list(range(2, len(cohort.visits) + 2))
        order = {p.key: i for i, p in enumerate(cohort.patients)}
        positions = [order[v.patient_key] for v in cohort.visits]
        assert positions == sorted(positions)  # each child's rows together, in patient order


def test_visit_dates_fall_in_the_childs_time_in_the_unit(children):
    for patient, rows in children:
        f, site = patient.fields, patient.site_fields
        dates = [row["visit_date"] for row in rows]
        assert dates == sorted(dates) and len(set(dates)) == len(dates)  # no duplicate rows
        assert dates[0] >= S and dates[-1] <= E
        assert dates[0] >= f["diagnosis_date"]
        if f["diagnosis_date"] >= S:
            assert dates[0] == f["diagnosis_date"]  # new diagnoses are seen on the day
        if site["date_leaving_service"]:
            assert dates[-1] == site["date_leaving_service"]  # the leaver's last row
        if f["death_date"]:
            assert dates[-1] <= f["death_date"]


def test_hba1c_is_around_60_with_a_few_percent_values(children):
    medians, percent_rows, rows_with_hba1c = [], 0, 0
    for patient, rows in children:
        dx = patient.fields["diagnosis_date"]
        values = []
        for row in rows:
            if "hba1c" not in row:
                continue
            rows_with_hba1c += 1
            value = float(row["hba1c"])
            if row["hba1c_format"] == 2:
                percent_rows += 1
                value = hba1c_percent_to_mmol_per_mol(value)
            if row["hba1c_date"] > dx + timedelta(days=90):
                values.append(value)
        if values:
            medians.append(statistics.median(values))
    assert 57 < statistics.mean(medians) < 64
    assert 0.01 < percent_rows / rows_with_hba1c < 0.03
    per_child = rows_with_hba1c / len(children)
    assert 3.5 < per_child < 7


def test_percent_hba1c_is_the_master_equation_to_2_dp(children):
    for _, rows in children[:3000]:
        for row in rows:
            if row.get("hba1c_format") == 2:
                assert row["hba1c"].as_tuple().exponent == -2
                mmol = hba1c_percent_to_mmol_per_mol(float(row["hba1c"]))
                assert abs(mmol - round(mmol)) < 0.06  # from a whole mmol/mol value
                expected = Decimal(str(hba1c_mmol_per_mol_to_percent(round(mmol))))
                assert abs(row["hba1c"] - expected) <= Decimal("0.005")


def test_decimals_have_the_models_places(children):
    places = {
        "height": -1,
        "weight": -1,
        "albumin_creatinine_ratio": -1,
        "total_cholesterol": -1,
        "hba1c": -2,
    }
    for _, rows in children[:3000]:
        for row in rows:
            for name, exponent in places.items():
                if name in row:
                    assert isinstance(row[name], Decimal)
                    assert row[name].as_tuple().exponent == exponent


def test_the_data_exercises_every_kpi_family(children):
    seen = Counter()
    for patient, rows in children:
        f, dx = patient.fields, patient.fields["diagnosis_date"]
        twelve = age_at(f["date_of_birth"], S) >= 12
        if f["diabetes_type"] == 1 and full_year(patient) and twelve:
            seen["complete year, 12+"] += 1
            for name in ("systolic_blood_pressure", "albumin_creatinine_ratio"):
                seen[name] += any(name in row for row in rows)
            seen["foot"] += any("foot_examination_observation_date" in row for row in rows)
            seen["retinal"] += any("retinal_screening_result" in row for row in rows)
        if f["diabetes_type"] == 1 and dx >= S:
            for name, before, after in (
                ("coeliac_screen_date", 90, 90),
                ("thyroid_function_date", 90, 90),
                ("carbohydrate_counting_level_three_education_date", 7, 14),
            ):
                in_window = any(
                    dx - timedelta(days=before) <= row[name] <= dx + timedelta(days=after)
                    for row in rows
                    if name in row
                )
                seen[f"{name} at diagnosis"] += in_window
                seen[f"{name} before diagnosis"] += any(
                    row[name] < dx for row in rows if name in row
                )
        for row in rows:
            if "hospital_admission_date" in row:
                seen[f"admission reason {row['hospital_admission_reason']}"] += 1
                seen["admission before 1 April"] += row["hospital_admission_date"] < S
                seen["discharge after 31 March"] += (row.get("hospital_discharge_date") or S) > E
            seen["current smoker"] += row.get("smoking_status") == 2
            seen["smoking referral"] += "smoking_cessation_referral_date" in row
            seen["closed loop"] += row.get("closed_loop_system") in (2, 3, 4)
            seen["real-time CGM"] += row.get("glucose_monitoring") == 4
            seen["gluten-free diet"] += row.get("gluten_free_diet") == 1
            seen["thyroxine"] += row.get("thyroid_treatment_status") == 2
            seen["ketones"] += row.get("ketone_meter_training") == 1
            seen["microalbuminuria"] += row.get("albuminuria_stage") == 2
            seen["psychological support"] += row.get("psychological_additional_support_status") == 1
            seen["dietitian date"] += "dietician_additional_appointment_date" in row
            seen["flu"] += "flu_immunisation_recommended_date" in row
            seen["sick-day rules"] += "sick_day_rules_training_date" in row
            seen["cholesterol"] += "total_cholesterol" in row
    missing = [name for name, count in seen.items() if count == 0]
    assert not missing
    assert len([k for k in seen if k.startswith("admission reason")]) == 6
    complete = seen["complete year, 12+"]
    assert complete > 15_000
    for check in ("systolic_blood_pressure", "albumin_creatinine_ratio", "foot", "retinal"):
        assert 0.5 < seen[check] / complete < 0.97


def test_admissions_reach_about_a_tenth_of_children(children):
    admitted = sum(any("hospital_admission_date" in row for row in rows) for _, rows in children)
    assert 0.07 < admitted / len(children) < 0.14


def test_an_open_year_has_nothing_after_today(plan):
    today = date(2024, 10, 15)
    cohort = generate_unit(plan, "PZ041", AuditYear(2024, today))
    for visit in cohort.visits:
        assert all(v <= today for v in visit.fields.values() if isinstance(v, date))
    for patient in cohort.patients:
        dates = [*patient.fields.values(), *patient.site_fields.values()]
        assert all(v <= today for v in dates if isinstance(v, date))


def test_a_year_that_has_not_started_is_refused():
    with pytest.raises(ValueError, match="has not started"):
        AuditYear(2027, TODAY)


@pytest.mark.parametrize("total", [170_000, p.MAX_PATIENTS_PER_YEAR])
def test_a_five_times_cohort_has_room_for_the_biggest_units_identifiers(total):
    plan = plan_cohort(1, national_units(), total)
    biggest = max(plan.units, key=lambda c: plan.units[c].size)
    smallest = min(plan.units, key=lambda c: plan.units[c].size)
    for code in (biggest, smallest):
        roster = np.arange(2 * plan.units[code].size)  # everyone the unit has had by 2030
        keys = identifiers(1, plan.units[code], roster)
        assert len(set(keys)) == len(roster)
        assert all(is_valid_nhs_number(k) for k in keys[:50])


def test_identifier_blocks_of_units_do_not_overlap(plan):
    blocks = sorted(u.identifier_block for u in plan.units.values())
    for (first, count), (next_first, _) in itertools.pairwise(blocks):
        assert first + count <= next_first
    last_first, last_count = blocks[-1]
    assert last_first + last_count <= p.IDENTIFIER_SPACE
