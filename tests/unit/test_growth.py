"""BMI and the UK-WHO SDS and centiles of a contact (data dictionary §8, csv-submission §6.3)."""

import ast
from dataclasses import FrozenInstanceError
from datetime import date
from decimal import Decimal
from pathlib import Path
from statistics import NormalDist

import pytest

from npda.submissions import growth
from npda.submissions.growth import GrowthValues, growth_values

D = Decimal
MALE, FEMALE = 1, 2
# A boy measured on the day he is exactly 8.0 years old (2922 days = 8 * 365.25), an age the
# UK90 child table lists, so the reference's LMS values at 8.0 y apply without interpolation.
BOY_BORN, BOY_AT_8 = date(2010, 1, 1), date(2018, 1, 1)
# UK90 (Cole, Freeman and Preece 1998), boys at 8.0 years: (L, M, S).
UK90_BOYS_8Y = {
    "height": (1, 127.85, 0.04284),
    "weight": (-1.005, 25.63, 0.14522),
    "bmi": (-1.818, 15.748, 0.09749),
}


def lms(method: str, value: float) -> tuple[Decimal, Decimal]:
    """SDS and centile worked out from the published LMS values, independently of the package."""
    l, m, s = UK90_BOYS_8Y[method]  # noqa: E741 (the LMS method's own name)
    z = ((value / m) ** l - 1) / (l * s)
    centile = NormalDist().cdf(z) * 100
    return D(f"{z:.1f}") + 0, D(f"{centile:.1f}")  # "+ 0" turns -0.0 into 0.0


def test_a_boy_on_the_50th_centile_has_sds_0_and_centile_50():
    values = growth_values(MALE, BOY_BORN, BOY_AT_8, D("127.85"), D("25.63"))
    assert (values.height_sds, values.height_centile) == (D("0.0"), D("50.0"))
    assert (values.weight_sds, values.weight_centile) == (D("0.0"), D("50.0"))
    assert values.bmi == D("15.7")  # 25.63 / 1.2785² = 15.68
    assert (values.bmi_sds, values.bmi_centile) == lms("bmi", 15.7) == (D("0.0"), D("48.7"))
    assert values.notes == ()


@pytest.mark.parametrize(
    ("height", "weight", "expected_height", "expected_weight"),
    [
        # +2 SD height (M * (1 + 2S)): centile 97.7; weight at +1.5 SD: centile 93.3.
        ("138.80", "32.77", (D("2.0"), D("97.7")), (D("1.5"), D("93.3"))),
        ("120.00", "22.00", lms("height", 120.0), lms("weight", 22.0)),
    ],
)
def test_values_agree_with_the_published_lms_tables(
    height, weight, expected_height, expected_weight
):
    values = growth_values(MALE, BOY_BORN, BOY_AT_8, D(height), D(weight))
    assert (values.height_sds, values.height_centile) == expected_height
    assert (values.weight_sds, values.weight_centile) == expected_weight
    assert (values.bmi_sds, values.bmi_centile) == lms("bmi", float(values.bmi))


# The children of the design notes' example (/tmp/rg_example.py), with the package's values.
EXAMPLES = {
    "girl of 10": (
        (FEMALE, date(2014, 6, 15), date(2024, 6, 10), D("140.2"), D("35.4")),
        GrowthValues(
            bmi=D("18.0"),
            bmi_sds=D("0.5"),
            bmi_centile=D("68.6"),
            height_sds=D("0.3"),
            height_centile=D("61.4"),
            weight_sds=D("0.5"),
            weight_centile=D("69.0"),
        ),
    ),
    "boy of 15 (height SDS -0.04: 0.0, never -0.0)": (
        (MALE, date(2009, 1, 3), date(2024, 9, 1), D("172.0"), D("61.5")),
        GrowthValues(
            bmi=D("20.8"),
            bmi_sds=D("0.4"),
            bmi_centile=D("66.7"),
            height_sds=D("0.0"),
            height_centile=D("49.4"),
            weight_sds=D("0.2"),
            weight_centile=D("59.8"),
        ),
    ),
    "man of 22, scored on the day before his 20th birthday": (
        (MALE, date(2002, 5, 1), date(2024, 9, 1), D("178.0"), D("75.0")),
        GrowthValues(
            bmi=D("23.7"),
            bmi_sds=D("0.6"),
            bmi_centile=D("73.2"),
            height_sds=D("0.1"),
            height_centile=D("53.8"),
            weight_sds=D("0.6"),
            weight_centile=D("71.4"),
            notes=(growth.FROM_TWENTY,),
        ),
    ),
    "girl of 8 weighed in grams (+7.3 SD: within the reference's ±8 SD)": (
        (FEMALE, date(2016, 3, 3), date(2024, 9, 1), D("128.0"), D("2650.0")),
        GrowthValues(
            bmi=None,  # 1617 kg/m², discarded above 99
            height_sds=D("-0.4"),
            height_centile=D("35.3"),
            weight_sds=D("7.3"),
            weight_centile=D("99.9"),
        ),
    ),
    "sex not known (99): BMI only": (
        (99, date(2014, 6, 15), date(2024, 6, 10), D("140.2"), D("35.4")),
        GrowthValues(bmi=D("18.0"), notes=(growth.NEEDS_SEX_AND_BIRTH,)),
    ),
}


