"""BMI and the height, weight and BMI SDS and centiles of one clinic contact (data dictionary §8).

The NPDA reports growth on the UK-WHO reference, the one behind the RCPCH Digital Growth Charts,
so the values come from RCPCH's own package, `rcpchgrowth`, rather than from LMS tables copied
here: the reference, its joins (UK90 preterm, WHO 2006, UK90 child) and its plausibility limits
(±8 SD for height and weight, ±15 SD for BMI) then stay as RCPCH publishes them. The package is
AGPL-3.0-or-later (the ADR on growth references records what that asks of the platform).

Importing it loads scipy and the reference tables (0.9 s in a fresh process, 0.06 s once scipy is
loaded, as it is in the web app), so it is imported on the first call, not with this module. A
contact saved by a web form is scored as it is saved; CSV uploads leave these values empty for
now (too slow inline for a large unit's file).

The NPDA's rules: term gestation; the height and weight's own observation date; sex 1 male and
2 female, any other answer gives the BMI alone; from age 20 the reference (which ends at 20) is
evaluated on the day before the 20th birthday; SDS and centile 1 dp half up, the centile kept
within 0.1 to 99.9. A value the reference cannot score, or flags as an error, is given no SDS or
centile, and the reason becomes a note: never an exception.
"""

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from constants.codes import Sex
from npda.submissions.store import derived_bmi

REFERENCE_SEX = {Sex.MALE: "male", Sex.FEMALE: "female"}
METHODS = ("height", "weight", "bmi")  # rcpchgrowth's HEIGHT, WEIGHT and BMI
ONE_DP = Decimal("0.1")
LOWEST_CENTILE, HIGHEST_CENTILE = 0.1, 99.9

NEEDS_SEX_AND_BIRTH = "Centiles need the sex (male or female) and date of birth."
NEEDS_DATE = "Centiles need the date the height and weight were measured."
BEFORE_BIRTH = "Centiles need a measurement date on or after the date of birth."
FROM_TWENTY = (
    "Centiles are for the day before the 20th birthday: the UK-WHO reference ends at 20 years."
)
BMI_WITHOUT_CENTILE = "No BMI centile: the reference could not score the height or weight."


@dataclass(frozen=True)
class GrowthValues:
    """The derived values of one contact (each `decimal(4,1)` on Visit) and notes to show."""

    bmi: Decimal | None = None
    bmi_sds: Decimal | None = None
    bmi_centile: Decimal | None = None
    height_sds: Decimal | None = None
    height_centile: Decimal | None = None
    weight_sds: Decimal | None = None
    weight_centile: Decimal | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Scored:
    """One measurement on the reference: its SDS and centile, or why there are none."""

    sds: Decimal | None = None
    centile: Decimal | None = None
    note: str | None = None


def growth_values(
    sex: int | None,
    birth: date | None,
    observed: date | None,
    height: Decimal | None,
    weight: Decimal | None,
) -> GrowthValues:
    """BMI, and the SDS and centile of each measurement given, on the UK-WHO reference."""
    bmi = derived_bmi({"height": height, "weight": weight})
    measured = {m: v for m, v in zip(METHODS, (height, weight, bmi), strict=True) if v is not None}
    if not measured:
        return GrowthValues(bmi=bmi)
    if blocked := _cannot_score(sex, birth, observed):
        return GrowthValues(bmi=bmi, notes=(blocked,))
    assert birth is not None and observed is not None  # for the type checker
    on, notes = _evaluation_date(birth, observed)
    scored: dict[str, _Scored] = {}
    for method, value in measured.items():
        if method == "bmi" and any(s.note for s in scored.values()):
            scored[method] = _Scored(note=BMI_WITHOUT_CENTILE)
        else:
            scored[method] = _score(REFERENCE_SEX[sex], birth, on, method, value)
    values = {f"{m}_{k}": getattr(s, k) for m, s in scored.items() for k in ("sds", "centile")}
    notes += tuple(s.note for s in scored.values() if s.note)
    return GrowthValues(bmi=bmi, notes=notes, **values)


def _cannot_score(sex: int | None, birth: date | None, observed: date | None) -> str | None:
    if sex not in REFERENCE_SEX or birth is None:
        return NEEDS_SEX_AND_BIRTH
    if observed is None:
        return NEEDS_DATE
    return BEFORE_BIRTH if observed < birth else None


def _evaluation_date(birth: date, observed: date) -> tuple[date, tuple[str, ...]]:
    """The observation date, or the day before the 20th birthday from then on."""
    try:
        twentieth = birth.replace(year=birth.year + 20)
    except ValueError:  # born on 29 February, and the 20th year is not a leap year
        twentieth = date(birth.year + 20, 3, 1)
    last = twentieth - timedelta(days=1)
    return (last, (FROM_TWENTY,)) if observed > last else (observed, ())


def _score(sex: str, birth: date, on: date, method: str, value: Decimal) -> _Scored:
    if value <= 0:  # the package's LMS formula has no answer for these
        return _Scored(note=f"No {method} centile: the {method} must be more than 0.")
    from rcpchgrowth import Measurement, chronological_decimal_age
    from rcpchgrowth.constants import UK_WHO
    from rcpchgrowth.uk_who import reference_data_absent

    # Checked first: past its limits the package prints its message as well as returning it.
    absent, why = reference_data_absent(chronological_decimal_age(birth, on), method, sex)
    if absent:
        return _Scored(note=why)
    try:
        found = Measurement(
            sex=sex,
            birth_date=birth,
            observation_date=on,
            measurement_method=method,
            observation_value=float(value),
            reference=UK_WHO,
        ).measurement
    except (LookupError, ValueError, ArithmeticError) as err:
        return _Scored(note=f"No {method} centile: {err}")
    return _scored(method, found)


def _scored(method: str, found: dict) -> _Scored:
    error = found["child_observation_value"]["observation_value_error"]
    calculated = found["measurement_calculated_values"]
    sds, centile = calculated["chronological_sds"], calculated["chronological_centile"]
    if error or not _finite(sds) or not _finite(centile):
        why = error or calculated["chronological_measurement_error"] or "not possible to calculate"
        return _Scored(note=why if error else f"No {method} centile: {why}")
    centile = min(max(centile, LOWEST_CENTILE), HIGHEST_CENTILE)
    return _Scored(sds=_one_dp(sds), centile=_one_dp(centile))


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


def _one_dp(x: float) -> Decimal:  # the package gives numpy floats too
    """1 dp, half up, from the float's shortest decimal form; -0.0 becomes 0.0."""
    rounded = Decimal(repr(float(x))).quantize(ONE_DP, rounding=ROUND_HALF_UP)
    return abs(rounded) if rounded.is_zero() else rounded
