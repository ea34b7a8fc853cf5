"""The areas of every reporting level, with their names and parents (geography.md §2), from the
reference data: what a release freezes as its geography and what live results are read with."""

from dataclasses import dataclass

from npda import models as m

from .rollup import NATIONAL_CODE

ENGLAND, WALES = "E92000001", "W92000004"
NATIONAL_NAME = "England and Wales"


@dataclass(frozen=True)
class Area:
    level: str
    code: str
    name: str
    parent_level: str = ""
    parent_code: str = ""


def current_areas() -> list[Area]:
    """Every area of every level as the reference data stands now: units under their ICB or
    health board (Jersey under none), ICBs under their region, regions and health boards under
    their country, countries, networks and trusts under England and Wales or their country."""
    areas = [
        Area(
            "pdu",
            u.pz_code,
            u.name,
            "icb" if u.integrated_care_board_id else ("lhb" if u.local_health_board_id else ""),
            u.integrated_care_board_id or u.local_health_board_id or "",
        )
        for u in m.PaediatricDiabetesUnit.objects.order_by("pz_code")
    ]
    areas += [
        Area("trust", t.ods_code, t.name, "country" if t.country_id else "", t.country_id or "")
        for t in m.Trust.objects.order_by("ods_code")
    ]
    areas += [
        Area("icb", i.code, i.name, "region", i.nhs_england_region_id)
        for i in m.IntegratedCareBoard.objects.order_by("code")
    ]
    areas += [
        Area("lhb", b.code, b.name, "country", b.country_id)
        for b in m.LocalHealthBoard.objects.order_by("code")
    ]
    areas += [
        Area("region", r.code, r.name, "country", r.country_id)
        for r in m.NHSEnglandRegion.objects.order_by("code")
    ]
    areas += [
        Area("country", c.code, c.name, "national", NATIONAL_CODE)
        for c in m.Country.objects.filter(code__in=(ENGLAND, WALES)).order_by("code")
    ]
    areas += [
        Area("network", n.code, n.name, "national", NATIONAL_CODE)
        for n in m.PaediatricDiabetesNetwork.objects.order_by("code")
    ]
    areas += [
        Area("openuk", n.code, n.name, "national", NATIONAL_CODE)
        for n in m.OpenUKNetwork.objects.order_by("code")
    ]
    areas.append(Area("national", NATIONAL_CODE, NATIONAL_NAME))
    return areas


def within(code: str, areas: list[Area]) -> set[str]:
    """The codes of every area inside an area: its children, their children and so on (units
    inside an ICB, inside a region, inside England)."""
    children: dict[str, list[str]] = {}
    for area in areas:
        children.setdefault(area.parent_code, []).append(area.code)
    found, todo = set(), [code]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found
