"""Every KPI of kpis.md §4 as one rule: its population (denominator), its pass condition and
its state family (kpis.md §3.1). Read each entry beside the spec.

A rule is SQL over one row per child of the facts table built by `aggregation.scoring`, whose
columns are named in `scoring.py` next to their definitions: the populations p1 ... p7_14
(kpis.md §2), event flags (a date found in its window), the most recent values (§1.4) and the
per-child values of 32.1, 44-47. `%(c)s` is the calculation date C and `%(e)s` the period end E.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from npda.data_model.models import KPIState

PASSED, FAILED, INCOMPLETE, INELIGIBLE, NOT_AVAILABLE = (
    int(KPIState.PASSED),
    int(KPIState.FAILED),
    int(KPIState.INCOMPLETE),
    int(KPIState.INELIGIBLE),
    int(KPIState.NOT_AVAILABLE),
)
PERIOD_OPEN = "%(c)s < %(e)s"  # the window of every "W = E" KPI is still open at C


@dataclass(frozen=True)
class Membership:
    """Cohort counts 1-9: a member of the population passes; there is no failed state."""

    population: str
    value_kind = "count"

    def state_sql(self) -> str:
        return f"CASE WHEN {self.population} THEN {PASSED} ELSE {INELIGIBLE} END"


@dataclass(frozen=True)
class MostRecent:
    """10-24, 49: the most recent value (§1.4) decides; without one the child is incomplete
    while the period runs and failed after it."""

    population: str
    value: str  # the most recent value that must exist
    passes: str  # condition on it
    value_kind = "proportion"

    def state_sql(self) -> str:
        return (
            f"CASE WHEN NOT ({self.population}) THEN {INELIGIBLE}"
            f" WHEN {self.value} IS NULL THEN"
            f" CASE WHEN {PERIOD_OPEN} THEN {INCOMPLETE} ELSE {FAILED} END"
            f" WHEN {self.passes} THEN {PASSED} ELSE {FAILED} END"
        )


@dataclass(frozen=True)
class Event:
    """25-31, 33-43, 48: the event passes; else incomplete while C < W, failed once C ≥ W.
    W is the period's end E, or the diagnosis date plus `days_after_diagnosis` (41-43)."""

    population: str
    event: str
    needs: str = ""  # the event in words, for a child's record ("an HbA1c")
    days_after_diagnosis: int | None = None
    value_kind = "proportion"

    @property
    def window_end(self) -> str:
        if self.days_after_diagnosis is None:
            return "%(e)s"
        return f"diagnosis_date + {self.days_after_diagnosis}"

    def window_end_date(self, period_end: date, diagnosis: date | None) -> date | None:
        """W for one child (None: no diagnosis date, so no window)."""
        if self.days_after_diagnosis is None:
            return period_end
        return diagnosis + timedelta(days=self.days_after_diagnosis) if diagnosis else None

    def state_sql(self) -> str:
        return (
            f"CASE WHEN NOT ({self.population}) THEN {INELIGIBLE}"
            f" WHEN {self.event} THEN {PASSED}"
            f" WHEN %(c)s < {self.window_end} THEN {INCOMPLETE} ELSE {FAILED} END"
        )


@dataclass(frozen=True)
class CheckBundle(Event):
    """32.1-32.3: all the expected checks done passes; the window is the period."""

    value_kind = "proportion"


@dataclass(frozen=True)
class CheckRate(CheckBundle):
    """32.1: pooled as checks done over checks expected (kpis.md §3.2)."""

    value_kind = "check_proportion"


@dataclass(frozen=True)
class Contribution:
    """44, 45 (value) and 46, 47 (events): no pass/fail in the spec. Stored as passed when the
    child contributes (has a median / an admission), otherwise failed, or incomplete while the
    period runs for 44/45; the KPI value itself is pooled from the per-child values."""

    population: str
    contributes: str
    value_kind: str
    can_be_incomplete: bool = True

    def state_sql(self) -> str:
        not_yet = (
            f"CASE WHEN {PERIOD_OPEN} THEN {INCOMPLETE} ELSE {FAILED} END"
            if self.can_be_incomplete
            else str(FAILED)
        )
        return (
            f"CASE WHEN NOT ({self.population}) THEN {INELIGIBLE}"
            f" WHEN {self.contributes} THEN {PASSED} ELSE {not_yet} END"
        )


@dataclass(frozen=True)
class NotCollected:
    """A measure its dataset does not collect (kpis.md §7.1: KPI 21 from 2026-27): every
    child's state is "not available", and its aggregates' counts and value are null."""

    value_kind: str = "proportion"  # as in the years that collect it, for their trend
    population: str = "false"

    def state_sql(self) -> str:
        return str(NOT_AVAILABLE)


