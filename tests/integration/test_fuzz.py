"""A probe of the whole site, as the one that found security issue 19: every public URL with
odd query strings, forms and the admin's list filters with a NUL, and every Dash app's callback
endpoint with bad bodies and odd query strings. Nothing may answer with a 500; a NUL anywhere
in a request, and a bad callback body, get exactly a 400."""

import json
from urllib.parse import urlencode

import pytest

from aggregation.selectors import unit_areas
from constants.groups import GroupName
from dashboards.callback_requests import FUNNEL_OUTPUTS, TREND_OUTPUTS, location_request
from dashboards.map_outputs import update_request
from npda.pages import images as image_views
from tests.bad_requests import (
    DASH_APPS,
    bad_callback_bodies,
    nul_queries,
    odd_queries,
    odd_value_queries,
)
from tests.conftest import VerifiedClient
from tests.factories import user_in_group

pytestmark = pytest.mark.django_db
PAGES = (
    "/", "/maps/", "/units/", "/units/PZ041/", "/benchmarking/", "/benchmarking/44/",
    "/areas/icb/{icb}/", "/api/v1/releases", "/api/v1/aggregates", "/api/v1/areas",
    "/api/v1/measures", "/accounts/login/", "/accounts/password-reset/",
    "/boundaries/icb.geojson", "/submissions/upload/",
    "/search/", "/areas/", "/areas/icb/", "/methods/", "/open-data/", "/about/data/",
    "/api/v1/docs",
)  # fmt: skip
IMAGES = ("/maps/map.png", "/benchmarking/44/funnel.png", "/units/PZ041/trend-years.png")
NUL_PATHS = ("/units/PZ%00/", "/benchmarking/%00/", "/areas/icb/%00/", "/api/v1/%00",
             "/django_plotly_dash/app/unit_profile/%00")  # fmt: skip
ADMIN_FILTERS = ("/admin/npda/patient/?diabetes_type__exact=%00", "/admin/npda/visit/?q=%00",
                 "/admin/npda/submission/?audit_period__id__exact=%00")  # fmt: skip
ODD_PATHNAMES = ("ı", "%C4%B1", "ｐz041", "%ff", "%", "a" * 1_990)
CALLBACK = "/django_plotly_dash/app/{}/_dash-update-component"
URLENCODED = "application/x-www-form-urlencoded"


@pytest.fixture
def site(released, monkeypatch) -> dict:
    """A published release to look at; an image that would be drawn is only counted, so that
    no probe starts Chromium (the probes below must all fail before drawing)."""
    drawn = []
    monkeypatch.setattr(image_views, "figure_image", lambda figure, fmt: drawn.append(fmt) or b"")
    return {"icb": unit_areas("PZ041")["icb"].code, "drawn": drawn}


def anonymous() -> VerifiedClient:
    return VerifiedClient(raise_request_exception=False)  # a 500 is counted, not raised


def statuses(client, urls, queries) -> dict[str, int]:
    """Each URL with each query string, and the status it got."""
    asked = [f"{url}?{query}" for url in urls for query in queries]
    return {url: client.get(url).status_code for url in asked}


def server_errors(got: dict[str, int]) -> list[str]:
    return [f"{asked[:120]}: {status}" for asked, status in got.items() if status >= 500]


def test_no_public_url_answers_an_odd_query_with_a_500(site):
    pages = [page.format(**site) for page in PAGES]
    assert server_errors(statuses(anonymous(), pages, odd_queries())) == []


def test_a_nul_anywhere_in_the_address_is_a_400(site):
    pages = [page.format(**site) for page in PAGES + IMAGES]
    got = statuses(anonymous(), pages, nul_queries()) | statuses(anonymous(), NUL_PATHS, ["x=1"])
    assert [f"{url}: {status}" for url, status in got.items() if status != 400] == []
    assert site["drawn"] == []


def test_the_map_image_refuses_odd_queries_before_drawing(site):
    """The map image refuses a query it cannot use. The funnel and trend images fall back
    from odd parameters as their pages do and draw, so only their NUL probes are made (above):
    drawing would start Chromium."""
    got = statuses(anonymous(), ["/maps/map.png"], odd_value_queries())
    assert server_errors(got) == [] and set(got.values()) == {404}
    assert site["drawn"] == []


