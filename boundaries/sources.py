"""Read and validate the reference data files (ONS boundaries and RCPCH lookups).

Everything is checked before anything is written: a missing file, a missing column, a blank or
malformed code, an unknown parent code, a bad coordinate or an invalid geometry is reported as a
`Problem` naming the file, the row (spreadsheet numbering: the header is row 1) or feature, and
what is wrong. `parse_reference_data` raises `ReferenceDataError` with every problem found.
"""

import csv
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon, Point

from constants.levels import BoundaryLevel

LOOKUPS = "lookups"
BOUNDARIES = "boundaries"

COUNTRIES_CSV = f"{LOOKUPS}/countries.csv"
REGIONS_CSV = f"{LOOKUPS}/nhs_england_regions.csv"
ICBS_CSV = f"{LOOKUPS}/integrated_care_boards.csv"
LHBS_CSV = f"{LOOKUPS}/local_health_boards.csv"
NETWORKS_CSV = f"{LOOKUPS}/paediatric_diabetes_networks.csv"
OPENUK_CSV = f"{LOOKUPS}/openuk_networks.csv"
TRUSTS_CSV = f"{LOOKUPS}/trusts.csv"
ORGANISATIONS_CSV = f"{LOOKUPS}/organisations.csv"
UNITS_CSV = f"{LOOKUPS}/paediatric_diabetes_units.csv"

BOUNDARY_FILES: dict[BoundaryLevel, str] = {
    BoundaryLevel.COUNTRY: f"{BOUNDARIES}/countries_2022.geojson",
    BoundaryLevel.NHS_ENGLAND_REGION: f"{BOUNDARIES}/nhs_england_regions_2022.geojson",
    BoundaryLevel.INTEGRATED_CARE_BOARD: f"{BOUNDARIES}/integrated_care_boards_2023.geojson",
    BoundaryLevel.LOCAL_HEALTH_BOARD: f"{BOUNDARIES}/local_health_boards_2022.geojson",
}

REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    COUNTRIES_CSV: ("code", "name", "name_welsh", "label_lat", "label_long"),
    REGIONS_CSV: ("code", "name", "ods_code", "country_code", "label_lat", "label_long"),
    ICBS_CSV: (
        "code",
        "name",
        "short_name",
        "ods_code",
        "nhser_code",
        "country_code",
        "label_lat",
        "label_long",
    ),
    LHBS_CSV: (
        "code",
        "name",
        "name_welsh",
        "ods_code",
        "country_code",
        "label_lat",
        "label_long",
    ),
    NETWORKS_CSV: ("code", "name"),
    OPENUK_CSV: ("code", "name", "country_name"),
    TRUSTS_CSV: (
        "ods_code",
        "name",
        "address_line_1",
        "address_line_2",
        "town",
        "postcode",
        "country_code",
        "primary_icb_code",
        "nhser_code",
        "openuk_network_code",
    ),
    ORGANISATIONS_CSV: (
        "ods_code",
        "name",
        "address1",
        "address2",
        "address3",
        "city",
        "county",
        "postcode",
        "latitude",
        "longitude",
        "parent_ods_code",
        "parent_type",
        "icb_code",
        "nhser_code",
        "lhb_code",
        "country_code",
        "openuk_network_code",
        "notes",
    ),
    UNITS_CSV: (
        "pz_code",
        "pdu_name",
        "ods_code",
        "ods_level",
        "parent_ods_code",
        "parent_type",
        "icb_code",
        "nhser_code",
        "lhb_code",
        "country_code",
        "pdn_code",
        "latitude",
        "longitude",
        "postcode",
        "geography_method",
        "notes",
    ),
}

CODE_PATTERNS = {
    "country": re.compile(r"^[EWSN]92[0-9]{6}$"),
    "region": re.compile(r"^E40[0-9]{6}$"),
    "icb": re.compile(r"^E54[0-9]{6}$"),
    "lhb": re.compile(r"^W11[0-9]{6}$"),
    "network": re.compile(r"^PN[0-9]{2}$"),
    "pdu": re.compile(r"^PZ[0-9]{3}$"),
    "ods": re.compile(r"^[0-9A-Z]{3,8}$"),
    "openuk": re.compile(r"^[A-Z]{2,8}$"),
}
UNIT_LEAD_LEVELS = {"site", "site_not_in_rcpch_list", "trust", "local_health_board"}
PARENT_TYPES = {"NHS Trust", "Local Health Board", ""}
# Box around the UK and the Channel Islands (WGS84): catches swapped or garbled coordinates.
LATITUDE_RANGE = (49.0, 61.0)
LONGITUDE_RANGE = (-8.7, 2.0)


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | str | None
    message: str

    def __str__(self) -> str:
        where = f" {self.row}" if isinstance(self.row, str) else ""
        if isinstance(self.row, int):
            where = f" row {self.row}"
        return f"{self.file}{where}: {self.message}"


