"""Pure builders of a unit's page: spine positions, trend rows and figure, case mix, peers."""

from datetime import date, datetime

import plotly.graph_objects as go
import pytest

from aggregation.areas import Area
from aggregation.selectors import AreaResult, ReleaseSummary, TrendPoint
from dashboards import palette
from dashboards import unit_figures as uf


def result(value=50.0, code="PZ001", level="pdu", **fields) -> AreaResult:
    values = dict(
        release_id=1, level=level, area_code=code, area_name=f"Unit {code}", parent_level="icb",
        parent_code="E54000001", measure="41", breakdown="", category="", numerator=20,
        numerator_suppressed=False, denominator=40, denominator_suppressed=False, value=value,
        unit="%", value_note="", suppression_reason="", ci95=(35.2, 64.8), ci998=(27.0, 73.0),
        comparison="similar", comparison_5="similar",
    )  # fmt: skip
    values.update(fields)
    return AreaResult(**values)


SPREAD = {"n": 10, "min": 40.0, "q1": 55.0, "median": 60.0, "q3": 65.0, "max": 90.0}


def test_the_spine_centres_england_and_wales_and_scales_to_the_farthest_unit():
    shape = uf.spine(result(80.0, ci95=(70.0, 85.0)), 60.0, SPREAD, "up")
    # Half-width 30 (90 - 60): 40 -> 1/6, 55 -> 5/12, 65 -> 7/12, 90 -> 1, 80 -> 5/6.
    assert (shape.low, shape.q1, shape.q3, shape.high) == pytest.approx((1 / 6, 5 / 12, 7 / 12, 1))
    assert shape.unit == pytest.approx(5 / 6)
    assert shape.ci == pytest.approx((2 / 3, 11 / 12))
    assert not shape.flipped


def test_lower_is_better_puts_low_values_on_the_right():
    shape = uf.spine(result(50.0, ci95=(45.0, 55.0), comparison="better"), 60.0, SPREAD, "down")
    assert shape.flipped
    assert shape.unit == pytest.approx(1 - 1 / 3)  # 50 is left of 60 unflipped: right now
    assert (shape.low, shape.high) == pytest.approx((0.0, 5 / 6))
    assert shape.colour == palette.COMPARISON_COLOURS["better"]


def test_a_withheld_value_draws_the_spread_without_a_dot():
    shape = uf.spine(result(None, suppression_reason="primary_small_count", ci95=None), 60.0,
                     SPREAD, "up")  # fmt: skip
    assert shape.unit is None and shape.ci is None
    assert shape.colour == uf.WITHHELD_COLOUR
    svg = uf.spine_svg(shape, "Spread of 10 units")
    assert "<circle" not in svg and 'class="spread"' in svg
    assert 'role="img"' in svg and 'aria-label="Spread of 10 units"' in svg


def test_no_spine_without_a_national_value_or_a_spread():
    assert uf.spine(result(), None, SPREAD, "up") is None
    assert uf.spine(result(), 60.0, None, "up") is None
    assert uf.spine(result(), 60.0, {**SPREAD, "n": 1}, "up") is None


def test_the_spine_svg_places_the_dot_and_escapes_its_description():
    shape = uf.spine(result(90.0, ci95=None), 60.0, SPREAD, "up")
    svg = uf.spine_svg(shape, 'A "quoted" <name>')
    assert f'cx="{4 + 1.0 * (uf.SPINE_WIDTH - 8):.1f}"' in svg  # 90 is the farthest: x = 1
    assert "&quot;quoted&quot; &lt;name&gt;" in svg
    assert 'class="ci"' not in svg


def test_spread_words():
    assert uf.spread_words(SPREAD, "%") == (
        "10 units: lowest 40.0, middle half 55.0 to 65.0, highest 90.0"
    )


def release(id_, year, kind="final", month=3) -> ReleaseSummary:
    calculated = date(year + (1 if month <= 3 else 0), month, 30 if month in (6, 9) else 31)
    return ReleaseSummary(
        id_, f"{year}-{year + 1}", year, kind, calculated, datetime(2025, 1, 1), "m", "o",
        "SDC-1", True, None, True, "", 0, {},
    )  # fmt: skip


