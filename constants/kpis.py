"""The KPI registry: every audit measure of kpis.md §4, defined once.

The registry drives the `Measure` lookup table (seeded in a migration), the per-measure state
columns of `KPI`, and every list or chart that names a measure.
"""

from dataclasses import dataclass
from enum import StrEnum


class MeasureKind(StrEnum):
    COUNT = "count"  # cohort counts 1-12
    PROPORTION = "proportion"
    CHECK_PROPORTION = "check_proportion"  # 32.1: checks done / checks expected
    MEAN = "mean"  # 44
    MEDIAN = "median"  # 45
    EVENT_COUNT = "event_count"  # 46, 47: admissions, not children


class Polarity(StrEnum):
    HIGHER_IS_BETTER = "up"
    LOWER_IS_BETTER = "down"
    NO_JUDGEMENT = "none"
    CONTEXT = "n/a"  # context count, never benchmarked


class MeasureGroup(StrEnum):
    COHORT = "Cohort counts"
    TREATMENT = "Treatment regimen"
    GLUCOSE_MONITORING = "Glucose monitoring"
    CLOSED_LOOP = "Hybrid closed loop"
    KEY_CARE_PROCESSES = "Key care processes"
    ADDITIONAL_CARE_PROCESSES = "Additional care processes"
    CARE_AT_DIAGNOSIS = "Care at diagnosis"
    OUTCOMES = "Outcomes"


@dataclass(frozen=True)
class Measure:
    number: str  # "1" ... "49", with "32.1", "32.2", "32.3"
    name: str
    kind: MeasureKind
    polarity: Polarity
    group: MeasureGroup
    population: str  # the denominator population of kpis.md §2

    @property
    def field_name(self) -> str:
        """Column of the measure's per-child state on `KPI`, e.g. kpi_32_1."""
        return "kpi_" + self.number.replace(".", "_")

    @property
    def sort_key(self) -> tuple[int, int]:
        major, _, minor = self.number.partition(".")
        return int(major), int(minor or 0)


C, P, CP = MeasureKind.COUNT, MeasureKind.PROPORTION, MeasureKind.CHECK_PROPORTION
UP, DOWN, NONE, NA = (
    Polarity.HIGHER_IS_BETTER,
    Polarity.LOWER_IS_BETTER,
    Polarity.NO_JUDGEMENT,
    Polarity.CONTEXT,
)
G = MeasureGroup