class ReferenceDataError(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(
            f"Reference data rejected ({len(problems)} problem(s)); nothing was changed:\n"
            f"{shown}{more}"
        )


@dataclass
class Area:
    """A boundary area (country, region, ICB or LHB) with its shape, in EPSG:4326."""

    code: str
    name: str
    fields: dict
    row: int
    boundary: MultiPolygon | None = None
    label_point: Point | None = None


@dataclass
class ReferenceData:
    source: Path
    fingerprint: str
    countries: list[Area] = field(default_factory=list)
    regions: list[Area] = field(default_factory=list)
    icbs: list[Area] = field(default_factory=list)
    lhbs: list[Area] = field(default_factory=list)
    networks: list[dict] = field(default_factory=list)
    openuk_networks: list[dict] = field(default_factory=list)
    trusts: list[dict] = field(default_factory=list)
    organisations: list[dict] = field(default_factory=list)
    units: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class Row:
    number: int  # spreadsheet row number: the header is row 1
    values: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return self.values[column]


class _Checker:
    """Collects problems while the files are read, so one run reports all of them."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, file: str, row: int | str | None, message: str) -> None:
        self.problems.append(Problem(file, row, message))

    def required(self, file: str, row: Row, *columns: str) -> bool:
        ok = True
        for column in columns:
            if not row[column]:
                self.add(file, row.number, f"{column} is blank")
                ok = False
        return ok

    def code(self, file: str, row: Row, column: str, kind: str) -> str:
        value = row[column]
        if value and not CODE_PATTERNS[kind].match(value):
            self.add(file, row.number, f"{column} {value!r} is not a valid {kind} code")
        return value

    def reference(self, file: str, row: Row, column: str, known: Iterable[str], what: str) -> str:
        value = row[column]
        if value and value not in known:
            self.add(file, row.number, f"unknown {what} code {value!r} in {column}")
        return value

    def unique(self, file: str, rows: list[Row], column: str) -> None:
        first_seen: dict[str, int] = {}
        for row in rows:
            value = row[column]
            if value in first_seen:
                self.add(
                    file,
                    row.number,
                    f"duplicate {column} {value!r} (first on row {first_seen[value]})",
                )
            else:
                first_seen[value] = row.number

    def point(self, file: str, row: Row, lat_column: str, long_column: str) -> Point | None:
        lat, long = row[lat_column], row[long_column]
        if not lat and not long:
            return None
        try:
            latitude, longitude = float(lat), float(long)
        except ValueError:
            self.add(file, row.number, f"{lat_column}/{long_column} {lat!r}, {long!r} not numbers")
            return None
        if not (
            LATITUDE_RANGE[0] <= latitude <= LATITUDE_RANGE[1]
            and LONGITUDE_RANGE[0] <= longitude <= LONGITUDE_RANGE[1]
        ):
            self.add(
                file,
                row.number,
                f"{lat_column}/{long_column} ({latitude}, {longitude}) is outside the UK",
            )
            return None
        return Point(longitude, latitude, srid=4326)


def read_csv(source: Path, relative: str, checker: _Checker) -> list[Row] | None:
    path = source / relative
    if not path.is_file():
        checker.add(relative, None, f"file not found in {source}")
        return None
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = [h.strip() for h in next(reader, [])]
            missing = [c for c in REQUIRED_COLUMNS[relative] if c not in header]
            if missing:
                checker.add(relative, 1, f"missing column(s): {', '.join(missing)}")
                return None
            rows = []
            for number, values in enumerate(reader, start=2):
                if not any(v.strip() for v in values):
                    continue
                if len(values) != len(header):
                    checker.add(
                        relative,
                        number,
                        f"has {len(values)} values but the header has {len(header)} columns",
                    )
                    continue
                cells = {h: v.strip() for h, v in zip(header, values, strict=True)}
                rows.append(Row(number, cells))
    except UnicodeDecodeError as exc:
        checker.add(relative, None, f"is not UTF-8 text ({exc.reason} at byte {exc.start})")
        return None
    except csv.Error as exc:
        checker.add(relative, None, f"cannot be read as CSV: {exc}")
        return None
    if not rows:
        checker.add(relative, None, "has no data rows")
        return None
    return rows


def read_boundaries(source: Path, relative: str, checker: _Checker) -> dict[str, MultiPolygon]:
    """code -> valid MultiPolygon (EPSG:4326) for every feature of a boundary file."""
    path = source / relative
    if not path.is_file():
        checker.add(relative, None, f"file not found in {source}")
        return {}
    try:
        collection = json.loads(path.read_text(encoding="utf-8"))
        features = collection["features"]
    except (ValueError, KeyError, TypeError) as exc:
        checker.add(relative, None, f"is not a GeoJSON FeatureCollection ({exc})")
        return {}
    shapes: dict[str, MultiPolygon] = {}
    for index, feature in enumerate(features, start=1):
        code = str((feature.get("properties") or {}).get("code") or "")
        where = f"feature {index} ({code or 'no code'})"
        if not code:
            checker.add(relative, where, "has no 'code' property")
            continue
        if code in shapes:
            checker.add(relative, where, f"duplicate code {code!r}")
            continue
        geometry = _multipolygon(feature.get("geometry"), relative, where, checker)
        if geometry is not None:
            shapes[code] = geometry
    return shapes


def _multipolygon(
    geometry: dict | None, file: str, where: str, checker: _Checker
) -> MultiPolygon | None:
    try:
        geom = GEOSGeometry(json.dumps(geometry), srid=4326)
    except (GEOSException, ValueError, TypeError) as exc:
        checker.add(file, where, f"geometry cannot be read ({exc})")
        return None
    if geom.geom_type == "Polygon":
        geom = MultiPolygon(geom, srid=4326)
    if geom.geom_type != "MultiPolygon":
        checker.add(file, where, f"geometry is a {geom.geom_type}, not a (Multi)Polygon")
        return None
    if geom.empty:
        checker.add(file, where, "geometry is empty")
        return None
    if not geom.valid:
        checker.add(file, where, f"invalid geometry: {geom.valid_reason}")
        return None
    return geom


def source_fingerprint(source: Path) -> str:
    """SHA-256 over the names and bytes of every file the load reads."""
    digest = hashlib.sha256()
    for relative in sorted([*REQUIRED_COLUMNS, *BOUNDARY_FILES.values()]):
        path = source / relative
        digest.update(relative.encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def parse_reference_data(source: Path) -> ReferenceData:
    """Read and cross-check every file; raise ReferenceDataError listing all problems."""
    source = Path(source)
    checker = _Checker()
    if not source.is_dir():
        raise ReferenceDataError([Problem(str(source), None, "reference data folder not found")])
    data = ReferenceData(source=source, fingerprint=source_fingerprint(source))
    rows = {relative: read_csv(source, relative, checker) for relative in REQUIRED_COLUMNS}
    shapes = {
        level: read_boundaries(source, relative, checker)
        for level, relative in BOUNDARY_FILES.items()
    }
    if checker.problems:  # without every file and column, cross-checks would only add noise
        raise ReferenceDataError(checker.problems)

    data.countries = _areas(checker, rows[COUNTRIES_CSV], COUNTRIES_CSV, "country", {})
    countries = {a.code for a in data.countries}
    data.regions = _areas(
        checker, rows[REGIONS_CSV], REGIONS_CSV, "region", {"country_code": (countries, "country")}
    )
    regions = {a.code for a in data.regions}
    data.icbs = _areas(
        checker,
        rows[ICBS_CSV],
        ICBS_CSV,
        "icb",
        {"nhser_code": (regions, "NHS England region"), "country_code": (countries, "country")},
    )
    data.lhbs = _areas(
        checker, rows[LHBS_CSV], LHBS_CSV, "lhb", {"country_code": (countries, "country")}
    )
    for level, areas in (
        (BoundaryLevel.COUNTRY, data.countries),
        (BoundaryLevel.NHS_ENGLAND_REGION, data.regions),
        (BoundaryLevel.INTEGRATED_CARE_BOARD, data.icbs),
        (BoundaryLevel.LOCAL_HEALTH_BOARD, data.lhbs),
    ):
        _attach_boundaries(checker, level, areas, shapes[level])

    data.networks = _simple(checker, rows[NETWORKS_CSV], NETWORKS_CSV, "network")
    data.openuk_networks = _simple(checker, rows[OPENUK_CSV], OPENUK_CSV, "openuk")
    known = {
        "country": countries,
        "region": regions,
        "icb": {a.code for a in data.icbs},
        "lhb": {a.code for a in data.lhbs},
        "lhb_ods": {a.fields["ods_code"]: a.code for a in data.lhbs},
        "network": {n["code"] for n in data.networks},
        "openuk": {n["code"] for n in data.openuk_networks},
    }
    data.trusts = _trusts(checker, rows[TRUSTS_CSV], known)
    known["trust"] = {t["ods_code"] for t in data.trusts}
    data.organisations = _organisations(checker, rows[ORGANISATIONS_CSV], known)
    known["organisation"] = {o["ods_code"] for o in data.organisations}
    data.units = _units(checker, rows[UNITS_CSV], known, {a.code: a for a in data.icbs})
    if checker.problems:
        raise ReferenceDataError(checker.problems)
    return data


def _areas(
    checker: _Checker,
    rows: list[Row],
    file: str,
    kind: str,
    parents: dict[str, tuple[set[str], str]],
) -> list[Area]:
    checker.unique(file, rows, "code")
    areas = []
    for row in rows:
        if not checker.required(file, row, "code", "name", *parents):
            continue
        checker.code(file, row, "code", kind)
        for column, (known, what) in parents.items():
            checker.reference(file, row, column, known, what)
        fields = {
            key: row[key]
            for key in ("name_welsh", "ods_code", "short_name", "country_code", "nhser_code")
            if key in row.values
        }
        areas.append(
            Area(
                code=row["code"],
                name=row["name"],
                fields=fields,
                row=row.number,
                label_point=checker.point(file, row, "label_lat", "label_long"),
            )
        )
    return areas


def _attach_boundaries(
    checker: _Checker, level: BoundaryLevel, areas: list[Area], shapes: dict[str, MultiPolygon]
) -> None:
    file = BOUNDARY_FILES[level]
    listed = {area.code for area in areas}
    for code in sorted(set(shapes) - listed):
        checker.add(file, f"feature {code}", f"code {code!r} is not in the {level.label} list")
    for area in areas:
        area.boundary = shapes.get(area.code)
        if area.boundary is None:
            checker.add(file, None, f"no boundary for {area.code} ({area.name})")


def _simple(checker: _Checker, rows: list[Row], file: str, kind: str) -> list[dict]:
    checker.unique(file, rows, "code")
    records = []
    for row in rows:
        if checker.required(file, row, "code", "name"):
            checker.code(file, row, "code", kind)
            record = {"_row": row.number, "code": row["code"], "name": row["name"]}
            if "country_name" in row.values:
                record["country_name"] = row["country_name"]
            records.append(record)
    return records


def _trusts(checker: _Checker, rows: list[Row], known: dict) -> list[dict]:
    file = TRUSTS_CSV
    checker.unique(file, rows, "ods_code")
    trusts = []
    for row in rows:
        if not checker.required(file, row, "ods_code", "name"):
            continue
        checker.code(file, row, "ods_code", "ods")
        trusts.append(
            {
                "_row": row.number,
                "ods_code": row["ods_code"],
                "name": row["name"],
                "address_line_1": row["address_line_1"],
                "address_line_2": row["address_line_2"],
                "town": row["town"],
                "postcode": row["postcode"],
                "country_id": checker.reference(
                    file, row, "country_code", known["country"], "country"
                )
                or None,
                "primary_integrated_care_board_id": checker.reference(
                    file, row, "primary_icb_code", known["icb"], "ICB"
                )
                or None,
                "nhs_england_region_id": checker.reference(
                    file, row, "nhser_code", known["region"], "NHS England region"
                )
                or None,
                "openuk_network_id": checker.reference(
                    file, row, "openuk_network_code", known["openuk"], "OPEN UK network"
                )
                or None,
            }
        )
    return trusts


def _parent(checker: _Checker, file: str, row: Row, known: dict) -> tuple[str | None, str | None]:
    """(trust ods code, LHB ONS code) of a row's parent_ods_code, by its parent_type."""
    parent, parent_type = row["parent_ods_code"], row["parent_type"]
    if parent_type not in PARENT_TYPES:
        checker.add(file, row.number, f"unknown parent_type {parent_type!r}")
        return None, None
    if not parent:
        return None, None
    if parent_type == "Local Health Board":
        lhb = known["lhb_ods"].get(parent)
        if lhb is None:
            checker.add(
                file, row.number, f"unknown local health board code {parent!r} in parent_ods_code"
            )
        return None, lhb
    if parent not in known["trust"]:
        checker.add(file, row.number, f"unknown trust code {parent!r} in parent_ods_code")
        return None, None
    return parent, None


def _area_references(checker: _Checker, file: str, row: Row, known: dict) -> dict:
    def ref(column: str, kind: str, what: str) -> str | None:
        return checker.reference(file, row, column, known[kind], what) or None

    return {
        "integrated_care_board_id": ref("icb_code", "icb", "ICB"),
        "nhs_england_region_id": ref("nhser_code", "region", "NHS England region"),
        "country_id": ref("country_code", "country", "country"),
    }


def _organisations(checker: _Checker, rows: list[Row], known: dict) -> list[dict]:
    file = ORGANISATIONS_CSV
    checker.unique(file, rows, "ods_code")
    organisations = []
    for row in rows:
        if not checker.required(file, row, "ods_code", "name"):
            continue
        checker.code(file, row, "ods_code", "ods")
        trust, parent_lhb = _parent(checker, file, row, known)
        lhb = checker.reference(file, row, "lhb_code", known["lhb"], "local health board")
        organisations.append(
            {
                "_row": row.number,
                "ods_code": row["ods_code"],
                "name": row["name"],
                **{k: row[k] for k in ("address1", "address2", "address3", "city", "county")},
                "postcode": row["postcode"],
                "point": checker.point(file, row, "latitude", "longitude"),
                "trust_id": trust,
                "local_health_board_id": lhb or parent_lhb or None,
                **_area_references(checker, file, row, known),
                "openuk_network_id": checker.reference(
                    file, row, "openuk_network_code", known["openuk"], "OPEN UK network"
                )
                or None,
                "notes": row["notes"],
            }
        )
    return organisations


def _units(checker: _Checker, rows: list[Row], known: dict, icbs: dict[str, Area]) -> list[dict]:
    file = UNITS_CSV
    checker.unique(file, rows, "pz_code")
    units = []
    for row in rows:
        if not checker.required(file, row, "pz_code", "pdu_name", "ods_code", "ods_level"):
            continue
        checker.code(file, row, "pz_code", "pdu")
        level = row["ods_level"]
        if level not in UNIT_LEAD_LEVELS:
            checker.add(file, row.number, f"unknown ods_level {level!r}")
        lead_organisation = None
        if level == "site":
            lead_organisation = (
                checker.reference(file, row, "ods_code", known["organisation"], "organisation")
                or None
            )
        trust, parent_lhb = _parent(checker, file, row, known)
        areas = _area_references(checker, file, row, known)
        lhb = checker.reference(file, row, "lhb_code", known["lhb"], "local health board") or None
        _check_unit_geography(checker, row, areas, lhb, icbs)
        units.append(
            {
                "_row": row.number,
                "pz_code": row["pz_code"],
                "name": row["pdu_name"],
                "lead_ods_code": row["ods_code"],
                "lead_level": level,
                "lead_organisation_id": lead_organisation,
                "trust_id": trust,
                "local_health_board_id": lhb or parent_lhb,
                **areas,
                "paediatric_diabetes_network_id": checker.reference(
                    file, row, "pdn_code", known["network"], "paediatric diabetes network"
                )
                or None,
                "point": checker.point(file, row, "latitude", "longitude"),
                "postcode": row["postcode"],
                "geography_method": row["geography_method"],
                "notes": row["notes"],
            }
        )
    return units


def _check_unit_geography(
    checker: _Checker, row: Row, areas: dict, lhb: str | None, icbs: dict[str, Area]
) -> None:
    """English units need an ICB and its region; Welsh units an LHB and no ICB (geography.md)."""
    file, country = UNITS_CSV, areas["country_id"]
    icb, region = areas["integrated_care_board_id"], areas["nhs_england_region_id"]
    if country == "E92000001":
        if not icb or not region:
            checker.add(file, row.number, "English unit without an ICB and NHS England region")
        elif icb in icbs and icbs[icb].fields["nhser_code"] != region:
            checker.add(
                file,
                row.number,
                f"ICB {icb} is in region {icbs[icb].fields['nhser_code']}, not {region}",
            )
    elif country == "W92000004":
        if not lhb:
            checker.add(file, row.number, "Welsh unit without a local health board")
        if icb or region:
            checker.add(file, row.number, "Welsh unit with an English ICB or region")
