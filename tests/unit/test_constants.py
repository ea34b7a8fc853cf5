from constants import codes
from constants.groups import CUSTOM_PERMISSIONS, GROUP_PERMISSIONS, RCPCH_GROUPS, GroupName
from constants.kpis import MEASURES, MEASURES_BY_NUMBER, MeasureKind, Polarity


def test_registry_has_the_51_results_of_the_spec():
    numbers = [m.number for m in MEASURES]
    expected = [str(n) for n in range(1, 32)] + ["32.1", "32.2", "32.3"]
    expected += [str(n) for n in range(33, 50)]
    assert numbers == expected
    assert len({m.field_name for m in MEASURES}) == 51
    assert MEASURES_BY_NUMBER["32.1"].field_name == "kpi_32_1"


def test_measure_types_and_polarities_follow_the_spec():
    assert MEASURES_BY_NUMBER["32.1"].kind == MeasureKind.CHECK_PROPORTION
    assert MEASURES_BY_NUMBER["44"].kind == MeasureKind.MEAN
    assert MEASURES_BY_NUMBER["45"].kind == MeasureKind.MEDIAN
    assert MEASURES_BY_NUMBER["46"].kind == MeasureKind.EVENT_COUNT
    assert MEASURES_BY_NUMBER["44"].polarity == Polarity.LOWER_IS_BETTER
    assert MEASURES_BY_NUMBER["25"].polarity == Polarity.HIGHER_IS_BETTER
    assert all(MEASURES_BY_NUMBER[str(n)].polarity == Polarity.CONTEXT for n in range(1, 10))
    assert MEASURES_BY_NUMBER["43"].population == "P7/14"


def test_six_groups_with_nested_access():
    assert set(GROUP_PERMISSIONS) == set(GroupName)
    full, edit, view = (GROUP_PERMISSIONS[g] for g in RCPCH_GROUPS)
    assert view < edit < full
    trust_full = GROUP_PERMISSIONS[GroupName.TRUST_AUDIT_TEAM_FULL_ACCESS]
    trust_edit = GROUP_PERMISSIONS[GroupName.TRUST_AUDIT_TEAM_EDIT_ACCESS]
    trust_view = GROUP_PERMISSIONS[GroupName.TRUST_AUDIT_TEAM_VIEW_ONLY]
    assert trust_view < trust_edit < trust_full


def test_only_rcpch_groups_see_every_unit_and_publish():
    for group, permissions in GROUP_PERMISSIONS.items():
        assert ("view_all_units" in permissions) == (group in RCPCH_GROUPS)
    publishers = [g for g, p in GROUP_PERMISSIONS.items() if "publish_aggregates" in p]
    assert publishers == [GroupName.RCPCH_AUDIT_TEAM_FULL_ACCESS]


def test_view_only_groups_cannot_change_clinical_data_or_upload():
    for group in (GroupName.RCPCH_AUDIT_TEAM_VIEW_ONLY, GroupName.TRUST_AUDIT_TEAM_VIEW_ONLY):
        permissions = GROUP_PERMISSIONS[group]
        assert not {p for p in permissions if p.startswith(("add_", "change_", "delete_"))}
        assert "upload_submission" not in permissions


def test_custom_permissions_are_unique():
    codenames = [code for _, code, _ in CUSTOM_PERMISSIONS]
    assert len(codenames) == len(set(codenames))


def test_hba1c_conversion_uses_the_unrounded_intercept():
    assert round(codes.hba1c_percent_to_mmol_per_mol(7.5), 4) == 58.4609
    assert round(codes.hba1c_mmol_per_mol_to_percent(58), 4) == 7.4578
    assert round(codes.hba1c_mmol_per_mol_to_percent(48), 4) == 6.5430


def test_every_ethnic_category_has_a_dashboard_group():
    assert set(codes.ETHNICITY_GROUP) == set(codes.Ethnicity.values)
    assert codes.ETHNICITY_GROUP["R"] == codes.EthnicityGroup.ASIAN
    assert codes.ETHNICITY_GROUP["99"] == codes.EthnicityGroup.NOT_STATED


def test_the_2026_code_lists_are_the_data_dictionarys():
    """data-dictionary §10.1 and §10.2, code by code."""
    from constants import codes

    expected = {
        codes.AdhdAsdStatus: [1, 2, 3, 4, 99],
        codes.InsulinRegimen: [1, 2, 3, 4, 5, 99],
        codes.NonInsulinMedication: [1, 2, 3, 4, 5, 99],
        codes.SmokingVapingStatus: [1, 2, 3, 4, 99],
        codes.PsychologicalSupportOutcome: [1, 2, 3, 4, 5, 99],
        codes.AdmissionReason2026: [1, 2, 3, 4, 5, 6],
    }
    for choices, values in expected.items():
        assert list(choices.values) == values, choices.__name__
    assert codes.InsulinRegimen.HYBRID_CLOSED_LOOP == 5
    assert codes.AdmissionReason2026.DKA == 1  # 2 in the 2021 list
    assert codes.SmokingVapingStatus.SMOKES_AND_VAPES == 4


def test_the_2026_fields_are_stored_with_their_code_lists():
    from constants import codes
    from npda.data_model.models import Patient, Visit

    assert Patient._meta.get_field("adhd_asd_status").choices == codes.AdhdAsdStatus.choices
    assert Visit._meta.get_field("insulin_regimen").choices == codes.InsulinRegimen.choices
    ph = Visit._meta.get_field("blood_gas_ph")
    bicarbonate = Visit._meta.get_field("blood_gas_bicarbonate")
    assert (ph.max_digits, ph.decimal_places) == (4, 3)
    assert (bicarbonate.max_digits, bicarbonate.decimal_places) == (5, 2)
    for name in ("cgm_use", "immunotherapy_received", "dietary_lifestyle_modification"):
        assert Visit._meta.get_field(name).choices == codes.YesNoUnknown.choices


def test_breakdown_keys_and_categories_fit_the_release_columns():
    from aggregation.models import ReleaseAggregate
    from constants.breakdowns import BREAKDOWNS

    key_length = ReleaseAggregate._meta.get_field("breakdown").max_length
    category_length = ReleaseAggregate._meta.get_field("category").max_length
    for breakdown in BREAKDOWNS:
        assert len(breakdown.key) <= key_length, breakdown.key
        assert all(len(code) <= category_length for code in breakdown.category_codes)


def test_measure_names_and_definitions_follow_the_dataset_of_the_year():
    from constants.kpis import breaks_between, definition_for, is_collected, name_for

    assert name_for("22", 2025) == "Real-time CGM with alarms (all types)"
    assert name_for("22", 2026) == "Any CGM (all types)"
    assert name_for("23", 2027) == "Any CGM (type 1)" and name_for("44", 2026) == "Mean HbA1c"
    assert "Not collected from 2026–27" in definition_for("21", 2026)
    assert "Not collected" not in definition_for("21", 2025)
    assert not is_collected("21", 2026) and is_collected("21", 2021) and is_collected("22", 2026)
    assert breaks_between("22", 2025, 2026) and not breaks_between("22", 2026, 2027)
    assert not breaks_between("44", 2025, 2026)