def test_trend_rows_pair_each_release_with_england_and_wales():
    years = [release(5, 2022), release(10, 2023)]
    area = [TrendPoint(years[0], result(50.0, release_id=5)), TrendPoint(years[1], None)]
    national = [TrendPoint(r, result(60.0 + i, level="national")) for i, r in enumerate(years)]
    rows = uf.trend_rows(area, national)
    assert [r.label for r in rows] == ["2022-23", "2023-24"]
    assert [r.value for r in rows] == [50.0, None]
    assert [r.national for r in rows] == [60.0, 61.0]
    assert rows[0].counts == "20 of 40" and rows[1].counts == ""


def test_quarters_are_named_by_their_quarter_end():
    quarters = [release(1, 2024, "provisional", 6), release(2, 2024, "provisional", 12),
                release(3, 2024, "provisional", 3)]  # fmt: skip
    rows = uf.trend_rows([TrendPoint(r, result()) for r in quarters], [])
    assert [r.label for r in rows] == ["2024-25 Q1", "2024-25 Q3", "2024-25 Q4"]
    assert rows[0].national is None


def test_the_trend_figure_draws_values_with_their_intervals_and_the_national_line():
    rows = uf.trend_rows(
        [TrendPoint(release(5, 2022), result(50.0, ci95=(45.0, 56.0))),
         TrendPoint(release(10, 2023), result(None, suppression_reason="secondary"))],
        [TrendPoint(release(5, 2022), result(60.0)), TrendPoint(release(10, 2023), result(61.0))],
    )  # fmt: skip
    figure = uf.trend_figure(rows, title="T", unit="%", name="Unit A")
    national, unit = figure["data"]
    assert national["y"] == [60.0, 61.0] and national["x"] == ["2022-23", "2023-24"]
    assert unit["x"] == ["2022-23"]  # the withheld year has no dot
    assert unit["error_y"]["array"] == [6.0] and unit["error_y"]["arrayminus"] == [5.0]
    assert figure["layout"]["title"]["text"] == "T"
    go.Figure(figure)  # valid plotly: the builders skip validation, the test does not
    table = uf.trend_table_html(rows, caption="T", unit="%", table_id="t")
    assert '<td class="num">*</td>' in table and "45.0 to 56.0" in table


def mix(level, total, **counts):
    rows = [result(total, level=level, measure="1", numerator=total)]
    for key, n in counts.items():
        breakdown, category = key.split("__")
        rows.append(result(n, level=level, measure="1", breakdown=breakdown, category=category,
                           numerator=n, numerator_suppressed=n is None))  # fmt: skip
    return rows


def test_case_mix_has_three_age_bands_from_the_two_age_splits():
    unit = mix("pdu", 100, age_12__under_12=40, age_12__12_and_over=60, age_16__16_and_over=25,
               diabetes_type__1=None)  # fmt: skip
    national = mix("national", 1000, age_12__under_12=300, age_12__12_and_over=700,
                   age_16__16_and_over=200, diabetes_type__1=900)  # fmt: skip
    rows = {(r.group.split(" ")[0], r.category): r for r in uf.case_mix_rows(unit, national)}
    assert rows[("Age", "Under 12")].share == pytest.approx(40.0)
    assert rows[("Age", "12 to 15")].count == 35 and rows[("Age", "12 to 15")].share == 35.0
    assert rows[("Age", "12 to 15")].national_share == pytest.approx(50.0)
    assert rows[("Diabetes", "Type 1")].count is None  # withheld stays withheld
    assert rows[("Diabetes", "Type 1")].national_share == pytest.approx(90.0)
    table = uf.case_mix_table_html(list(rows.values()), name="Unit A", caption="C")
    assert 'Diabetes type: Type 1</th><td class="num">*</td><td class="num">*</td>' in table
    figure = uf.case_mix_figure(list(rows.values()), name="Unit A", title="C")
    assert [t["name"] for t in figure["data"]] == ["England and Wales", "Unit A"]
    assert figure["data"][1]["x"][:3] == [40.0, 35.0, 25.0]
    go.Figure(figure)


def test_the_peer_table_marks_the_unit_and_links_its_peers():
    features = {"children": 120.0, "under_12": 40.0, "16_and_over": None, "type_1": 90.0,
                "imd_1": 20.0, "imd_4_5": 40.0, "new_diagnoses": 10.0}  # fmt: skip
    rows = [
        uf.peer_row(Area("pdu", "PZ001", "Unit <A>"), None, features, result(55.0), "/u/1",
                    own=True),
        uf.peer_row(Area("pdu", "PZ002", "Unit B"), 0.4321, features, None, "/u/2?measure=44"),
    ]  # fmt: skip
    assert rows[1].distance == "0.43" and rows[1].value == "" and rows[1].comparison == "No result"
    assert rows[0].features[:3] == ["120", "40%", "*"]
    table = uf.peer_table_html(rows, caption="Peers")
    assert 'class="chosen"' in table and "Unit &lt;A&gt; (this unit)" in table
    assert '<a href="/u/2?measure=44">Unit B</a>' in table


