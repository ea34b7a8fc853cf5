"""A child's state on every measure in words, with the date by which an incomplete one must be
done (issue 22): read from the same rules that scored it (`aggregation.measures`), so each
measure's population, window and event are defined once.

`explain` is for one child's record; `due_items` for a unit's worklist (every child and care
process not yet done: its due date only, as a unit's lists need it for every child, without the
words). Pure functions over a child's KPI row and dates: no queries.
"""

from dataclasses import dataclass
from datetime import date
from functools import cache

from constants.codes import dataset_year_for
from constants.kpis import MEASURES, MEASURES_BY_NUMBER, POPULATIONS, Polarity, name_for
from npda.data_model.models import KPIState

from .measures import (
    CheckBundle,
    Contribution,
    Event,
    Membership,
    MostRecent,
    NotCollected,
    Rule,
    rules_for,
)

# A measure's state in the words of its kind: the spec's states where passing is good (the
# care processes and other measures with a higher-is-better polarity); counted or not for the
# cohort counts (1-9); yes or no where passing is not a judgement or is bad (10-21, 48, 49:
# "failed" coeliac disease would read as a fault); contributor or not for 44 and 45; admitted
# or not for 46 and 47.
MEMBERSHIP_WORDS = {KPIState.PASSED: "counted", KPIState.INELIGIBLE: "not counted"}
DESCRIPTIVE_WORDS = {KPIState.PASSED: "yes", KPIState.FAILED: "no",
                     KPIState.INCOMPLETE: "not yet recorded"}  # fmt: skip
CONTRIBUTOR_WORDS = {KPIState.PASSED: "contributor", KPIState.FAILED: "not a contributor",
                     KPIState.INCOMPLETE: "not yet a contributor"}  # fmt: skip
ADMISSION_WORDS = {KPIState.PASSED: "admitted", KPIState.FAILED: "not admitted",
                   KPIState.INCOMPLETE: "not admitted"}  # fmt: skip
STATE_WORDS = {
    KPIState.PASSED: "passed",
    KPIState.FAILED: "failed",
    KPIState.INCOMPLETE: "incomplete",
    KPIState.INELIGIBLE: "not eligible",
    KPIState.NOT_AVAILABLE: "not collected",
}
NOT_DONE = frozenset({KPIState.INCOMPLETE, KPIState.FAILED})
# Care processes: the event measures a clinical team does something for (48 records a need).
NOT_A_CARE_PROCESS = frozenset({"48"})


@dataclass(frozen=True)
class ChildMeasure:
    number: str
    name: str
    state: str  # passed, failed, incomplete, not eligible, not collected
    reason: str
    due: date | None  # an incomplete or missed care process: the end of its window
    days_left: int | None  # to the due date as at today (negative: past it)

    @property
    def overdue(self) -> bool:
        return self.days_left is not None and self.days_left < 0


@dataclass(frozen=True, slots=True)
class DueItem:
    """A care process not done for one child: the end of its window and the days left to it
    (negative once the window has closed: missed)."""

    number: str
    name: str
    due: date
    days_left: int

    @property
    def overdue(self) -> bool:
        return self.days_left < 0


@dataclass(frozen=True)
class ChildFacts:
    """What the words need besides the states: the child's KPI row values (by field name),
    diagnosis date, and the most recent value of each `latest_...` field in words."""

    kpi: dict
    diagnosis: date | None
    latest: dict[str, str]  # e.g. {"latest_treatment": "Insulin pump"}
    contacts: int | None = None  # rows with a visit date in P as at C (None: not known)


@cache
def care_processes(dataset_year: int) -> tuple[str, ...]:
    return tuple(
        number
        for number, rule in rules_for(dataset_year).items()
        if isinstance(rule, Event) and number not in NOT_A_CARE_PROCESS
    )


def explain(
    facts: ChildFacts, period_end: date, audit_year: int, today: date
) -> list[ChildMeasure]:
    """Every measure of the period for one child."""
    rules = rules_for(audit_year_dataset(audit_year))
    return [
        _explain(m.number, name_for(m.number, audit_year), rules[m.number], facts, period_end,
                 today, m.population, m.polarity)
        for m in MEASURES
    ]  # fmt: skip


def due_items(
    kpi: dict, diagnosis: date | None, period_end: date, audit_year: int, today: date
) -> list[DueItem]:
    """The child's care processes not done that have a window: incomplete (due by the end of
    their window) or missed (the window has closed). `kpi` is the child's KPI row by field."""
    items = []
    for number, name, field_name, rule in _care_process_rules(audit_year):
        state = kpi.get(field_name)
        if state in NOT_DONE:
            due = _due(rule, state, diagnosis, period_end)
            if due is not None:
                items.append(DueItem(number, name, due, (due - today).days))
    return items