def test_a_nul_in_a_form_field_is_a_400():
    forms = [
        ("/accounts/login/", {"username": "a\x00", "password": "x"}),
        ("/accounts/login/", {"user\x00name": "a", "password": "x"}),
        ("/accounts/password-reset/", {"email": "\x00@example.org"}),
        ("/submissions/upload/", {"audit_period": "1\x00"}),
    ]
    client = anonymous()
    got = [client.post(url, fields).status_code for url, fields in forms]  # multipart
    urlencoded = urlencode({"username": "a\x00", "password": "x"})
    got.append(client.post("/accounts/login/", urlencoded, content_type=URLENCODED).status_code)
    assert got == [400] * (len(forms) + 1)


@pytest.mark.parametrize("url", ADMIN_FILTERS)
def test_a_nul_in_an_admin_filter_is_a_400(url):
    user = user_in_group(GroupName.TRUST_AUDIT_TEAM_EDIT_ACCESS, ["PZ041"])
    user.is_staff = True  # as the probe's account had
    user.save()
    client = VerifiedClient(raise_request_exception=False)
    client.force_login(user)
    assert client.get(url).status_code == 400


@pytest.mark.parametrize("app", DASH_APPS)
def test_every_bad_callback_body_is_a_400(app):
    client = anonymous()
    got = {bad.name: client.post(CALLBACK.format(app), bad.body,
                                 content_type="application/json").status_code
           for bad in bad_callback_bodies(app)}  # fmt: skip
    assert {name: status for name, status in got.items() if status != 400} == {}


def odd_callback_bodies() -> list[tuple[str, dict]]:
    """Each app's callback with the odd query strings, and the unit and funnel pages' callbacks
    with odd paths, as a probe would send them through the browser's address."""
    searches = [f"?{query}" for query in odd_queries()]
    bodies = [("map_explorer", update_request(search)) for search in searches]
    for app, outputs, page in (("funnel_explorer", FUNNEL_OUTPUTS, "/benchmarking/"),
                               ("unit_profile", TREND_OUTPUTS, "/units/")):  # fmt: skip
        bodies += [(app, location_request(outputs, f"{page}44/", s)) for s in searches]
        bodies += [(app, location_request(outputs, f"{page}{p}/", "")) for p in ODD_PATHNAMES]
    return bodies


def test_no_callback_answers_an_odd_address_with_a_500(site):
    client = anonymous()
    got = {f"{app} {body['inputs']}": client.post(CALLBACK.format(app), json.dumps(body),
                                                  content_type="application/json").status_code
           for app, body in odd_callback_bodies()}  # fmt: skip
    assert server_errors(got) == []


WORKSPACE = ("/workspace/", "/units/PZ041/workspace/", "/units/PZ041/children/",
             "/units/PZ041/children/download.csv", "/units/PZ041/children/download.xlsx",
             "/units/PZ041/children/{child}/", "/units/PZ041/due/",
             "/units/PZ041/due/download.csv")  # fmt: skip


def test_the_workspace_answers_odd_queries_and_forms_without_a_500(site):
    """A unit's own pages (issue 22) with the probe's odd and NUL query strings, and the NHS
    number search with odd bodies: no 500; a NUL is a 400."""
    from npda.data_model.models import Patient

    nurse = user_in_group(GroupName.TRUST_AUDIT_TEAM_EDIT_ACCESS, ["PZ041"])
    client = VerifiedClient(raise_request_exception=False)
    client.force_login(nurse)
    child = Patient.objects.filter(sites__paediatric_diabetes_unit_id="PZ041").first()
    pages = [page.format(child=child.pk) for page in WORKSPACE]
    assert [client.get(page).status_code for page in pages[1:]] == [200] * (len(pages) - 1)
    assert server_errors(statuses(client, pages, odd_queries())) == []
    got = statuses(client, pages, nul_queries())
    assert [f"{url}: {status}" for url, status in got.items() if status != 400] == []
    searches = ["", "x" * 5_000, "9" * 30, "<script>", "' OR 1=1 --", "١٢٣٤٥٦٧٨٩٠"]
    answers = [client.post("/units/PZ041/children/", {"nhs_number": s, "year": y}).status_code
               for s in searches for y in ("", "2024", "abc", "-1")]  # fmt: skip
    assert [a for a in answers if a >= 500] == []
