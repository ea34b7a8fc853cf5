"""The synthetic cohort's national plan, shared by the generator's unit tests."""

import pytest

from npda.synthetic.plan import CohortPlan, plan_cohort
from tests.synthetic_units import national_units


@pytest.fixture(scope="session")
def plan() -> CohortPlan:
    """The national plan of seed 1 (34,000 children)."""
    return plan_cohort(1, national_units(), 34_000)