def care_process_fields(audit_year: int) -> tuple[str, ...]:
    """The KPI fields `due_items` reads."""
    return tuple(field_name for _, _, field_name, _ in _care_process_rules(audit_year))


@cache
def _care_process_rules(audit_year: int) -> tuple[tuple[str, str, str, Event], ...]:
    """Each care process of the year once: its number, name, KPI field and rule."""
    dataset = audit_year_dataset(audit_year)
    rules = rules_for(dataset)
    return tuple((number, name_for(number, audit_year), _field(number), rules[number])
                 for number in care_processes(dataset))  # fmt: skip


def audit_year_dataset(audit_year: int) -> int:
    return dataset_year_for(audit_year)


def _field(number: str) -> str:
    return MEASURES_BY_NUMBER[number].field_name


def _words(rule: Rule, polarity: Polarity) -> dict:
    if isinstance(rule, Membership):
        return MEMBERSHIP_WORDS
    if isinstance(rule, Contribution):
        return ADMISSION_WORDS if rule.value_kind == "events" else CONTRIBUTOR_WORDS
    return STATE_WORDS if polarity == Polarity.HIGHER_IS_BETTER else DESCRIPTIVE_WORDS


def _explain(number, name, rule: Rule, facts: ChildFacts, period_end, today, population,
             polarity: Polarity):  # fmt: skip
    state = KPIState(facts.kpi.get(_field(number), KPIState.INELIGIBLE))
    words = _words(rule, polarity).get(state, STATE_WORDS[state])
    if state == KPIState.NOT_AVAILABLE or isinstance(rule, NotCollected):
        return ChildMeasure(number, name, words, "Not collected in this year's dataset.",
                            None, None)  # fmt: skip
    if state == KPIState.INELIGIBLE:
        reason = _not_eligible(rule, population, facts, period_end)
        return ChildMeasure(number, name, words, reason, None, None)
    due = None
    if number not in NOT_A_CARE_PROCESS:
        due = _due(rule, state, facts.diagnosis, period_end)
    days = (due - today).days if due else None
    if state == KPIState.FAILED and days is not None and days >= 0:
        # Scored as at a day when the window had closed (C >= W) but today is its last day:
        # the event can still be done and dated today.
        state = KPIState.INCOMPLETE
    return ChildMeasure(number, name, words, _reason(rule, state, facts, due), due, days)


def _due(rule: Rule, state: KPIState, diagnosis: date | None, period_end: date) -> date | None:
    """The end of the window: for an incomplete measure, the date it must be done by; for a
    care process not done in time (failed), the date it was due by."""
    if isinstance(rule, Event) and not isinstance(rule, CheckBundle):
        if state in NOT_DONE:
            return rule.window_end_date(period_end, diagnosis)
        return None
    return period_end if state == KPIState.INCOMPLETE else None


def _not_eligible(rule: Rule, population: str, facts: ChildFacts, period_end: date) -> str:
    lead = "Not counted" if isinstance(rule, Membership) else "Not eligible"
    for condition in POPULATION_CONDITIONS.get(population, ()):
        if (reason := condition(facts, period_end)) is not None:
            return f"{lead}: {reason}."
    if isinstance(rule, Membership):
        return "Not counted."
    words = POPULATIONS.get(population, "")
    if not words:
        return "Not in this measure's population."
    return f"Not in this measure's population: {words[0].lower() + words[1:]}."


# Each population of kpis.md §2 as its conditions in order, each giving the words of the first
# one the child does not meet (None: met). The scoring itself is set-based SQL
# (aggregation.measures); these read its results from the child's KPI row (1-9 are the
# memberships), so the two cannot disagree on who is in.
def _passed(facts: ChildFacts, number: str) -> bool:
    return facts.kpi.get(_field(number)) == KPIState.PASSED


def _in_p1(facts: ChildFacts, period_end: date) -> str | None:
    if _passed(facts, "1"):
        return None
    age = facts.kpi.get("age_at_start")
    if age is not None and age >= 25:
        return "25 or over at the start of the year"
    if facts.contacts == 0:
        as_at = facts.kpi.get("calculation_date")
        return "no contact in the year" + (" yet" if as_at and as_at < period_end else "")
    return "no valid NHS number, date of birth or contact in the year"


def _type_1(facts: ChildFacts, _end: date) -> str | None:
    return None if facts.kpi.get("diabetes_type") == 1 else "not type 1 diabetes"


