"""The areas of every reporting level, with their names and parents (geography.md §2), from the
reference data: what a release freezes as its geography and what live results are read with."""

from dataclasses import dataclass

from npda.data_model import models as m

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


# Each level's area from its reference row: the one definition of names and parents.
def unit_area(u: "m.PaediatricDiabetesUnit") -> Area:
    return Area(
        "pdu",
        u.pz_code,
        u.name,
        "icb" if u.integrated_care_board_id else ("lhb" if u.local_health_board_id else ""),
        u.integrated_care_board_id or u.local_health_board_id or "",
    )


def trust_area(t: "m.Trust") -> Area:
    return Area("trust", t.ods_code, t.name, "country" if t.country_id else "", t.country_id or "")


def icb_area(i: "m.IntegratedCareBoard") -> Area:
    return Area("icb", i.code, i.name, "region", i.nhs_england_region_id)


def lhb_area(b: "m.LocalHealthBoard") -> Area:
    return Area("lhb", b.code, b.name, "country", b.country_id)


def region_area(r: "m.NHSEnglandRegion") -> Area:
    return Area("region", r.code, r.name, "country", r.country_id)


def country_area(c: "m.Country") -> Area:
    return Area("country", c.code, c.name, "national", NATIONAL_CODE)


def network_area(n: "m.PaediatricDiabetesNetwork") -> Area:
    return Area("network", n.code, n.name, "national", NATIONAL_CODE)


NATIONAL_AREA = Area("national", NATIONAL_CODE, NATIONAL_NAME)


def current_areas() -> list[Area]:
    """Every area of every level as the reference data stands now: units under their ICB or
    health board (Jersey under none), ICBs under their region, regions and health boards under
    their country, countries, networks and trusts under England and Wales or their country."""
    areas = [unit_area(u) for u in m.PaediatricDiabetesUnit.objects.order_by("pz_code")]
    areas += [trust_area(t) for t in m.Trust.objects.order_by("ods_code")]
    areas += [icb_area(i) for i in m.IntegratedCareBoard.objects.order_by("code")]
    areas += [lhb_area(b) for b in m.LocalHealthBoard.objects.order_by("code")]
    areas += [region_area(r) for r in m.NHSEnglandRegion.objects.order_by("code")]
    countries = m.Country.objects.filter(code__in=(ENGLAND, WALES)).order_by("code")
    areas += [country_area(c) for c in countries]
    areas += [network_area(n) for n in m.PaediatricDiabetesNetwork.objects.order_by("code")]
    areas += [
        Area("openuk", n.code, n.name, "national", NATIONAL_CODE)
        for n in m.OpenUKNetwork.objects.order_by("code")
    ]
    areas.append(NATIONAL_AREA)
    return areas


def areas_of_unit(pz_code: str) -> dict[str, Area] | None:
    """A unit's own area on every level it belongs to, by level (one query); None if there is
    no such unit."""
    unit = (
        m.PaediatricDiabetesUnit.objects.select_related(
            "trust", "local_health_board", "integrated_care_board", "nhs_england_region",
            "country", "paediatric_diabetes_network",
        )
        .filter(pz_code=pz_code)
        .first()
    )  # fmt: skip
    if unit is None:
        return None
    found = {"pdu": unit_area(unit)}
    for level, related, build in (
        ("trust", unit.trust, trust_area),
        ("lhb", unit.local_health_board, lhb_area),
        ("icb", unit.integrated_care_board, icb_area),
        ("region", unit.nhs_england_region, region_area),
        ("country", unit.country, country_area),
        ("network", unit.paediatric_diabetes_network, network_area),
    ):
        if related is not None:
            found[level] = build(related)
    found["national"] = NATIONAL_AREA  # Jersey's too: every unit is compared with England and Wales
    return found


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