def test_a_derived_age_band_that_could_hide_a_small_count_is_withheld():
    # Unit counts are rounded to 5: 60 - 50 = 10 could be as little as 6.
    assert uf.derived_band(60, 50, national=False) is None
    assert uf.derived_band(60, 60, national=False) is None  # 0 could be 1 to 4
    assert uf.derived_band(65, 50, national=False) == 15  # at least 11
    # National counts are exact: only a true 1 to 7 is withheld.
    assert uf.derived_band(60, 60, national=True) == 0
    assert uf.derived_band(60, 53, national=True) is None
    assert uf.derived_band(60, 52, national=True) == 8
    assert uf.derived_band(None, 52, national=True) is None


def test_the_spine_figure_draws_every_row_with_its_dot_and_interval():
    from dashboards.unit_figures import Spine, spine_figure

    rows = [
        ("44 Mean HbA1c", Spine(0.1, 0.3, 0.7, 0.9, 0.8, (0.7, 0.85), "#2166ac", True),
         "59 (Better)"),
        ("8 Deaths", Spine(0.0, 0.4, 0.6, 1.0, None, None, "#969696", False), "*"),
    ]  # fmt: skip
    figure = spine_figure(rows, name="A unit")
    dots = figure["data"][0]
    assert dots["x"] == [0.8] and dots["y"] == [1]  # the first row at the top, no dot if withheld
    assert dots["marker"]["color"] == ["#2166ac"] and dots["text"] == ["59 (Better)"]
    assert figure["layout"]["yaxis"]["ticktext"] == ["8 Deaths", "44 Mean HbA1c"]
    shapes = figure["layout"]["shapes"]
    assert len(shapes) == 2 * 2 + 1 + 1  # spread and middle per row, one interval, the centre
    assert {k: shapes[2][k] for k in ("x0", "x1")} == {"x0": 0.7, "x1": 0.85}


def test_a_trend_across_the_2026_dataset_shows_the_break_for_22_and_23():
    """kpis.md §7: 22 and 23 count any CGM from 2026-27, so the line stops at the break,
    which is drawn and labelled, and the table says so between the years."""
    years = [release(1, 2024), release(2, 2025), release(3, 2026, "provisional", 9)]
    points = [TrendPoint(r, result(40.0 + 10 * i, measure="22")) for i, r in enumerate(years)]
    national = [TrendPoint(r, result(45.0 + 10 * i, level="national")) for i, r in enumerate(years)]
    rows = uf.trend_rows(points, national)
    assert uf.series_break(rows, "22")[0] == 2 and uf.series_break(rows, "44") is None
    figure = uf.trend_figure(rows, title="T", unit="%", name="Unit A", measure="22")
    traces = figure["data"]
    assert [t["x"] for t in traces] == [["2024-25", "2025-26"], ["2026-27 Q2"]] * 2
    assert [t.get("showlegend", True) for t in traces] == [True, False, True, False]
    assert figure["layout"]["shapes"][0]["x0"] == 1.5
    assert figure["layout"]["annotations"][0]["text"] == "Definition changed: not comparable"
    go.Figure(figure)
    table = uf.trend_table_html(rows, caption="T", unit="%", table_id="t", measure="22")
    assert table.index("2025-26") < table.index("Break in series") < table.index("2026-27 Q2")
    assert "any continuous glucose monitor (CGM) counts" in table
    unbroken = uf.trend_figure(rows, title="T", unit="%", name="Unit A", measure="44")
    assert len(unbroken["data"]) == 2 and "shapes" not in unbroken["layout"]


def test_kpi_21_from_2026_reads_not_collected_in_a_trend():
    years = [release(1, 2025), release(2, 2026, "provisional", 9)]
    points = [
        TrendPoint(years[0], result(30.0, measure="21")),
        TrendPoint(years[1], result(None, measure="21", numerator=None, denominator=None,
                                    ci95=None, value_note="not collected from 2026–27")),
    ]  # fmt: skip
    rows = uf.trend_rows(points, [])
    assert rows[1].note == "not collected from 2026–27" and rows[1].value is None
    table = uf.trend_table_html(rows, caption="T", unit="%", table_id="t", measure="21")
    assert "Not collected from 2026–27</td>" in table and "Break in series" in table