@pytest.mark.parametrize(("args", "expected"), EXAMPLES.values(), ids=EXAMPLES.keys())
def test_example_children(args, expected):
    values = growth_values(*args)
    assert values == expected
    assert not any(v.is_signed() for v in _decimals(values) if v.is_zero())


def test_from_age_20_the_reference_is_read_on_the_day_before_the_20th_birthday():
    born, height, weight = date(2002, 5, 1), D("178.0"), D("75.0")
    day_before = growth_values(MALE, born, date(2022, 4, 30), height, weight)
    assert day_before.notes == ()
    for later in (date(2022, 5, 1), date(2024, 9, 1), date(2040, 1, 1)):
        values = growth_values(MALE, born, later, height, weight)
        assert values == GrowthValues(**{**vars(day_before), "notes": (growth.FROM_TWENTY,)})


def test_born_on_29_february_the_last_day_before_20_is_28_february():
    born, height, weight = date(2080, 2, 29), D("178.0"), D("75.0")  # 2100 is not a leap year
    assert growth_values(MALE, born, date(2100, 2, 28), height, weight).notes == ()
    assert growth_values(MALE, born, date(2100, 3, 1), height, weight).notes == (
        growth.FROM_TWENTY,
    )


@pytest.mark.parametrize("sex", [3, 99, None, 0])
def test_a_sex_other_than_male_or_female_gives_the_bmi_only(sex):
    values = growth_values(sex, BOY_BORN, BOY_AT_8, D("127.85"), D("25.63"))
    assert values == GrowthValues(bmi=D("15.7"), notes=(growth.NEEDS_SEX_AND_BIRTH,))


@pytest.mark.parametrize(
    ("birth", "observed", "note"),
    [
        (None, BOY_AT_8, growth.NEEDS_SEX_AND_BIRTH),
        (BOY_BORN, None, growth.NEEDS_DATE),
        (None, None, growth.NEEDS_SEX_AND_BIRTH),
        (BOY_AT_8, BOY_BORN, growth.BEFORE_BIRTH),
    ],
)
def test_without_usable_dates_only_the_bmi_is_given(birth, observed, note):
    values = growth_values(MALE, birth, observed, D("127.85"), D("25.63"))
    assert values == GrowthValues(bmi=D("15.7"), notes=(note,))


def test_nothing_measured_gives_nothing_and_no_note():
    assert growth_values(MALE, BOY_BORN, BOY_AT_8, None, None) == GrowthValues()
    assert growth_values(None, None, None, None, None) == GrowthValues()


def test_height_alone_is_scored_without_a_bmi():
    values = growth_values(MALE, BOY_BORN, BOY_AT_8, D("127.85"), None)
    assert (values.height_sds, values.height_centile) == (D("0.0"), D("50.0"))
    assert values.bmi is values.bmi_sds is values.weight_sds is None
    assert values.notes == ()


def test_a_height_the_reference_calls_an_error_gets_no_sds_and_a_note():
    values = growth_values(FEMALE, date(2016, 3, 3), date(2024, 9, 1), D("12.8"), D("25.0"))
    assert values.height_sds is values.height_centile is None
    assert values.notes == (
        "The height/length of 12.8 cm in a child of 8.5 years is below -8 SD and considered "
        "to be an error.",
    )
    assert (values.weight_sds, values.weight_centile) == (D("-0.6"), D("28.9"))
    assert values.bmi is None  # 1526 kg/m², discarded above 99


