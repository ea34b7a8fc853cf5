"""One unit's synthetic children and visits as submission records (pure: no database).

Draws are vectorised with numpy: one array per child attribute and one per visit field (dates as
proleptic ordinals, decimals as whole tenths or hundredths, -1 for blank), converted to Python
values only at the end. The records follow every validation rule of csv-submission.md §6, and the
visits are in file order: grouped by child, by date within a child, `source_row` from 2.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import numpy as np

from constants.codes import PUMP_TREATMENTS, dataset_year_for, hba1c_mmol_per_mol_to_percent
from constants.csv_template import TEMPLATE_2021, TEMPLATE_2026, ColumnType, Target, Template
from npda.data_model.identifiers import NHS_NUMBER_WEIGHTS
from npda.submissions.records import PatientRecord, VisitRecord

from . import parameters as p
from .plan import CohortPlan, Stream, UnitPlan, key_number, make_rng
from .roster import YearCohort, ages_at, cohort_for


def visit_fields(template: Template) -> tuple[str, ...]:
    return tuple(c.field for c in template.columns if c.target == Target.VISIT)


_ALL_VISIT_FIELDS = tuple(dict.fromkeys(visit_fields(TEMPLATE_2021) + visit_fields(TEMPLATE_2026)))
_KIND = {
    c.field: c.type
    for template in (TEMPLATE_2021, TEMPLATE_2026)
    for c in template.columns
    if c.target == Target.VISIT
}


@dataclass(frozen=True)
class AuditYear:
    year: int
    today: date  # nothing may be dated after the day the data is "uploaded"

    def __post_init__(self) -> None:
        if self.today < self.start:
            raise ValueError(f"the {self.slug} audit year has not started on {self.today}")

    @property
    def start(self) -> date:
        return date(self.year, 4, 1)

    @property
    def end(self) -> date:
        return date(self.year + 1, 3, 31)

    @property
    def last_day(self) -> date:
        return min(self.end, self.today)

    @property
    def slug(self) -> str:
        return f"{self.year}-{self.year + 1}"

    @property
    def template(self) -> Template:
        """The year's upload template: 2021 up to 2025-26, 2026 from 2026-27."""
        return TEMPLATE_2026 if dataset_year_for(self.year) == 2026 else TEMPLATE_2021


@dataclass
class UnitCohort:
    pz_code: str
    patients: list[PatientRecord]
    visits: list[VisitRecord]
    # Derived from the home postcode, not submitted (data-dictionary.md §8): the deprivation
    # quintile by identifier, which a lookup job would set (the platform has no lookup data).
    imd_quintiles: dict[str, int] = field(default_factory=dict)
    template: Template = TEMPLATE_2021  # the year's upload template


def generate_unit(plan: CohortPlan, pz_code: str, audit_year: AuditYear) -> UnitCohort:
    """The unit's children and visits; depends only on the seed, the unit and the year (and,
    through the roster, the years before it)."""
    unit = plan.units[pz_code]
    cohort = cohort_for(plan, pz_code, audit_year.year, audit_year.today)
    order = np.argsort(cohort.children.index, kind="stable")  # file order: by roster entry
    rng = make_rng(plan.seed, Stream.CHILDREN, audit_year.year, key_number(pz_code))
    stream_2026 = (plan.seed, Stream.DATASET_2026, audit_year.year, key_number(pz_code))
    draw = _UnitDraw(rng, unit, audit_year, _ordered(cohort, order), stream_2026)
    keys = identifiers(plan.seed, unit, cohort.children.index[order])
    quintiles = {k: q for k, q in zip(keys, draw.imd.tolist(), strict=True) if q}
    return UnitCohort(
        pz_code,
        draw.patient_records(keys),
        draw.visit_records(keys),
        quintiles,
        audit_year.template,
    )


def _ordered(cohort: YearCohort, order: np.ndarray) -> YearCohort:
    return YearCohort(
        cohort.children.take(order),
        cohort.new[order],
        cohort.start[order],
        cohort.reason[order],
        cohort.leave[order],
        cohort.death[order],
        cohort.roster_size,
    )


def identifiers(seed: int, unit: UnitPlan, roster_index: np.ndarray) -> list[str]:
    """The children's identifiers by their place in the unit's roster, the same every year:
    999 test-range NHS numbers from the unit's share of the space (in a fixed shuffled order),
    or Jersey Unique Reference Numbers."""
    if unit.info.is_jersey:
        return [f"JE-SYN-{i + 1:05d}" for i in roster_index.tolist()]
    first, count = unit.identifier_block
    candidates = first + np.arange(count)
    checks = nhs_check_digits(candidates)
    valid = checks >= 0
    pool, pool_checks = candidates[valid], checks[valid]
    needed = int(roster_index.max(initial=-1)) + 1
    if needed > len(pool):
        raise ValueError(
            f"{unit.info.pz_code}: {needed} children do not fit in the 999 test range; "
            f"a cohort can have at most about {p.MAX_PATIENTS_PER_YEAR:,} children"
        )
    shuffled = make_rng(seed, Stream.ROSTER, key_number(unit.info.pz_code)).permutation(len(pool))
    chosen = shuffled[roster_index]
    numbers, check_digits = pool[chosen].tolist(), pool_checks[chosen].tolist()
    return [f"999{n:06d}{c}" for n, c in zip(numbers, check_digits, strict=True)]


