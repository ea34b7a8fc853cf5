"""Bad reference data stops the load with a precise message and changes nothing."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from boundaries import sources
from npda.data_model import models as m
from tests.reference_files import (
    BOW_TIE,
    copy_reference_data,
    drop_column,
    find_row,
    set_cell,
    set_geometry,
)

pytestmark = pytest.mark.django_db


def database_snapshot() -> dict:
    """Everything a load writes, in comparable form."""
    return {
        "countries": list(m.Country.objects.values_list("code", "name").order_by("code")),
        "icbs": list(m.IntegratedCareBoard.objects.values_list("code", "name", "ods_code")),
        "icb_shapes": list(
            m.IntegratedCareBoard.objects.values_list("code", "boundary").order_by("code")
        ),
        "units": list(m.PaediatricDiabetesUnit.objects.values().order_by("pz_code")),
        "organisations": m.Organisation.objects.count(),
        "trusts": list(m.Trust.objects.values_list("ods_code", "name").order_by("ods_code")),
        "layers": list(m.BoundaryLayer.objects.values_list("level", "fingerprint")),
        "loads": m.ReferenceDataLoad.objects.count(),
    }


def rejected(source) -> str:
    before = database_snapshot()
    with pytest.raises(CommandError) as caught:
        call_command("load_reference_data", source=source, stdout=StringIO())
    assert database_snapshot() == before, "a rejected load changed the database"
    message = str(caught.value)
    assert message.startswith("Reference data rejected")
    assert "nothing was changed" in message
    return message


def test_missing_file(tmp_path):
    source = copy_reference_data(tmp_path)
    (source / sources.UNITS_CSV).unlink()
    assert "lookups/paediatric_diabetes_units.csv: file not found" in rejected(source)


def test_wrong_column(tmp_path):
    source = copy_reference_data(tmp_path)
    drop_column(source / sources.ICBS_CSV, "nhser_code")
    assert "lookups/integrated_care_boards.csv row 1: missing column(s): nhser_code" in rejected(
        source
    )


def test_unknown_parent_code(tmp_path):
    source = copy_reference_data(tmp_path)
    path = source / sources.UNITS_CSV
    row = find_row(path, "pz_code", "PZ001")
    set_cell(path, row, "lhb_code", "W11000099")
    assert (
        f"lookups/paediatric_diabetes_units.csv row {row}: unknown local health board code "
        "'W11000099' in lhb_code" in rejected(source)
    )


def test_invalid_geometry(tmp_path):
    source = copy_reference_data(tmp_path)
    code = set_geometry(source / sources.BOUNDARY_FILES["region"], 2, BOW_TIE)
    message = rejected(source)
    assert f"boundaries/nhs_england_regions_2022.geojson feature 3 ({code}): invalid geometry" in (
        message
    )


def test_a_failure_late_in_the_load_rolls_back_the_earlier_tables(tmp_path):
    """Countries are written first; a unit name too long for its column is found last."""
    source = copy_reference_data(tmp_path)
    set_cell(source / sources.COUNTRIES_CSV, 2, "name", "England (renamed)")
    path = source / sources.UNITS_CSV
    row = find_row(path, "pz_code", "PZ041")
    set_cell(path, row, "pdu_name", "x" * 200)
    message = rejected(source)  # asserts the renamed country did not survive
    assert f"lookups/paediatric_diabetes_units.csv row {row}: name is 200 characters" in message
    assert m.Country.objects.get(code="E92000001").name == "England"


def test_a_good_load_after_a_rejected_one_still_works(tmp_path, settings):
    source = copy_reference_data(tmp_path)
    (source / sources.TRUSTS_CSV).unlink()
    rejected(source)
    call_command("load_reference_data", source=settings.NPDA_REFERENCE_DATA, stdout=StringIO())
    assert m.PaediatricDiabetesUnit.objects.count() == 172
