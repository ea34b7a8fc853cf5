"""The standard breakdowns of kpis.md §6 and the companion figures of §3.2, §4.5 and §4.7, as
published in a release: one row per area, measure, breakdown and category.

`additive` breakdowns have categories (including "not recorded") that add up to the measure's
total, which makes them a disclosure-control constraint (disclosure-control.md §4).
"""

from dataclasses import dataclass

from constants.codes import (
    AdhdAsdStatus,
    EthnicityGroup,
    PsychologicalSupportOutcome,
    Sex,
    YesNoUnknown,
)
from constants.kpis import MEASURES, MeasureKind

NOT_RECORDED = ("not_recorded", "Not recorded")


@dataclass(frozen=True)
class Breakdown:
    key: str
    label: str
    categories: tuple[tuple[str, str], ...]  # (code, label)
    measures: tuple[str, ...]  # the measure numbers it is published for
    additive: bool = True
    of_children: bool = True  # a child attribute: pooled like the states (else a companion)
    from_dataset_year: int = 2021  # published for periods of this dataset year onwards

    @property
    def category_codes(self) -> tuple[str, ...]:
        return tuple(code for code, _ in self.categories)


# Equity views: KPI 1 (case mix) and every proportion or value KPI (kpis.md §6).
_VALUE_KINDS = (
    MeasureKind.PROPORTION,
    MeasureKind.CHECK_PROPORTION,
    MeasureKind.MEAN,
    MeasureKind.MEDIAN,
)
EQUITY_MEASURES = ("1", *(m.number for m in MEASURES if m.kind in _VALUE_KINDS))
AGE_MEASURES = ("1", "3", "32.1", "32.2", "32.3")

BREAKDOWNS: tuple[Breakdown, ...] = (
    Breakdown(
        "age_12",
        "Age at the start of the year: under 12 / 12 and over",
        (("under_12", "Under 12"), ("12_and_over", "12 and over")),
        AGE_MEASURES,
    ),
    Breakdown(
        "age_16",
        "Age at the start of the year: under 16 / 16 and over",
        (("under_16", "Under 16"), ("16_and_over", "16 and over")),
        AGE_MEASURES,
    ),
    Breakdown(
        "diabetes_type",
        "Diabetes type",
        (("1", "Type 1"), ("2", "Type 2"), ("other", "Other types"), NOT_RECORDED),
        ("1", "44", "45"),
    ),
    Breakdown(
        "sex",
        "Sex",
        (*((str(s.value), s.label) for s in Sex), NOT_RECORDED),
        EQUITY_MEASURES,
    ),
    Breakdown(
        "ethnicity_group",
        "Ethnicity group",
        (*((g.value, g.label) for g in EthnicityGroup), NOT_RECORDED),
        EQUITY_MEASURES,
    ),
    Breakdown(
        "imd_quintile",
        "Deprivation (IMD quintile within each nation; 1 = most deprived)",
        (*((str(q), str(q)) for q in range(1, 6)), NOT_RECORDED),
        EQUITY_MEASURES,
    ),
    Breakdown(
        "quarter",
        "Quarter of the audit year (diagnosis, leaving or admission date)",
        (
            ("Q1", "April to June"),
            ("Q2", "July to September"),
            ("Q3", "October to December"),
            ("Q4", "January to March"),
        ),
        ("2", "9", "46", "47"),
        of_children=False,
    ),
    Breakdown(
        "leaving_reason",
        "Reason for leaving the unit",
        (
            ("1", "Transitioned to adult services"),
            ("2", "Moved out of the area"),
            ("3", "Other"),
            NOT_RECORDED,
        ),
        ("9",),
        of_children=False,
    ),
    Breakdown(
        "current_smokers",
        "Companion figure: current smokers (P6 children whose most recent status is smoker)",
        (("current_smokers", "Current smokers"),),
        ("36",),
        additive=False,
        of_children=False,
    ),
    Breakdown(
        "children",
        "Companion figure: children with at least one qualifying admission",
        (("with_admission", "Children with at least one admission"),),
        ("46", "47"),
        additive=False,
        of_children=False,
    ),
    Breakdown(
        "diagnosis",
        "Companion figure: admissions starting within 90 days of diagnosis",
        (("within_90_days", "Within 90 days of diagnosis"),),
        ("46", "47"),
        additive=False,
        of_children=False,
    ),
)


def _codes(choices) -> tuple[tuple[str, str], ...]:
    return (*((str(c.value), c.label) for c in choices), NOT_RECORDED)


# The descriptive figures of the 2026 dataset (kpis.md §7, §7.1), over P1: KPI 1 by each item.
DESCRIPTIVE_BREAKDOWNS: tuple[Breakdown, ...] = (
    Breakdown(
        "adhd_asd",
        "Diagnosis of ADHD or autism spectrum disorder (ASD) (2026 dataset)",
        _codes(AdhdAsdStatus),
        ("1",),
        from_dataset_year=2026,
    ),
    Breakdown(
        "learning_disability",
        "Diagnosis of a learning disability (2026 dataset)",
        _codes(YesNoUnknown),
        ("1",),
        from_dataset_year=2026,
    ),
    Breakdown(
        "immunotherapy",
        "Immunotherapy received before or after the diagnosis of stage 3 type 1 diabetes "
        "(most recent answer; 2026 dataset)",
        _codes(YesNoUnknown),
        ("1",),
        from_dataset_year=2026,
    ),
    Breakdown(
        "support_outcome",
        "Extra appointment with a mental health professional in the diabetes MDT: outcome "
        "(most recent in the year; 2026 dataset)",
        _codes(PsychologicalSupportOutcome),
        ("1",),
        from_dataset_year=2026,
    ),
    Breakdown(
        "first_blood_gas",
        "First pH and standard bicarbonate (mmol/l) on qualifying DKA admissions: quartiles "
        "over the admissions with a value; the count is the children they belong to (2026 "
        "dataset)",
        (
            ("ph_q1", "pH, lower quartile"),
            ("ph_median", "pH, median"),
            ("ph_q3", "pH, upper quartile"),
            ("bicarbonate_q1", "Bicarbonate, lower quartile"),
            ("bicarbonate_median", "Bicarbonate, median"),
            ("bicarbonate_q3", "Bicarbonate, upper quartile"),
        ),
        ("47",),
        additive=False,
        of_children=False,
        from_dataset_year=2026,
    ),
)
BREAKDOWNS += DESCRIPTIVE_BREAKDOWNS
BREAKDOWNS_BY_KEY: dict[str, Breakdown] = {b.key: b for b in BREAKDOWNS}
EQUITY_BREAKDOWNS = ("sex", "ethnicity_group", "imd_quintile")
# Equity views compare groups of children in areas large enough for them: the equity breakdowns
# of outcomes and care processes are published for these levels. Units, trusts and OPEN UK
# networks get the case mix only (KPI 1 by group): their outcomes by group would be almost all
# suppressed, and a unit sees its own in its live view.
EQUITY_LEVELS = ("national", "country", "region", "icb", "lhb", "network")
CASE_MIX_MEASURE = "1"
CHILD_BREAKDOWNS = tuple(b for b in BREAKDOWNS if b.of_children)