def nhs_check_digits(six_digits: np.ndarray) -> np.ndarray:
    """Modulus 11 check digit of 999 followed by the six digits; -1 where none exists
    (npda.data_model.identifiers, vectorised)."""
    prefix_weights, digit_weights = NHS_NUMBER_WEIGHTS[:3], NHS_NUMBER_WEIGHTS[3:]
    total = np.full(len(six_digits), 9 * sum(prefix_weights))
    for position, weight in enumerate(digit_weights):
        total += (six_digits // 10 ** (5 - position) % 10) * weight
    check = 11 - total % 11
    check[check == 11] = 0
    check[check == 10] = -1
    return check


def _choice(rng: np.random.Generator, codes_and_p: tuple, size: int) -> np.ndarray:
    codes, probabilities = codes_and_p
    return rng.choice(np.array(codes), size=size, p=np.array(probabilities) / sum(probabilities))


def _expit(x: np.ndarray | float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


class _UnitDraw:
    """All draws for one unit. Methods fill `self.f`: visit field -> array over rows."""

    def __init__(
        self,
        rng: np.random.Generator,
        unit: UnitPlan,
        year: AuditYear,
        cohort: YearCohort,
        stream_2026: tuple[int, ...] = (),
    ) -> None:
        self.rng, self.unit, self.year = rng, unit, year
        self.stream_2026, self.in_2026 = stream_2026, None
        self.effects = unit.effects.in_year(year.year)
        self.S, self.E = year.start.toordinal(), year.end.toordinal()
        self.last, self.today = year.last_day.toordinal(), year.today.toordinal()
        self.n = len(cohort.children.index)
        self._children(cohort)
        self._schedule()
        self.f = {name: np.full(self.R, -1, dtype=np.int64) for name in _ALL_VISIT_FIELDS}
        self.f["hospital_admission_other"] = np.full(self.R, None, dtype=object)
        self.f["visit_date"] = self.d
        for fill in (
            self._hba1c_and_treatment,
            self._growth,
            self._blood_pressure,
            self._annual_checks,
            self._screens_at_diagnosis,
            self._lifestyle_and_education,
            self._admissions,
        ):
            fill()
        if year.template is TEMPLATE_2026:
            self.in_2026 = _Dataset2026(self, make_rng(*self.stream_2026))

    # --- children -------------------------------------------------------------------------

    def _children(self, cohort: YearCohort) -> None:
        """The roster's children of the year, and what the year brings them."""
        rng, n, children = self.rng, self.n, cohort.children
        self.dob, self.sex, self.ethnicity = children.dob, children.sex, children.ethnicity
        self.type, self.dx, self.imd = children.type, children.dx, children.imd
        self.engagement, self.postcode = children.engagement, children.postcode
        self.age = ages_at(self.dob, self.S)  # completed years at S (the roster keeps < 25)
        self.new, self.start = cohort.new, cohort.start
        self.reason, self.leave, self.death = cohort.reason, cohort.leave, cohort.death
        left_or_last = np.where(self.leave > 0, self.leave, self.last)
        self.end = np.where(self.death > 0, self.death, left_or_last)  # last day in the unit
        self.twelve_plus = self.age >= 12
        self.no_activity = (
            (self.reason > 0) & ~self.new & (rng.random(n) < p.LEAVER_WITHOUT_ACTIVITY_P)
        )
        self.active = ~self.no_activity

    # --- visit schedule -------------------------------------------------------------------

    def _schedule(self) -> None:
        """Rows spread through each child's time in the unit on a jittered grid, each on its own
        date (so no row is an exact copy of another, which an upload would skip)."""
        rng, n = self.rng, self.n
        span = self.end - self.start
        length = span + 1
        full = ~self.new & (self.reason == 0) & (self.death < 0)
        fewest, most = p.VISITS_PER_YEAR
        base = fewest + rng.binomial(most - fewest, p.VISITS_SKEW, size=n)
        # The share of the whole year each child has been in the unit so far: a year in
        # progress has had only its months so far of each child's contacts.
        share = length / (self.E - self.S + 1)
        share[self.new] *= p.NEW_DIAGNOSIS_CONTACT_FACTOR  # seen often in the first months
        whole_year = full & (self.last == self.E)
        k = np.where(whole_year, base, np.clip(np.ceil(base * share), 1, most)).astype(np.int64)
        k[self.new] = np.maximum(k[self.new], p.NEW_DIAGNOSIS_MIN_VISITS)
        k[self.no_activity] = 1
        k = np.minimum(k, length)
        self.k, self.R = k, int(k.sum())
        self.first = np.cumsum(k) - k
        self.lastrow = self.first + k - 1
        c = self.rc = np.repeat(np.arange(n), k)
        pos = np.arange(self.R) - self.first[c]
        cell, next_cell = pos * length[c] // k[c], (pos + 1) * length[c] // k[c]
        u = rng.random(self.R)
        u[(pos == 0) & self.new[c]] = 0.0  # a new diagnosis is seen on the day
        offset = cell + (u * (next_cell - cell)).astype(np.int64)
        leaver_last = (pos == k[c] - 1) & (self.reason[c] > 0)
        offset[leaver_last] = span[c][leaver_last]  # the leaver's last row is the leaving date
        # New diagnoses: the second visit is the level 3 carbohydrate counting education when
        # that follows diagnosis (KPI 43), kept before the third visit.
        self.education = self._education_offsets()
        second = self.first[self.new & (k >= 3)] + 1
        upper = offset[second + 1] - 1
        offset[second] = np.clip(self.education[self.new & (k >= 3)], 1, upper)
        self.d = self.start[c] + offset

    def _education_offsets(self) -> np.ndarray:
        """Days from diagnosis to level 3 education: mostly within 14, some before or late."""
        u = self.rng.random(self.n)
        before = -self.rng.integers(1, 8, size=self.n)
        on_time = self.rng.integers(0, 15, size=self.n)
        late = self.rng.integers(15, 41, size=self.n)
        return np.select([u < 0.12, u < 0.85], [before, on_time], late)

    # --- helpers ----------------------------------------------------------------------------

    def has(self, process: str) -> np.ndarray:
        """Which children get this care process in the year (unit-level random effects)."""
        chance = _expit(self.effects.logit(process, self.twelve_plus) + self.engagement)
        return (self.rng.random(self.n) < chance) & self.active

    def pick_rows(self, children: np.ndarray, score: np.ndarray | None = None) -> np.ndarray:
        """One row for each selected child: random, preferring rows with a higher score."""
        if score is None:  # rows are contiguous per child: no sort needed
            return (self.first + (self.rng.random(self.n) * self.k).astype(np.int64))[children]
        order = np.lexsort((self.rng.random(self.R) + score, self.rc))
        return order[self.lastrow][children]

    def annual_rows(self, children: np.ndarray, score: np.ndarray | None = None) -> np.ndarray:
        """Rows of an annual check: once, or twice for some children."""
        twice = children & (self.rng.random(self.n) < p.SECOND_ANNUAL_CHECK_P) & (self.k >= 4)
        rows = np.concatenate([self.pick_rows(children, score), self.pick_rows(twice, score)])
        return np.unique(rows)

    def routine_rows(self, children: np.ndarray, chance: float) -> np.ndarray:
        """Rows of a routine measurement: each row with a chance, and at least one per child."""
        rows = children[self.rc] & (self.rng.random(self.R) < chance)
        rows[self.pick_rows(children)] = True
        return rows

    # --- routine measurements ---------------------------------------------------------------

    def _hba1c_and_treatment(self) -> None:
        f, rng, c, effects = self.f, self.rng, self.rc, self.effects
        # units better at HbA1c monitoring also measure it more often (KPI 33)
        logit = np.log(p.HBA1C_ROW_P / (1 - p.HBA1C_ROW_P))
        chance = float(_expit(logit + p.HBA1C_ROW_EFFECT * effects.care["hba1c"]))
        rows = self.routine_rows(self.has("hba1c"), chance)
        rows[self.first[self.new]] = True  # HbA1c at diagnosis
        mmol = self._hba1c_values()
        percent = rows & (rng.random(self.R) < p.HBA1C_PERCENT_ROW_P)
        if self.year.template is TEMPLATE_2026:  # mmol/mol only
            percent[:] = False
        dcct = np.round(hba1c_mmol_per_mol_to_percent(mmol) * 100).astype(np.int64)
        f["hba1c"][rows] = np.where(percent, dcct, mmol * 100)[rows]
        f["hba1c_format"][rows] = np.where(percent, 2, 1)[rows]
        f["hba1c_date"][rows] = self.d[rows]
        with_treatment = rows & (rng.random(self.R) >= p.TREATMENT_BLANK_P)
        treatment = self._treatment_per_row()
        f["treatment"][with_treatment] = treatment[with_treatment]
        pump = with_treatment & np.isin(treatment, PUMP_TREATMENTS)
        closed_loop = self._closed_loop()
        f["closed_loop_system"][pump] = closed_loop[c][pump]
        monitoring = self._glucose_monitoring()[c]
        looping = pump & (closed_loop[c] > 1)  # a closed loop runs on a real-time CGM
        monitoring[looping] = 4
        f["glucose_monitoring"][with_treatment] = monitoring[with_treatment]

    def _hba1c_values(self) -> np.ndarray:
        rng, c = self.rng, self.rc
        shift = np.vectorize(lambda t: p.HBA1C_TYPE_SHIFT.get(int(t), 0.0))(self.type)
        level = (self.effects.hba1c_mean + shift) * np.exp(
            rng.normal(0, p.HBA1C_CHILD_LOG_SD, size=self.n)
        )
        at_diagnosis = rng.normal(*p.HBA1C_AT_DIAGNOSIS, size=self.n)
        since = np.maximum(self.d - self.dx[c], 0)
        settling = np.where(self.new[c], np.exp(-since / p.HBA1C_DIAGNOSIS_DECAY_DAYS), 0.0)
        value = level[c] + settling * (at_diagnosis[c] - level[c])
        value += rng.normal(0, p.HBA1C_NOISE_SD, size=self.R)
        return np.clip(np.round(value), *p.HBA1C_LIMITS).astype(np.int64)

    def _treatment_per_row(self) -> np.ndarray:
        """Treatment at each row; sets `pump` and `switch`, which glucose monitoring uses."""
        rng, n, effects = self.rng, self.n, self.effects
        type_1 = self.type == 1
        self.pump = type_1 & ~self.new & (rng.random(n) < _expit(effects.pump))
        injections = _choice(rng, p.TYPE_1_INJECTION_CODES, n)
        pump_code = _choice(rng, p.TYPE_1_PUMP_CODES, n)
        code = np.where(self.pump, pump_code, injections)
        for diabetes_type, mix in p.TREATMENT_MIX.items():
            of_type = self.type == diabetes_type
            code[of_type] = _choice(rng, mix, int(of_type.sum()))
        switch = type_1 & ~self.pump & ~self.new & (rng.random(n) < p.PUMP_SWITCH_P)
        self.switch = switch
        when = self.start + (rng.random(n) * (self.end - self.start + 1)).astype(np.int64)
        switched = switch[self.rc] & (self.d >= when[self.rc])
        return np.where(switched, pump_code[self.rc], code[self.rc])

    def _closed_loop(self) -> np.ndarray:
        closed = self.rng.random(self.n) < _expit(self.effects.closed_loop)
        return np.where(closed, _choice(self.rng, p.CLOSED_LOOP_CODES, self.n), 1)

    def _glucose_monitoring(self) -> np.ndarray:
        rng, n = self.rng, self.n
        boost = np.where(self.pump | self.switch, p.CGM_PUMP_BOOST, 0.0)
        cgm = rng.random(n) < _expit(self.effects.cgm + boost)
        type_1 = np.where(cgm, 4, _choice(rng, p.GLUCOSE_MONITORING_NON_CGM, n))
        others = _choice(rng, p.GLUCOSE_MONITORING_OTHER_TYPES, n)
        return np.where(self.type == 1, type_1, others)

    def _growth(self) -> None:
        rng, c, f = self.rng, self.rc, self.f
        rows = self.routine_rows(self.has("height_weight"), p.HEIGHT_WEIGHT_ROW_P)
        years = np.clip((self.d - self.dob[c]) / 365.25, 0, 20)
        sex = self.sex[c]
        height = self._median(p.HEIGHT_MEDIAN, years, sex)
        weight = self._median(p.WEIGHT_MEDIAN, years, sex)
        z_height = np.clip(rng.normal(size=self.n), -2.5, 2.5)[c]
        z_weight = np.clip(rng.normal(size=self.n), -2.5, 2.5)[c]
        height *= 1 + p.HEIGHT_CV * z_height
        weight *= np.exp(p.WEIGHT_LOG_SD * z_weight + p.WEIGHT_LOG_SHIFT)
        weight_only = rows & (rng.random(self.R) < p.WEIGHT_ONLY_P)
        with_height = rows & ~weight_only
        f["height"][with_height] = np.round(np.maximum(height, 45.0) * 10)[with_height]
        f["weight"][rows] = np.round(np.maximum(weight, 2.0) * 10)[rows]
        f["height_weight_observation_date"][rows] = self.d[rows]

    @staticmethod
    def _median(table: dict, years: np.ndarray, sex: np.ndarray) -> np.ndarray:
        boys = np.interp(years, p.GROWTH_AGES, table[1])
        girls = np.interp(years, p.GROWTH_AGES, table[2])
        return np.where(sex == 1, boys, np.where(sex == 2, girls, (boys + girls) / 2))

    def _blood_pressure(self) -> None:
        rng, c, f = self.rng, self.rc, self.f
        rows = self.routine_rows(self.has("blood_pressure"), p.BLOOD_PRESSURE_ROW_P)
        years = np.clip((self.d - self.dob[c]) / 365.25, 0, 18)
        systolic = np.clip(np.round(98 + 1.1 * years + rng.normal(0, 9, self.R)), 85, 150)
        diastolic = np.round(0.5 * systolic + 8 + rng.normal(0, 6, self.R))
        diastolic = np.clip(diastolic, 45, systolic - 25)
        f["systolic_blood_pressure"][rows] = systolic[rows]
        f["diastolic_blood_pressure"][rows] = diastolic[rows]
        f["blood_pressure_observation_date"][rows] = self.d[rows]

    # --- annual review ----------------------------------------------------------------------

    def _annual_checks(self) -> None:
        rng, n, c, f, d = self.rng, self.n, self.rc, self.f, self.d
        rows = self.annual_rows(self.has("foot"))
        f["foot_examination_observation_date"][rows] = d[rows]

        rows = self.annual_rows(self.has("retinal"))
        f["retinal_screening_observation_date"][rows] = d[rows]
        f["retinal_screening_result"][rows] = _choice(rng, p.RETINAL_RESULT, n)[c][rows]

        rows = self.annual_rows(self.has("albumin"))
        level = np.where(  # log ACR, mg/mmol: mostly normal, a few macroalbuminuric
            rng.random(n) < p.MACROALBUMINURIA_P,
            np.log(rng.uniform(35, 200, n)),
            rng.normal(np.log(p.ACR_MEDIAN), p.ACR_LOG_SD, n),
        )
        acr = np.clip(np.round(np.exp(level[c] + rng.normal(0, 0.3, self.R)) * 10), 1, 4000)
        f["albumin_creatinine_ratio"][rows] = acr[rows]
        f["albumin_creatinine_ratio_date"][rows] = d[rows]
        f["albuminuria_stage"][rows] = np.select([acr < 30, acr <= 300], [1, 2], 3)[rows]

        rows = self.annual_rows(self.has("cholesterol"))
        level = rng.normal(4.2, 0.7, n)[c] + rng.normal(0, 0.2, self.R)
        f["total_cholesterol"][rows] = np.round(np.clip(level, 2.5, 9.5) * 10)[rows]
        f["total_cholesterol_date"][rows] = d[rows]

        rows = self.annual_rows(self.has("thyroid"))
        self.thyroid_status = _choice(rng, p.THYROID_STATUS, n)
        f["thyroid_function_date"][rows] = d[rows]
        f["thyroid_treatment_status"][rows] = self.thyroid_status[c][rows]

        rows = self.annual_rows(self.has("coeliac"))
        self.gluten_free = _choice(rng, p.GLUTEN_FREE_DIET, n)
        f["coeliac_screen_date"][rows] = d[rows]
        f["gluten_free_diet"][rows] = self.gluten_free[c][rows]
        # coeliac children: the diet answer is sometimes given again without a screen date
        repeated = rng.random(n) < p.GLUTEN_FREE_REPEATED_P
        again = self.pick_rows((self.gluten_free == 1) & self.active & repeated)
        f["gluten_free_diet"][again] = 1

        rows = self.annual_rows(self.has("psychology"))
        f["psychological_screening_assessment_date"][rows] = d[rows]
        support = _choice(rng, p.PSYCHOLOGY_SUPPORT, self.R)
        f["psychological_additional_support_status"][rows] = support[rows]

    def _screens_at_diagnosis(self) -> None:
        """Thyroid and coeliac screens of new diagnoses on the diagnosis row, some just before."""
        rng, f = self.rng, self.f
        for date_field, status_field, status in (
            ("thyroid_function_date", "thyroid_treatment_status", self.thyroid_status),
            ("coeliac_screen_date", "gluten_free_diet", self.gluten_free),
        ):
            screened = self.new & self.has("screen_at_diagnosis")
            before = np.where(rng.random(self.n) < 0.3, rng.integers(1, 31, self.n), 0)
            when = np.maximum(self.dx - before, self.dob)  # up to 90 days before is allowed
            rows = self.first[screened]
            f[date_field][rows] = when[screened]
            f[status_field][rows] = status[screened]

    def _lifestyle_and_education(self) -> None:
        rng, n, c, f, d = self.rng, self.n, self.rc, self.f, self.d
        smokers = self._smoking_status()
        rows = self.annual_rows(self.has("smoking") & self.twelve_plus)
        f["smoking_status"][rows] = smokers[c][rows]
        referred = rows[(smokers[c][rows] == 2) & (rng.random(len(rows)) < p.CESSATION_REFERRAL_P)]
        f["smoking_cessation_referral_date"][referred] = d[referred]

        rows = self.annual_rows(self.has("dietitian"))
        offered = _choice(rng, p.DIETITIAN_OFFERED, n)
        f["dietician_additional_appointment_offered"][rows] = offered[c][rows]
        attended = rows[(offered[c][rows] == 1) & (rng.random(len(rows)) < p.DIETITIAN_ATTENDED_P)]
        later = np.minimum(attended + 1, self.lastrow[c[attended]])  # the next visit
        f["dietician_additional_appointment_date"][later] = d[later]

        rows = self.annual_rows(self.has("ketone"))
        f["ketone_meter_training"][rows] = _choice(rng, p.KETONE_TRAINING, n)[c][rows]

        autumn = np.isin(self._months(), (9, 10, 11, 12)).astype(float)
        rows = self.pick_rows(self.has("flu"), score=autumn)
        f["flu_immunisation_recommended_date"][rows] = d[rows]

        rows = self.pick_rows(self.has("sick_day"))
        f["sick_day_rules_training_date"][rows] = d[rows]
        self._carbohydrate_counting()

    def _smoking_status(self) -> np.ndarray:
        u = self.rng.random(self.n)
        smoker = np.where(self.age >= 16, p.SMOKER_P_16_PLUS, p.SMOKER_P_12_TO_15)
        return np.select([u < smoker, u < smoker + p.SMOKING_UNKNOWN_P], [2, 99], 1)

    def _months(self) -> np.ndarray:
        lo = int(self.d.min())
        months = np.array([date.fromordinal(o).month for o in range(lo, int(self.d.max()) + 1)])
        return months[self.d - lo]

    def _carbohydrate_counting(self) -> None:
        """New diagnoses: around diagnosis (KPI 43); a few established children: any visit."""
        f, field = self.f, "carbohydrate_counting_level_three_education_date"
        educated = self.new & self.has("carb_counting_at_diagnosis")
        before = educated & (self.education <= 0)
        rows = self.first[before]  # education before (or on) diagnosis: on the diagnosis row
        f[field][rows] = np.maximum(self.dx + self.education, self.dob)[before]
        rows = self.first[educated & ~before & (self.k >= 3)] + 1  # after: its own visit
        f[field][rows] = self.d[rows]
        chance = p.CARB_COUNTING_ESTABLISHED_P
        established = ~self.new & self.active & (self.rng.random(self.n) < chance)
        rows = self.pick_rows(established)
        f[field][rows] = self.d[rows]

    # --- admissions -------------------------------------------------------------------------

    def _admissions(self) -> None:
        rng, n = self.rng, self.n
        at_diagnosis = self.new & (rng.random(n) < p.ADMISSION_AT_DIAGNOSIS_P)
        rows = self.first[at_diagnosis]
        early = np.where(rng.random(n) < 0.3, rng.integers(1, 4, n), 0)  # up to 11 days allowed
        start = np.maximum(self.dx - early, self.dob)[at_diagnosis]
        reasons = _choice(rng, p.DIAGNOSIS_ADMISSION_REASONS, len(rows))
        self._admit(rows, start, reasons)

        taken = np.zeros(self.R)
        taken[rows] = -10.0  # never two admissions on one row
        admitted = self.active & (rng.random(n) < p.ADMISSION_P)
        again = admitted & (rng.random(n) < p.SECOND_ADMISSION_P) & (self.k >= 3)
        for children in (admitted, again):
            rows = self.pick_rows(children, score=taken)
            rows = rows[taken[rows] == 0]
            taken[rows] = -10.0
            self._admit(rows, self.d[rows], _choice(rng, p.ADMISSION_REASONS, len(rows)))
        self._admissions_across_year_ends(taken)

    def _admissions_across_year_ends(self, taken: np.ndarray) -> None:
        """A few spells starting just before 1 April (discharged on the first row's date), and,
        once the year has ended, a few admitted in its last days and discharged after it."""
        rng, n = self.rng, self.n
        settled = ~self.new & (self.dx < self.S - 30) & self.active
        first_row = self.first
        spanning = settled & (self.d[first_row] <= self.S + 10) & (taken[first_row] == 0)
        spanning &= rng.random(n) < p.ADMISSION_SPANNING_START_P
        rows = first_row[spanning]
        start = self.S - rng.integers(1, 6, len(rows))
        self._admit(rows, start, _choice(rng, p.ADMISSION_REASONS, len(rows)), self.d[rows])
        taken[rows] = -10.0
        if self.today < self.E + 7:
            return
        last_row = self.lastrow
        spanning = settled & (self.end == self.E) & (self.d[last_row] >= self.E - 5)
        spanning &= (taken[last_row] == 0) & (rng.random(n) < p.ADMISSION_SPANNING_END_P)
        rows = last_row[spanning]
        discharge = self.E + rng.integers(1, 7, len(rows))
        self._admit(rows, self.d[rows], _choice(rng, p.ADMISSION_REASONS, len(rows)), discharge)

    def _admit(
        self,
        rows: np.ndarray,
        start: np.ndarray,
        reasons: np.ndarray,
        discharge: np.ndarray | None = None,
    ) -> None:
        rng, f, size = self.rng, self.f, len(rows)
        if discharge is None:
            child = self.rc[rows]
            limit = np.where(self.death > 0, self.death, self.today)[child]
            stay = np.maximum(start + rng.integers(1, 8, size), self.dx[child])  # not before dx
            discharge = np.minimum(stay, limit)
            discharge = np.where(rng.random(size) < p.OPEN_DISCHARGE_P, -1, discharge)
        f["hospital_admission_date"][rows] = start
        f["hospital_discharge_date"][rows] = discharge
        f["hospital_admission_reason"][rows] = reasons
        dka = rows[reasons == 2]
        f["dka_additional_therapies"][dka] = _choice(rng, p.DKA_THERAPIES, len(dka))
        other = rows[reasons == 6]
        texts = rng.choice(np.array(p.OTHER_ADMISSION_TEXTS, dtype=object), size=len(other))
        f["hospital_admission_other"][other] = texts

    # --- records ----------------------------------------------------------------------------

    def patient_records(self, keys: list[str]) -> list[PatientRecord]:
        jersey = self.unit.info.is_jersey
        ordinal = _ordinal_dates
        identifier = (
            {"unique_reference_number": keys, "nhs_number": [None] * self.n}
            if jersey
            else {"nhs_number": keys}
        )
        columns = {
            **identifier,
            "date_of_birth": ordinal(self.dob),
            "postcode": self.postcode.tolist(),
            "sex": self.sex.tolist(),
            "ethnicity": self.ethnicity.tolist(),
            "diabetes_type": self.type.tolist(),
            "diagnosis_date": ordinal(self.dx),
            "death_date": ordinal(self.death),
            "gp_practice_ods_code": self._gp_codes(),
        }
        if self.in_2026 is not None:
            columns |= self.in_2026.patient_columns(keys)
        leaving = zip(ordinal(self.leave), _codes(self.reason, blank=0), strict=True)
        rows = zip(*columns.values(), strict=True)
        return [
            PatientRecord(
                key=key,
                fields=dict(zip(columns, values, strict=True)),
                site_fields={"date_leaving_service": left, "reason_leaving_service": why},
            )
            for key, values, (left, why) in zip(keys, rows, leaving, strict=True)
        ]

    def _gp_codes(self) -> list[str]:
        practice = self.rng.integers(0, p.GP_PRACTICES_PER_UNIT, self.n)
        numbers = (self.unit.index * p.GP_PRACTICES_PER_UNIT + practice) % 10_000
        return [f"G8{number:04d}" for number in numbers.tolist()]

    def visit_records(self, keys: list[str]) -> list[VisitRecord]:
        """Visits in file order, each with only its non-blank fields (as an upload gives)."""
        rows: list[dict] = [{} for _ in range(self.R)]
        for name in visit_fields(self.year.template):
            values = self.f[name]
            blank = pd_isnull(values) if values.dtype == object else values < 0
            given = np.flatnonzero(~blank)
            python_values = _to_python(values[given], _KIND[name])
            for i, value in zip(given.tolist(), python_values, strict=True):
                rows[i][name] = value
        row_keys = np.array(keys, dtype=object)[self.rc].tolist()
        return [
            VisitRecord(patient_key=key, source_row=number, fields=fields)
            for number, (key, fields) in enumerate(zip(row_keys, rows, strict=True), start=2)
        ]


class _Dataset2026:
    """A 2021-style draw recorded in the 2026 dataset's fields (data-dictionary §10), with the
    new items drawn from their own stream. Rewrites the draw's visit arrays in place; the
    patient-level items depend only on the child's identifier, so they stay from year to year."""

    REGIMEN = {1: 2, 2: 3, 3: 4, 4: 2, 5: 3, 6: 4, 7: 1, 8: 1, 99: 99}  # treatment -> regimen
    NO_MEDICATION = (1, 2, 3, 7)  # treatments without another glucose-lowering medicine
    CGM = {1: 2, 2: 1, 3: 1, 4: 1, 5: 2, 99: 99}  # glucose monitoring -> CGM use (Y 1 / N 2)

    def __init__(self, draw: "_UnitDraw", rng: np.random.Generator) -> None:
        self.draw, self.rng = draw, rng
        f, c = draw.f, draw.rc
        self._treatment(f, c)
        self._smoking(f, c)
        given = f["glucose_monitoring"] >= 0
        f["cgm_use"][given] = _recode(f["glucose_monitoring"][given], self.CGM)
        self._admissions(f)
        self._immunotherapy(f)
        self._psychological_support(f)
        for removed in ("hba1c_format", "treatment", "closed_loop_system", "glucose_monitoring",
                        "smoking_status", "hospital_admission_reason"):  # fmt: skip
            f[removed][:] = -1

    def _treatment(self, f: dict, c: np.ndarray) -> None:
        treatment = f["treatment"]
        given = treatment >= 0
        regimen = _recode(treatment, self.REGIMEN, blank=-1)
        looping = (regimen == 4) & np.isin(f["closed_loop_system"], (2, 3, 4))
        regimen[looping] = 5
        medicine = _choice(self.rng, p.MEDICATION_2026, self.draw.n)[c]  # one per child
        medication = np.where(np.isin(treatment, self.NO_MEDICATION), 1, medicine)
        medication = np.where(treatment == 99, 99, medication)
        diet = np.where(treatment == 7, 1, -1)
        advised = (treatment == 8) & (
            self.rng.random(self.draw.R) < p.DIET_ADVISED_WITH_MEDICATION_P
        )
        diet[advised] = 1
        f["insulin_regimen"][given] = regimen[given]
        f["non_insulin_medication"][given] = medication[given]
        f["dietary_lifestyle_modification"][given] = diet[given]

    def _smoking(self, f: dict, c: np.ndarray) -> None:
        status = f["smoking_status"]
        vapes = self.rng.random(self.draw.n)[c]
        recoded = np.where((status == 1) & (vapes < p.VAPER_P), 3, status)
        recoded = np.where((status == 2) & (vapes < p.SMOKER_ALSO_VAPES_P), 4, recoded)
        f["smoking_vaping_status"][:] = recoded  # -1 stays blank

    def _admissions(self, f: dict) -> None:
        rng, reason = self.rng, f["hospital_admission_reason"]
        given = reason >= 0
        f["hospital_admission_reason_2026"][given] = _recode(reason[given], p.ADMISSION_REASON_2026)
        dka = np.flatnonzero(reason == 2)
        others = np.flatnonzero(given & (reason != 2))
        others = others[rng.random(len(others)) < p.OTHER_ADMISSION_BLOOD_GAS_P]
        for rows, ph, bicarbonate in ((dka, p.DKA_PH, p.DKA_BICARBONATE),
                                      (others, p.OTHER_PH, p.OTHER_BICARBONATE)):  # fmt: skip
            f["blood_gas_ph"][rows] = _scaled_normal(rng, ph, len(rows), 1000)
            f["blood_gas_bicarbonate"][rows] = _scaled_normal(rng, bicarbonate, len(rows), 100)

    def _immunotherapy(self, f: dict) -> None:
        draw, rng, n = self.draw, self.rng, self.draw.n
        asked = (draw.type == 1) & draw.active & (rng.random(n) < p.IMMUNOTHERAPY_ASKED_P)
        answer = _choice(rng, p.IMMUNOTHERAPY_2026, n)
        rows = draw.first[asked]
        f["immunotherapy_received"][rows] = answer[asked]
        started = asked & (answer == 1)
        low, high = p.IMMUNOTHERAPY_BEFORE_DX_DAYS
        when = draw.dx - rng.integers(low, high + 1, n)  # before diagnosis: allowed (rule 8)
        f["immunotherapy_date"][draw.first[started]] = np.maximum(when, draw.dob + 1)[started]

    def _psychological_support(self, f: dict) -> None:
        rows = np.flatnonzero(f["psychological_additional_support_status"] == 1)
        outcomes = _choice(self.rng, p.PSYCHOLOGICAL_OUTCOME_2026, len(rows))
        f["psychological_support_outcome"][rows] = outcomes

    def patient_columns(self, keys: list[str]) -> dict[str, list]:
        """ADHD/ASD and learning disability, fixed per child (drawn from its identifier)."""
        columns = {}
        for name, mix in (("adhd_asd_status", p.ADHD_ASD_2026),
                          ("learning_disability_status", p.LEARNING_DISABILITY_2026)):  # fmt: skip
            u = np.array([key_number(f"{key}:{name}") for key in keys], dtype=float) / 2**32
            codes, chances = mix
            picked = np.array(codes)[np.searchsorted(np.cumsum(chances), u * (1 - 1e-12))]
            blank = u * 7919 % 1 < p.PATIENT_ITEM_BLANK_P  # an independent-looking second draw
            columns[name] = [None if b else int(v) for v, b in zip(picked, blank, strict=True)]
        return columns


def _recode(values: np.ndarray, mapping: dict[int, int], blank: int = -1) -> np.ndarray:
    table = np.full(max(mapping) + 1, blank, dtype=np.int64)
    for old, new in mapping.items():
        table[old] = new
    inside = (values >= 0) & (values < len(table))
    return np.where(inside, table[np.clip(values, 0, len(table) - 1)], blank)


def _scaled_normal(rng, params: tuple[float, float, float, float], size: int, scale: int):
    mean, sd, low, high = params
    return np.round(np.clip(rng.normal(mean, sd, size), low, high) * scale).astype(np.int64)


def pd_isnull(values: np.ndarray) -> np.ndarray:
    return np.array([value is None for value in values.tolist()], dtype=bool)


def _ordinal_dates(ordinals: np.ndarray) -> list[date | None]:
    return [date.fromordinal(o) if o > 0 else None for o in ordinals.tolist()]


def _codes(values: np.ndarray, blank: int = -1) -> list[int | None]:
    return [None if v == blank else v for v in values.tolist()]


def _to_python(values: np.ndarray, kind: ColumnType) -> list:
    """Non-blank values as the model expects them: date, Decimal, int or str."""
    if kind in (ColumnType.TEXT, ColumnType.CODE, ColumnType.WHOLE_NUMBER):
        return values.tolist()
    unique, inverse = np.unique(values, return_inverse=True)  # few distinct values
    if kind == ColumnType.DATE:
        table = [date.fromordinal(v) for v in unique.tolist()]
    else:
        places = {ColumnType.DECIMAL_2DP: 2, ColumnType.DECIMAL_3DP: 3}.get(kind, 1)
        table = [Decimal(v).scaleb(-places) for v in unique.tolist()]
    return [table[i] for i in inverse.tolist()]
