"""The map explorer's URL state: parsing, defaults, drill-down and breadcrumbs."""

import pytest

from dashboards.map_state import (
    MapState,
    ReleaseChoice,
    breadcrumb,
    drill_target,
    parse_state,
    sort_link,
)

PUBLIC = [
    ReleaseChoice("latest", "Latest"),
    ReleaseChoice("15", "2024-25"),
    ReleaseChoice("10", "2023-24"),
]
TEAM = [*PUBLIC, ReleaseChoice("12", "provisional"), ReleaseChoice("live-2024", "live")]


def test_an_empty_query_is_the_default_view():
    state, problems = parse_state("", PUBLIC)
    assert state == MapState() and problems == []
    assert (state.level, state.measure, state.release, state.colour) == (
        "icb", "44", "latest", "comparison",
    )  # fmt: skip
    assert state.query() == "?"


def test_a_query_round_trips():
    query = "?level=region&measure=41&release=15&colour=value&area=E92000001&sort=-value"
    state, problems = parse_state(query, PUBLIC)
    assert problems == []
    assert state == MapState("region", "41", "15", "value", "E92000001", "-value")
    assert parse_state(state.query(), PUBLIC)[0] == state


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("level=ward", "level", "Unknown level 'ward'"),
        ("measure=99", "measure", "Unknown measure '99'"),
        ("colour=rainbow", "colour", "Unknown colouring"),
        ("sort=shoe", "sort", "Unknown sort"),
        ("area=<script>", "area", "Unknown area"),
        ("release=12", "release", "not available to you"),
        ("release=live-2024", "release", "Live results are for signed-in members"),
    ],
)
def test_a_bad_part_falls_back_to_its_default_with_a_message(query, field, message):
    state, problems = parse_state(query + "&measure=41" * (field != "measure"), PUBLIC)
    assert getattr(state, field) == getattr(MapState(), field)
    assert len(problems) == 1 and message in problems[0]


def test_the_audit_team_may_choose_provisional_and_live():
    state, problems = parse_state("release=live-2024", TEAM)
    assert problems == [] and state.is_live and state.live_year == 2024
    assert parse_state("release=12", TEAM)[0].release == "12"


def test_latest_falls_back_to_the_first_choice_when_there_is_no_final_release():
    state, _ = parse_state("", [ReleaseChoice("live-2026", "live")])
    assert state.release == "live-2026"


@pytest.mark.parametrize(
    ("level", "code", "child"),
    [
        ("country", "E92000001", "region"),
        ("country", "W92000004", "lhb"),
        ("region", "E40000006", "icb"),
        ("icb", "E54000036", "pdu"),
        ("lhb", "W11000028", "pdu"),
    ],
)
def test_a_click_drills_down_one_level(level, code, child):
    target = drill_target(MapState(measure="41", sort="-value"), level, code)
    assert target == MapState(level=child, measure="41", area=code, sort="name")


def test_a_unit_has_nothing_below_it():
    assert drill_target(MapState(), "pdu", "PZ041") is None


def test_breadcrumb_leads_back_up_the_tree():
    state = MapState(level="pdu", area="E54000036")
    ancestors = [
        ("country", "E92000001", "England"),
        ("region", "E40000006", "South West"),
        ("icb", "E54000036", "NHS Cornwall and the Isles of Scilly ICB"),
    ]
    crumbs = breadcrumb(state, ancestors)
    assert [c.label for c in crumbs] == [
        "England and Wales", "England", "South West", "NHS Cornwall and the Isles of Scilly ICB",
    ]  # fmt: skip
    assert crumbs[0].state.query() == "?level=country"
    assert crumbs[1].state == MapState(level="region", area="E92000001")
    assert crumbs[2].state == MapState(level="icb", area="E40000006")
    assert crumbs[-1].state is None  # where the person is


def test_breadcrumb_of_a_whole_level():
    crumbs = breadcrumb(MapState(level="lhb"), [])
    assert [c.label for c in crumbs] == ["England and Wales", "Welsh health boards"]
    assert crumbs[-1].state is None


def test_sort_link_sorts_then_reverses():
    state = MapState(measure="41")  # higher is better
    assert sort_link(state, "value").sort == "-value"  # the best first on the first click
    assert sort_link(MapState(sort="-value"), "value").sort == "value"
    assert sort_link(state, "denominator").sort == "-denominator"  # largest first
    assert sort_link(state, "name").sort == "-name"  # name is the current key: reverse it
    assert sort_link(MapState(sort="-name"), "name").sort == "name"


def test_values_sort_best_first_by_polarity():
    """Rank 1 is the best area for every measure: the lowest mean HbA1c, the highest rate."""
    assert sort_link(MapState(measure="44"), "value").sort == "value"  # lower is better
    assert sort_link(MapState(measure="32.1"), "value").sort == "-value"
    assert sort_link(MapState(measure="1"), "value").sort == "-value"  # a count: largest first
