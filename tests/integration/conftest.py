"""Fixtures shared by the integration tests."""

import datetime as dt
import json

import pytest

from aggregation.models import OutlierPolicy
from aggregation.services import compute_kpis
from dashboards.callback_requests import location_request
from tests.kpi_cohort import CLINIC, Cohort, E, hba1c
from tests.worked_examples import (  # noqa: F401 (the worked examples of kpis.md §8)
    as_2026,
    example_8_1,
    example_8_2,
    example_8_3,
    example_8_4,
    example_8_5,
)
from tests.worlds import world


def dash_callback(client, app: str, outputs: tuple[str, ...], pathname: str, search="") -> dict:
    """Run one callback of a Dash app that reads the page's path and query string, as the
    browser does, and return its outputs."""
    url = f"/django_plotly_dash/app/{app}/_dash-update-component"
    body = json.dumps(location_request(outputs, pathname, search))
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 200, response.content[:400]
    return json.loads(response.content)["response"]


def add_children(cohort: Cohort, passing: int, failing: int, **fields) -> None:
    """`passing` children with an HbA1c (they pass KPI 25) and `failing` ones without."""
    for _ in range(passing):
        cohort.child(rows=(hba1c(60),), **fields)
    for _ in range(failing):
        cohort.child(rows=(CLINIC,), **fields)


@pytest.fixture
def five_units():
    """PZ041 and PZ002 (East of England region, EPEN), PZ004 (Midlands), PZ001 (Wales, via
    its lead organisation SWEP), PZ248 (Jersey)."""
    return world("five units", _five_units)


def _five_units():
    units = {code: Cohort(code) for code in ("PZ041", "PZ002", "PZ004", "PZ001")}
    period = units["PZ041"].period
    add_children(units["PZ041"], 9, 1)
    add_children(units["PZ002"], 1, 1)
    add_children(units["PZ004"], 2, 0)
    add_children(units["PZ001"], 1, 2)
    units["PZ248"] = Cohort("PZ248", period=period)
    for _ in range(2):
        units["PZ248"].child(nhs_number=None, unique_reference_number="JSY", rows=(hba1c(60),))
    compute_kpis(period, calculation_date=E)
    return period, units


# Units large enough that their figures are published: (passing, failing) children on KPI 25.
LARGE_UNITS = {"PZ041": (30, 10), "PZ002": (12, 18), "PZ004": (36, 4), "PZ003": (20, 20),
               "PZ001": (25, 15)}  # fmt: skip


@pytest.fixture
def large_units():
    """Five units of 40 children (four English, one Welsh): every unit's KPI 25 is shown."""
    return world("large units", make_large_units)


def make_large_units():
    units = {code: Cohort(code) for code in LARGE_UNITS}
    period = units["PZ041"].period
    for offset, (code, (passing, failing)) in enumerate(LARGE_UNITS.items()):
        sex = 2 if code == "PZ003" else 1
        for i in range(passing):  # HbA1c 50-74 mmol/mol, shifted a little per unit
            units[code].child(rows=(hba1c(50 + (i * 7) % 25 + offset),), sex=sex)
        for _ in range(failing):
            units[code].child(rows=(CLINIC,), sex=sex)
    compute_kpis(period, calculation_date=E)
    return period, units


EAST_OF_ENGLAND = "E40000007"


@pytest.fixture
def released():
    """The large units' final release, published."""
    return world("large units released", _release_large_units)


def _release_large_units():
    from aggregation.releases import publish_release

    period, _ = make_large_units()
    return publish_release(period, "final", today=dt.date(2026, 12, 1))


# Type 1 HbA1c medians (mmol/mol) of the mixed-types world's units, and its type 2 children.
MIXED_TYPES = {
    "PZ041": (tuple(50 + (i * 7) % 25 for i in range(30)), 3),
    "PZ002": (tuple(52 + (i * 5) % 21 for i in range(25)), 2),
    "PZ004": (tuple(48 + (i * 3) % 27 for i in range(36)), 0),
    "PZ003": (tuple(55 + (i * 11) % 19 for i in range(28)), 0),
    "PZ001": (tuple(80 + i % 6 for i in range(30)), 4),  # far above: hidden under SDC-1
    "PZ005": (tuple(95 + i for i in range(6)), 0),  # far above, and too few to publish
}


def make_mixed_types():
    """Six units of type 1 children with an HbA1c, some with a few type 2 children too: those
    units' type 1 contributor counts are hidden by secondary suppression (the type 2 count is
    1-7). PZ001 (Wales) is far above the others; so is PZ005, with only 6 children. The type 1
    mean HbA1c is classed with plain limits (no overdispersion allowance), so the classes do
    not depend on the dispersion of six units."""
    units = {code: Cohort(code) for code in MIXED_TYPES}
    period = units["PZ041"].period
    for code, (medians, type_2) in MIXED_TYPES.items():
        for value in medians:
            units[code].child(rows=(hba1c(value),))
        for _ in range(type_2):
            units[code].child(rows=(hba1c(70),), diabetes_type=2)
    OutlierPolicy.objects.create(
        audit_period=period, measure_id="44", overdispersion="none", is_formal=True
    )
    compute_kpis(period, calculation_date=E)
    return period, units


@pytest.fixture
def mixed_types():
    return world("mixed types", make_mixed_types)