MEASURES: tuple[Measure, ...] = (
    Measure("1", "Eligible children", C, NA, G.COHORT, "P1"),
    Measure("2", "New diagnoses (all types)", C, NA, G.COHORT, "P2"),
    Measure("3", "Type 1", C, NA, G.COHORT, "P3"),
    Measure("4", "Type 1, aged 12+", C, NA, G.COHORT, "P4"),
    Measure("5", "Type 1, complete year of care", C, NA, G.COHORT, "P5"),
    Measure("6", "Type 1, complete year of care, aged 12+", C, NA, G.COHORT, "P6"),
    Measure("7", "New type 1 diagnoses", C, NA, G.COHORT, "P7"),
    Measure("8", "Deaths", C, NA, G.COHORT, "P1"),
    Measure("9", "Left the unit", C, NA, G.COHORT, "P1"),
    Measure("10", "Coeliac disease", C, NONE, G.COHORT, "P1"),
    Measure("11", "Thyroid disease", C, NONE, G.COHORT, "P1"),
    Measure("12", "Using blood ketone testing", C, UP, G.COHORT, "P1"),
    Measure("13", "1-3 injections per day", P, NONE, G.TREATMENT, "P1"),
    Measure("14", "4+ injections per day", P, NONE, G.TREATMENT, "P1"),
    Measure("15", "Insulin pump", P, NONE, G.TREATMENT, "P1"),
    Measure("16", "1-3 injections + other medicine", P, NONE, G.TREATMENT, "P1"),
    Measure("17", "4+ injections + other medicine", P, NONE, G.TREATMENT, "P1"),
    Measure("18", "Insulin pump + other medicine", P, NONE, G.TREATMENT, "P1"),
    Measure("19", "Dietary management alone", P, NONE, G.TREATMENT, "P1"),
    Measure("20", "Diet + other glucose-lowering medicine", P, NONE, G.TREATMENT, "P1"),
    Measure("21", "Flash glucose monitor", P, NONE, G.GLUCOSE_MONITORING, "P1"),
    Measure("22", "Real-time CGM with alarms (all types)", P, UP, G.GLUCOSE_MONITORING, "P1"),
    Measure("23", "Real-time CGM with alarms (type 1)", P, UP, G.GLUCOSE_MONITORING, "P3"),
    Measure("24", "Hybrid closed loop (type 1)", P, UP, G.CLOSED_LOOP, "P3"),
    Measure("25", "HbA1c", P, UP, G.KEY_CARE_PROCESSES, "P5"),
    Measure("26", "BMI (height and weight)", P, UP, G.KEY_CARE_PROCESSES, "P5"),
    Measure("27", "Thyroid function", P, UP, G.KEY_CARE_PROCESSES, "P5"),
    Measure("28", "Blood pressure", P, UP, G.KEY_CARE_PROCESSES, "P6"),
    Measure("29", "Urinary albumin", P, UP, G.KEY_CARE_PROCESSES, "P6"),
    Measure("30", "Retinal screening", P, UP, G.KEY_CARE_PROCESSES, "P6"),
    Measure("31", "Foot examination", P, UP, G.KEY_CARE_PROCESSES, "P6"),
    Measure("32.1", "Health-check completion rate", CP, UP, G.KEY_CARE_PROCESSES, "P5"),
    Measure("32.2", "All health checks, under 12", P, UP, G.KEY_CARE_PROCESSES, "P5<12"),
    Measure("32.3", "All health checks, 12 and over", P, UP, G.KEY_CARE_PROCESSES, "P5>=12"),
    Measure("33", "HbA1c 4+ times", P, UP, G.ADDITIONAL_CARE_PROCESSES, "P5"),
    Measure("34", "Psychological assessment", P, UP, G.ADDITIONAL_CARE_PROCESSES, "P5"),
    Measure("35", "Smoking status recorded", P, UP, G.ADDITIONAL_CARE_PROCESSES, "P6"),
    Measure(
        "36", "Offered referral to smoking cessation", P, UP, G.ADDITIONAL_CARE_PROCESSES, "P6"
    ),
    Measure("37", "Offered extra dietetic appointment", P, UP, G.ADDITIONAL_CARE_PROCESSES, "P5"),
    Measure("38", "Attended extra dietetic appointment", P, UP, G.ADDITIONAL_CARE_PROCESSES, "P5"),
    Measure("39", "Flu immunisation recommended", P, UP, G.ADDITIONAL_CARE_PROCESSES, "P5"),
    Measure("40", "Sick-day rules advice", P, UP, G.ADDITIONAL_CARE_PROCESSES, "P1"),
    Measure("41", "Coeliac screen at diagnosis", P, UP, G.CARE_AT_DIAGNOSIS, "P7/90"),
    Measure("42", "Thyroid screen at diagnosis", P, UP, G.CARE_AT_DIAGNOSIS, "P7/90"),
    Measure("43", "Carbohydrate-counting education", P, UP, G.CARE_AT_DIAGNOSIS, "P7/14"),
    Measure("44", "Mean HbA1c", MeasureKind.MEAN, DOWN, G.OUTCOMES, "P1"),
    Measure("45", "Median HbA1c", MeasureKind.MEDIAN, DOWN, G.OUTCOMES, "P1"),
    Measure("46", "Hospital admissions", MeasureKind.EVENT_COUNT, DOWN, G.OUTCOMES, "P1"),
    Measure("47", "DKA admissions", MeasureKind.EVENT_COUNT, DOWN, G.OUTCOMES, "P1"),
    Measure("48", "Needed extra psychological support", P, NONE, G.OUTCOMES, "P1"),
    Measure("49", "Albuminuria", P, DOWN, G.OUTCOMES, "P1"),
)

MEASURES_BY_NUMBER: dict[str, Measure] = {m.number: m for m in MEASURES}

# The front page of an area report. The spec names no headline set: these are the figures the
# NPDA annual report leads with (children, HbA1c, the care processes, technology, admissions).
HEADLINE_MEASURES = ("1", "44", "45", "32.1", "32.3", "22", "24", "47")