Rule = Membership | MostRecent | Event | CheckBundle | Contribution | NotCollected


def treatment(code: int) -> MostRecent:
    """13-20: P1, most recent non-null `treatment` = code (codes 1-8 partition 13-20)."""
    return MostRecent("p1", "latest_treatment", f"latest_treatment = {code}")


RULES: dict[str, Rule] = {
    # 4.1 Cohort counts ----------------------------------------------------------------------
    "1": Membership("p1"),  # Eligible children
    "2": Membership("p2"),  # New diagnoses (all types): dx in P
    "3": Membership("p3"),  # Type 1
    "4": Membership("p4"),  # Type 1, 12 and over at S
    "5": Membership("p5"),  # Type 1, complete year of care
    "6": Membership("p6"),  # ... aged 12+, seen with an observation in P
    "7": Membership("p7"),  # New type 1 diagnoses
    "8": Membership("p1 AND died_in_p"),  # Deaths: P1 with death_date in P
    "9": Membership("p1 AND left_in_p"),  # Left the unit: date_leaving_service in P, any reason
    # 10-12: P1 whose most recent value matches; denominator for display P1.
    "10": MostRecent("p1", "latest_gluten_free_diet", "latest_gluten_free_diet = 1"),
    "11": MostRecent(
        "p1", "latest_thyroid_treatment_status", "latest_thyroid_treatment_status IN (2, 3)"
    ),
    "12": MostRecent("p1", "latest_ketone_meter_training", "latest_ketone_meter_training = 1"),
    # 4.2 Treatment regimen: P1, most recent treatment = 1 ... 8 -----------------------------
    "13": treatment(1),  # 1-3 injections per day
    "14": treatment(2),  # 4+ injections per day
    "15": treatment(3),  # insulin pump (code 3 only, so that 13-20 partition the codes)
    "16": treatment(4),  # 1-3 injections + other medicine
    "17": treatment(5),  # 4+ injections + other medicine
    "18": treatment(6),  # insulin pump + other medicine
    "19": treatment(7),  # dietary management alone
    "20": treatment(8),  # diet + other glucose-lowering medicine
    # 4.3 Glucose monitoring and closed loop -------------------------------------------------
    "21": MostRecent("p1", "latest_glucose_monitoring", "latest_glucose_monitoring IN (2, 3)"),
    "22": MostRecent("p1", "latest_glucose_monitoring", "latest_glucose_monitoring = 4"),
    "23": MostRecent("p3", "latest_glucose_monitoring", "latest_glucose_monitoring = 4"),
    # 24: r = the row of the most recent treatment; pump (3, 6) with closed loop (2, 3, 4) on r.
    "24": MostRecent(
        "p3",
        "latest_treatment",
        "latest_treatment IN (3, 6) AND latest_treatment_closed_loop IN (2, 3, 4)",
    ),
    # 4.4 Key care processes: the observation date in P --------------------------------------
    # 25: a row with hba1c and hba1c_date in P; 26: height and weight with the same observation
    # date in P; 28, 29: the value with its date in P; 30: result 1 or 2 with its date in P.
    "25": Event("p5", "hba1c_in_p", "an HbA1c"),
    "26": Event("p5", "bmi_in_p", "a height and a weight measured on the same day"),
    "27": Event("p5", "thyroid_in_p", "a thyroid function test"),
    "28": Event("p6", "blood_pressure_in_p", "a blood pressure"),
    "29": Event("p6", "albumin_in_p", "a urinary albumin (ACR) test"),
    "30": Event("p6", "retinal_screening_in_p", "a retinal screening result"),
    "31": Event("p6", "foot_examination_in_p", "a foot examination"),
    # 32.1: checks done / expected over P5 (3 under 12, 6 aged 12+; retinal screening not in).
    "32.1": CheckRate("p5", "health_checks_done = health_checks_expected"),
    "32.2": CheckBundle("p5_under_12", "hba1c_in_p AND bmi_in_p AND thyroid_in_p"),
    "32.3": CheckBundle(
        "p5_12_and_over",
        "hba1c_in_p AND bmi_in_p AND thyroid_in_p"
        " AND blood_pressure_in_p AND albumin_in_p AND foot_examination_in_p",
    ),
    # 4.5 Additional care processes ----------------------------------------------------------
    # 33: 4+ distinct hba1c_date in P, each with a valid hba1c; 35, 37: a visit in P with
    # smoking_status 1 or 2 / offered = 1; 40: denominator P1, as published.
    "33": Event("p5", "hba1c_dates_in_p >= 4", "HbA1c results on four different days"),
    "34": Event("p5", "psychological_screening_in_p", "a psychological assessment"),
    "35": Event("p6", "smoking_status_recorded", "a smoking status"),
    "36": Event("p6", "smoking_cessation_referral_in_p", "an offer of smoking cessation"),
    "37": Event("p5", "dietitian_appointment_offered", "an offer of an extra dietetic visit"),
    "38": Event("p5", "dietitian_appointment_in_p", "an extra dietetic appointment"),
    "39": Event("p5", "flu_immunisation_in_p", "a flu immunisation recommendation"),
    "40": Event("p1", "sick_day_rules_in_p", "sick-day rules advice"),
    # 4.6 Care at diagnosis: the event may fall before S; window end dx + 90 or dx + 14 ------
    # 41, 42: within dx ± 90 days; 43: within dx - 7 ... dx + 14.
    "41": Event("p7_90", "coeliac_screen_at_diagnosis", "a coeliac screen at diagnosis", 90),
    "42": Event("p7_90", "thyroid_screen_at_diagnosis", "a thyroid screen at diagnosis", 90),
    "43": Event("p7_14", "carb_counting_at_diagnosis", "carbohydrate-counting education", 14),
    # 4.7 Outcomes ---------------------------------------------------------------------------
    "44": Contribution("p1", "hba1c_median IS NOT NULL", "mean"),  # mean of per-child medians
    "45": Contribution("p1", "hba1c_median IS NOT NULL", "median"),  # median of them
    "46": Contribution("p1", "admissions > 0", "events", can_be_incomplete=False),
    "47": Contribution("p1", "dka_admissions > 0", "events", can_be_incomplete=False),
    # 48: a visit in P with status 1.
    "48": Event("p1", "extra_psychological_support", "a need for extra psychological support"),
    # 49: most recent stage ordered by ACR date, then visit date, then source row.
    "49": MostRecent("p1", "latest_albuminuria_stage", "latest_albuminuria_stage IN (2, 3)"),
}