def test_no_bmi_centile_from_a_height_the_reference_calls_an_error():
    values = growth_values(MALE, BOY_BORN, BOY_AT_8, D("200.0"), D("25.63"))  # +13 SD
    assert values.bmi == D("6.4")
    assert values.height_sds is values.bmi_sds is values.bmi_centile is None
    assert values.weight_sds == D("0.0")
    assert "above +8 SD and considered to be an error" in values.notes[0]
    assert values.notes[1] == growth.BMI_WITHOUT_CENTILE


def test_a_bmi_the_reference_calls_an_error_gets_no_sds():
    # Height +7.9 SD and weight -7.8 SD: each within ±8 SD, their BMI far below -15 SD.
    values = growth_values(MALE, BOY_BORN, BOY_AT_8, D("171.0"), D("12.0"))
    assert (values.height_sds, values.weight_sds) == (D("7.9"), D("-7.8"))
    assert values.bmi == D("4.1")
    assert values.bmi_sds is values.bmi_centile is None
    assert values.notes == (
        "The Body Mass Index measurement of 4.1 kg/m² is below -15 SD and considered to be "
        "an error.",
    )


def test_centiles_are_kept_within_0_1_and_99_9():
    heavy = growth_values(MALE, BOY_BORN, BOY_AT_8, D("127.85"), D("60.0"))
    light = growth_values(MALE, BOY_BORN, BOY_AT_8, D("127.85"), D("15.0"))
    assert heavy.weight_sds > D("3.3")  # the centile itself is above 99.95
    assert (heavy.weight_centile, heavy.bmi_centile) == (D("99.9"), D("99.9"))
    assert light.weight_sds < D("-3.3")  # and here below 0.05
    assert (light.weight_centile, light.bmi_centile) == (D("0.1"), D("0.1"))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (0.25, "0.3"),  # half up, not half even
        (-0.25, "-0.3"),
        (1.04999, "1.0"),
        (-0.04, "0.0"),  # never -0.0
        (-0.0, "0.0"),
        (99.95, "100.0"),  # hence the centile is capped before it is rounded
    ],
)
def test_one_decimal_place_half_up(raw, expected):
    rounded = growth._one_dp(raw)
    assert str(rounded) == expected


def test_a_baby_under_2_weeks_has_no_bmi_centile(capsys):
    values = growth_values(MALE, date(2024, 9, 1), date(2024, 9, 5), D("50.0"), D("3.4"))
    assert capsys.readouterr().out == ""  # the package prints this note when asked to score it
    assert values.bmi == D("13.6")
    assert (values.height_sds, values.weight_sds) == (D("-0.6"), D("-0.5"))
    assert values.bmi_sds is values.bmi_centile is None
    assert values.notes == ("UK-WHO BMI data does not exist below 2 weeks of age.",)


def test_a_zero_weight_gets_a_note_not_an_exception():
    values = growth_values(MALE, BOY_BORN, BOY_AT_8, D("127.85"), D("0"))
    assert values.weight_sds is None and values.height_sds == D("0.0")
    assert values.notes == ("No weight centile: the weight must be more than 0.",)


@pytest.mark.parametrize("error", [LookupError("no reference data"), ValueError("bad value")])
def test_an_error_from_the_package_becomes_a_note(monkeypatch, error):
    def refuse(**_):
        raise error

    monkeypatch.setattr("rcpchgrowth.Measurement", refuse)
    values = growth_values(MALE, BOY_BORN, BOY_AT_8, D("127.85"), None)
    assert values == GrowthValues(notes=(f"No height centile: {error}",))


def test_the_package_is_imported_on_first_use_not_with_the_module():
    tree = ast.parse(Path(growth.__file__).read_text())
    top = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    names = [getattr(n, "module", None) or n.names[0].name for n in top]
    assert names and not any(name.startswith("rcpchgrowth") for name in names)


def test_values_are_frozen():
    with pytest.raises(FrozenInstanceError):
        GrowthValues().bmi = D("1")  # type: ignore[misc]


def _decimals(values: GrowthValues) -> list[Decimal]:
    return [v for v in vars(values).values() if isinstance(v, Decimal)]