# The denominator populations of kpis.md §2, in words.
POPULATIONS: dict[str, str] = {
    "P1": "Eligible: in the unit's submission, a valid NHS number (or Jersey reference), a valid "
    "date of birth, under 25 at the start of the year, and a visit in the year",
    "P2": "Eligible children diagnosed in the year (all diabetes types)",
    "P3": "Eligible children with type 1 diabetes",
    "P4": "Type 1, aged 12 and over at the start of the year",
    "P5": "Type 1 with a complete year of care: diagnosed before the year, and neither left "
    "the unit nor died in it",
    "P5<12": "Type 1 complete year of care, under 12 at the start of the year",
    "P5>=12": "Type 1 complete year of care, 12 and over at the start of the year",
    "P6": "Type 1 complete year of care, 12 and over, seen with at least one measurement in "
    "the year",
    "P7": "Eligible type 1 children diagnosed in the year",
    "P7/90": "Type 1 children diagnosed in the year, at least 90 days before its end",
    "P7/14": "Type 1 children diagnosed in the year, at least 14 days before its end",
}

# What each measure counts (kpis.md §4), for every page, export and API response.
DEFINITIONS: dict[str, str] = {
    "1": "Children in P1: the audit's eligible children.",
    "2": "Eligible children with a diagnosis date in the year (any diabetes type).",
    "3": "Eligible children with type 1 diabetes.",
    "4": "Eligible children with type 1 diabetes aged 12 and over at the start of the year.",
    "5": "Type 1 children with a complete year of care (diagnosed before the year; did not "
    "leave or die during it).",
    "6": "Type 1 children with a complete year of care, aged 12 and over, seen with a "
    "measurement in the year.",
    "7": "Eligible children newly diagnosed with type 1 diabetes in the year.",
    "8": "Eligible children who died during the year.",
    "9": "Eligible children who left the unit during the year, for any reason.",
    "10": "Eligible children whose most recent answer is that a gluten-free diet was "
    "recommended (coeliac disease).",
    "11": "Eligible children whose most recent thyroid treatment is thyroxine or an "
    "antithyroid drug.",
    "12": "Eligible children whose most recent record shows blood ketone testing.",
    "13": "% of eligible children whose most recent treatment is 1-3 insulin injections a day.",
    "14": "% of eligible children whose most recent treatment is 4 or more injections a day.",
    "15": "% of eligible children whose most recent treatment is an insulin pump.",
    "16": "% of eligible children on 1-3 injections a day plus another glucose-lowering medicine.",
    "17": "% of eligible children on 4 or more injections a day plus another medicine.",
    "18": "% of eligible children on an insulin pump plus another medicine.",
    "19": "% of eligible children managed by diet alone.",
    "20": "% of eligible children on diet plus another glucose-lowering medicine (no insulin).",
    "21": "% of eligible children whose most recent glucose monitoring is a flash monitor.",
    "22": "% of eligible children (all types) whose most recent glucose monitoring is a "
    "real-time CGM with alarms.",
    "23": "% of eligible type 1 children whose most recent glucose monitoring is a real-time "
    "CGM with alarms.",
    "24": "% of eligible type 1 children whose most recent treatment is a pump with a "
    "hybrid closed-loop system (read from the same record).",
    "25": "% of type 1 children with a complete year of care with an HbA1c in the year.",
    "26": "% of type 1 children with a complete year of care with a height and weight "
    "measured on the same date in the year.",
    "27": "% of type 1 children with a complete year of care with a thyroid function test in "
    "the year.",
    "28": "% of type 1 children aged 12+ (complete year, seen) with a blood pressure in the year.",
    "29": "% of type 1 children aged 12+ (complete year, seen) with a urinary albumin (ACR) "
    "in the year.",
    "30": "% of type 1 children aged 12+ (complete year, seen) with a retinal screening result "
    "in the year.",
    "31": "% of type 1 children aged 12+ (complete year, seen) with a foot examination in the "
    "year.",
    "32.1": "Health checks done as a % of those expected: 3 per type 1 child under 12 (HbA1c, "
    "BMI, thyroid) and 6 per child 12 and over (also blood pressure, urinary albumin, foot "
    "examination), over children with a complete year of care.",
    "32.2": "% of type 1 children under 12 with a complete year of care who had all 3 health "
    "checks.",
    "32.3": "% of type 1 children 12 and over with a complete year of care who had all 6 "
    "health checks.",
    "33": "% of type 1 children with a complete year of care with HbA1c measured on 4 or more "
    "dates in the year.",
    "34": "% of type 1 children with a complete year of care with a psychological assessment "
    "in the year.",
    "35": "% of type 1 children aged 12+ (complete year, seen) with smoking status recorded at "
    "a visit in the year.",
    "36": "% of type 1 children aged 12+ (complete year, seen) offered referral to smoking "
    "cessation in the year (the rate among current smokers is shown beside it).",
    "37": "% of type 1 children with a complete year of care offered an additional dietetic "
    "appointment at a visit in the year.",
    "38": "% of type 1 children with a complete year of care who attended an additional "
    "dietetic appointment in the year.",
    "39": "% of type 1 children with a complete year of care for whom flu immunisation was "
    "recommended in the year.",
    "40": "% of eligible children given sick-day rules advice in the year.",
    "41": "% of new type 1 diagnoses (at least 90 days before the year's end) screened for "
    "coeliac disease within 90 days of diagnosis.",
    "42": "% of new type 1 diagnoses (at least 90 days before the year's end) with a thyroid "
    "screen within 90 days of diagnosis.",
    "43": "% of new type 1 diagnoses (at least 14 days before the year's end) given level 3 "
    "carbohydrate-counting education from 7 days before to 14 days after diagnosis.",
    "44": "Mean of the children's median HbA1c (mmol/mol) in the year, leaving out results in "
    "the first 90 days after diagnosis.",
    "45": "Median of the children's median HbA1c (mmol/mol) in the year, leaving out results "
    "in the first 90 days after diagnosis.",
    "46": "Hospital admissions (distinct spells starting or ending in the year) of eligible "
    "children, per 100 children.",
    "47": "Admissions with diabetic ketoacidosis (DKA) of eligible children, per 100 children.",
    "48": "% of eligible children assessed at a visit in the year as needing additional "
    "psychological support.",
    "49": "% of eligible children whose most recent albuminuria stage (by test date) is "
    "micro- or macroalbuminuria.",
}
assert set(DEFINITIONS) == {m.number for m in MEASURES}

