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