def _diagnosed_in_year(facts: ChildFacts, _end: date) -> str | None:
    return None if _passed(facts, "2") else "not diagnosed in this audit year"


def _complete_year(facts: ChildFacts, _end: date) -> str | None:
    if facts.diagnosis is None:
        return "no diagnosis date"
    if _passed(facts, "2"):
        return "diagnosed in this audit year"
    if _passed(facts, "9"):
        return "left the unit during the year"
    if _passed(facts, "8"):
        return "died during the year"
    return None


def _twelve_and_over(facts: ChildFacts, _end: date) -> str | None:
    age = facts.kpi.get("age_at_start")
    return None if age is not None and age >= 12 else "under 12 at the start of the year"


def _under_twelve(facts: ChildFacts, _end: date) -> str | None:
    age = facts.kpi.get("age_at_start")
    return None if age is not None and age < 12 else "12 or over at the start of the year"


def _seen(facts: ChildFacts, _end: date) -> str | None:
    return None if _passed(facts, "6") else "no measurement recorded in the year"


def _diagnosed_days_before_end(days: int):
    def condition(facts: ChildFacts, period_end: date) -> str | None:
        if facts.diagnosis is not None and (period_end - facts.diagnosis).days >= days:
            return None
        return f"diagnosed in the last {days} days of the year, too late to be counted"

    return condition


_P5 = (_in_p1, _type_1, _complete_year)
_P7 = (_in_p1, _type_1, _diagnosed_in_year)
POPULATION_CONDITIONS = {
    "P1": (_in_p1,),
    "P2": (_in_p1, _diagnosed_in_year),
    "P3": (_in_p1, _type_1),
    "P4": (_in_p1, _type_1, _twelve_and_over),
    "P5": _P5,
    "P5<12": (*_P5, _under_twelve),
    "P5>=12": (*_P5, _twelve_and_over),
    "P6": (*_P5, _twelve_and_over, _seen),
    "P7": _P7,
    "P7/90": (*_P7, _diagnosed_days_before_end(90)),
    "P7/14": (*_P7, _diagnosed_days_before_end(14)),
}


def _reason(rule: Rule, state: KPIState, facts: ChildFacts, due: date | None) -> str:
    if isinstance(rule, Membership):
        return "Counted."
    if isinstance(rule, CheckBundle):
        done = facts.kpi.get("health_checks_done", 0)
        expected = facts.kpi.get("health_checks_expected", 0)
        return f"{done} of {expected} health checks done." + _by(state, due)
    if isinstance(rule, Event):
        return _event_reason(rule, state, due)
    if isinstance(rule, MostRecent):
        return _most_recent_reason(rule, state, facts, due)
    if isinstance(rule, Contribution):
        return _contribution_reason(rule, state, facts)
    return ""


def _event_reason(rule: Event, state: KPIState, due: date | None) -> str:
    needs = rule.needs or "the event"
    if state == KPIState.PASSED:
        return f"Recorded: {needs}."
    if state == KPIState.INCOMPLETE:
        return f"Not recorded yet: {needs}." + _by(state, due)
    if due:
        return f"Missed: {needs} was due by {due:%-d %b %Y}."
    return f"Not recorded: {needs}."


def _by(state: KPIState, due: date | None) -> str:
    return f" Due by {due:%-d %b %Y}." if state == KPIState.INCOMPLETE and due else ""


def _most_recent_reason(rule: MostRecent, state, facts: ChildFacts, due) -> str:
    latest = facts.latest.get(rule.value)
    what = rule.value.removeprefix("latest_").replace("_", " ")
    if latest:
        return f"Most recent {what}: {latest}."
    if state == KPIState.INCOMPLETE:
        return f"No {what} recorded yet this year." + _by(state, due)
    return f"No {what} recorded in the year."


def _contribution_reason(rule: Contribution, state, facts: ChildFacts) -> str:
    kpi = facts.kpi
    if rule.value_kind == "events":
        count = kpi.get("dka_admissions" if "dka" in rule.contributes else "admissions", 0)
        kind = "DKA admission" if "dka" in rule.contributes else "admission"
        return f"{count} {kind}{'s' if count != 1 else ''} in the year."
    median = kpi.get("hba1c_median")
    if median is not None:
        return f"Contributes a median HbA1c of {median:.1f} mmol/mol."
    yet = " yet" if state == KPIState.INCOMPLETE else ""
    return f"No HbA1c more than 90 days after diagnosis in the year{yet}, so none to contribute."
