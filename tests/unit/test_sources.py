"""Reading and checking the reference files (no database: everything is checked before writing)."""

import pytest

from boundaries import sources
from boundaries.sources import ReferenceDataError, parse_reference_data
from tests.reference_files import (
    BOW_TIE,
    copy_reference_data,
    drop_column,
    find_row,
    set_cell,
    set_geometry,
)


def problems_of(source) -> list[str]:
    with pytest.raises(ReferenceDataError) as caught:
        parse_reference_data(source)
    return [str(p) for p in caught.value.problems]


def test_the_real_reference_data_parses_with_the_expected_counts(settings):
    data = parse_reference_data(settings.NPDA_REFERENCE_DATA)
    assert (len(data.countries), len(data.regions), len(data.icbs), len(data.lhbs)) == (4, 7, 42, 7)
    assert (len(data.trusts), len(data.organisations), len(data.units)) == (242, 339, 172)
    assert len(data.networks) == 12 and len(data.openuk_networks) == 15
    assert all(area.boundary is not None and area.boundary.valid for area in data.icbs)


def test_missing_file_is_named(tmp_path):
    source = copy_reference_data(tmp_path)
    (source / sources.TRUSTS_CSV).unlink()
    assert problems_of(source) == [f"lookups/trusts.csv: file not found in {source}"]


def test_missing_folder(tmp_path):
    assert problems_of(tmp_path / "nowhere") == [
        f"{tmp_path / 'nowhere'}: reference data folder not found"
    ]


def test_missing_column_is_named(tmp_path):
    source = copy_reference_data(tmp_path)
    drop_column(source / sources.UNITS_CSV, "icb_code")
    assert problems_of(source) == [
        "lookups/paediatric_diabetes_units.csv row 1: missing column(s): icb_code"
    ]


def test_unknown_parent_code_names_file_row_and_code(tmp_path):
    source = copy_reference_data(tmp_path)
    path = source / sources.UNITS_CSV
    row = find_row(path, "pz_code", "PZ041")
    set_cell(path, row, "icb_code", "E54999999")
    assert problems_of(source) == [
        f"lookups/paediatric_diabetes_units.csv row {row}: unknown ICB code 'E54999999' in icb_code"
    ]


def test_unknown_trust_parent_of_an_organisation(tmp_path):
    source = copy_reference_data(tmp_path)
    path = source / sources.ORGANISATIONS_CSV
    set_cell(path, 5, "parent_ods_code", "ZZZ")
    set_cell(path, 5, "parent_type", "NHS Trust")
    assert problems_of(source) == [
        "lookups/organisations.csv row 5: unknown trust code 'ZZZ' in parent_ods_code"
    ]


def test_icb_in_the_wrong_region_for_a_unit(tmp_path):
    source = copy_reference_data(tmp_path)
    path = source / sources.UNITS_CSV
    row = find_row(path, "pz_code", "PZ041")
    set_cell(path, row, "nhser_code", "E40000003")  # London; PZ041's ICB is elsewhere
    [problem] = problems_of(source)
    assert problem.startswith(f"lookups/paediatric_diabetes_units.csv row {row}: ICB E54")
    assert problem.endswith("not E40000003")


def test_invalid_geometry_names_file_feature_and_reason(tmp_path):
    source = copy_reference_data(tmp_path)
    code = set_geometry(source / sources.BOUNDARY_FILES["icb"], 4, BOW_TIE)
    [problem] = problems_of(source)
    assert problem.startswith(
        f"boundaries/integrated_care_boards_2023.geojson feature 5 ({code}): invalid geometry: "
        "Self-intersection"
    )


def test_point_geometry_is_rejected(tmp_path):
    source = copy_reference_data(tmp_path)
    code = set_geometry(
        source / sources.BOUNDARY_FILES["lhb"], 0, {"type": "Point", "coordinates": [-3, 52]}
    )
    assert problems_of(source) == [
        f"boundaries/local_health_boards_2022.geojson feature 1 ({code}): "
        "geometry is a Point, not a (Multi)Polygon"
    ]


def test_boundary_missing_for_a_listed_area(tmp_path):
    source = copy_reference_data(tmp_path)
    path = source / sources.LHBS_CSV
    set_cell(path, 2, "code", "W11000099")
    assert set(problems_of(source)) >= {
        "boundaries/local_health_boards_2022.geojson: no boundary for W11000099 "
        "(Betsi Cadwaladr University Health Board)",
    }


def test_duplicate_code_and_blank_name(tmp_path):
    source = copy_reference_data(tmp_path)
    path = source / sources.NETWORKS_CSV
    set_cell(path, 3, "code", "PN01")
    set_cell(path, 4, "name", "")
    found = problems_of(source)
    assert (
        "lookups/paediatric_diabetes_networks.csv row 3: duplicate code 'PN01' (first on row 2)"
        in found
    )
    assert "lookups/paediatric_diabetes_networks.csv row 4: name is blank" in found


def test_bad_coordinates(tmp_path):
    source = copy_reference_data(tmp_path)
    path = source / sources.ORGANISATIONS_CSV
    set_cell(path, 7, "latitude", "north")
    set_cell(path, 8, "latitude", "-51.5")
    found = problems_of(source)
    assert any(
        p.startswith("lookups/organisations.csv row 7: latitude/longitude 'north'") for p in found
    )
    assert any(
        p.startswith("lookups/organisations.csv row 8: latitude/longitude (-51.5")
        and p.endswith("is outside the UK")
        for p in found
    )


def test_malformed_code(tmp_path):
    source = copy_reference_data(tmp_path)
    path = source / sources.UNITS_CSV
    set_cell(path, 2, "pz_code", "P001")
    assert (
        "lookups/paediatric_diabetes_units.csv row 2: pz_code 'P001' is not a valid pdu code"
        in (problems_of(source))
    )


def test_every_problem_is_reported_at_once(tmp_path):
    source = copy_reference_data(tmp_path)
    set_cell(source / sources.TRUSTS_CSV, 3, "country_code", "X92000001")
    set_cell(source / sources.UNITS_CSV, 4, "pdn_code", "PN99")
    found = problems_of(source)
    assert len(found) == 2
    assert "lookups/trusts.csv row 3: unknown country code 'X92000001' in country_code" in found
    assert (
        "lookups/paediatric_diabetes_units.csv row 4: "
        "unknown paediatric diabetes network code 'PN99' in pdn_code" in found
    )


def test_fingerprint_changes_with_content(tmp_path, settings):
    source = copy_reference_data(tmp_path)
    before = sources.source_fingerprint(source)
    assert before == sources.source_fingerprint(settings.NPDA_REFERENCE_DATA)
    set_cell(source / sources.NETWORKS_CSV, 2, "name", "Jersey and Guernsey")
    assert sources.source_fingerprint(source) != before
