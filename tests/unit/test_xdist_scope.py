"""A parallel run keeps the browser tests together on one worker (tests/conftest.py)."""

from tests.conftest import xdist_scope


def test_every_browser_test_is_one_unit_of_work_and_every_other_test_its_own():
    browser = ["tests/browser/test_map_page.py::test_a", "tests/browser/test_unit_page.py::t[x]"]
    assert {xdist_scope(nodeid) for nodeid in browser} == {"browser"}
    others = ["tests/integration/test_api.py::test_a", "tests/unit/test_palette.py::test_b"]
    assert [xdist_scope(nodeid) for nodeid in others] == others