# kpis.md §7 and §7.1: the 2026 dataset's rules, for periods from 1 April 2026. Every other
# measure keeps its 2021 rule. Most recent values come from one row: r, the row of the most
# recent `insulin_regimen`, also gives the medication and the dietary answer (even blank).
NO_MEDICATION = "= 1"
MEDICATION = "IN (2, 3, 4, 5)"  # metformin, GLP-1 receptor agonist, SGLT2 inhibitor, other


def regimen(insulin: str, medication: str, diet: str | None = None) -> MostRecent:
    """13-20 (2026): P1; r's `insulin_regimen` and `non_insulin_medication` (and for 19
    `dietary_lifestyle_modification`) match; no r: incomplete while C < E, failed after."""
    passes = f"latest_insulin_regimen {insulin} AND latest_regimen_medication {medication}"
    if diet:
        passes += f" AND latest_regimen_diet {diet}"
    return MostRecent("p1", "latest_insulin_regimen", passes)


RULES_2026: dict[str, Rule] = {
    **RULES,
    "13": regimen("= 2", NO_MEDICATION),  # 1-3 injections a day, no other medicine
    "14": regimen("= 3", NO_MEDICATION),  # 4+ injections a day
    "15": regimen("IN (4, 5)", NO_MEDICATION),  # pump, stand-alone or hybrid closed loop
    "16": regimen("= 2", MEDICATION),  # 1-3 injections + other medicine
    "17": regimen("= 3", MEDICATION),  # 4+ injections + other medicine
    "18": regimen("IN (4, 5)", MEDICATION),  # pump + other medicine
    "19": regimen("= 1", NO_MEDICATION, diet="= 1"),  # no insulin, no medicine, diet advised
    "20": regimen("= 1", MEDICATION),  # no insulin, other medicine
    "21": NotCollected(),  # flash glucose monitoring is not collected
    "22": MostRecent("p1", "latest_cgm_use", "latest_cgm_use = 1"),  # any CGM: a break
    "23": MostRecent("p3", "latest_cgm_use", "latest_cgm_use = 1"),  # any CGM (type 1)
    "24": MostRecent("p3", "latest_insulin_regimen", "latest_insulin_regimen = 5"),  # HCL
    # 35 keeps "a visit in P", with the 2026 statuses; 36 reads the same date (now the date
    # advice was offered), its companion being the children whose latest status is 2 or 4.
    "35": Event("p6", "smoking_vaping_recorded", "a smoking and vaping status"),
}
RULES_BY_DATASET: dict[int, dict[str, Rule]] = {2021: RULES, 2026: RULES_2026}


def rules_for(dataset_year: int) -> dict[str, Rule]:
    """The rule set of an audit period's dataset year (one definition per measure and year)."""
    return RULES_BY_DATASET[dataset_year]


# Measures some dataset does not collect: their areas may have null counts.
NOT_COLLECTED_SOMETIMES = frozenset(
    number
    for rules in RULES_BY_DATASET.values()
    for number, rule in rules.items()
    if isinstance(rule, NotCollected)
)