# The unit of each kind's published value.
VALUE_UNITS: dict[MeasureKind, str] = {
    MeasureKind.COUNT: "children",
    MeasureKind.PROPORTION: "%",
    MeasureKind.CHECK_PROPORTION: "% of checks",
    MeasureKind.MEAN: "mmol/mol",
    MeasureKind.MEDIAN: "mmol/mol",
    MeasureKind.EVENT_COUNT: "per 100 children",
}


# Changes of a measure with the 2026 dataset (kpis.md §7 and §7.1), for every view of a trend
# and the read API: a measure not collected from a dataset year, or whose values from that
# year are not comparable with the years before.
@dataclass(frozen=True)
class DatasetChange:
    dataset_year: int  # the dataset, used from the audit year starting 1 April of this year
    collected: bool
    comparable_with_earlier_years: bool
    note: str
    name: str = ""  # the measure's name from that dataset, when it changes


DATASET_CHANGES: dict[str, DatasetChange] = {
    "21": DatasetChange(
        2026,
        collected=False,
        comparable_with_earlier_years=False,
        note="Not collected from 2026–27: the 2026 dataset does not record flash glucose "
        "monitoring.",
    ),
    **{
        number: DatasetChange(
            2026,
            collected=True,
            comparable_with_earlier_years=False,
            note="From 2026–27 any continuous glucose monitor (CGM) counts; before, only "
            "real-time CGM with alarms. Not comparable with earlier years.",
            name=name,
        )
        for number, name in (("22", "Any CGM (all types)"), ("23", "Any CGM (type 1)"))
    },
}


def dataset_change(number: str, dataset_year: int) -> DatasetChange | None:
    """The change that applies to a measure in a dataset year's results, if any."""
    change = DATASET_CHANGES.get(number)
    return change if change and dataset_year >= change.dataset_year else None


def is_collected(number: str, dataset_year: int) -> bool:
    change = dataset_change(number, dataset_year)
    return change is None or change.collected


def breaks_between(number: str, earlier_year: int, later_year: int) -> bool:
    """Whether a trend of the measure from one audit year to a later one crosses a break in
    its definition (the audit years' start years; 2026 dataset from 2026)."""
    change = DATASET_CHANGES.get(number)
    return bool(change) and earlier_year < change.dataset_year <= later_year


def name_for(number: str, audit_year: int) -> str:
    """The measure's name as a year's results call it (22, 23: "Any CGM" from 2026-27)."""
    change = dataset_change(number, 2026 if audit_year >= 2026 else 2021)
    return (change.name if change else "") or MEASURES_BY_NUMBER[number].name


def definition_for(number: str, audit_year: int) -> str:
    """The measure's definition as a year's results read it, with any dataset change noted."""
    change = dataset_change(number, 2026 if audit_year >= 2026 else 2021)
    return DEFINITIONS[number] + (f" {change.note}" if change else "")
