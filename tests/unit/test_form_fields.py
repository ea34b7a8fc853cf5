"""The words of the web forms (constants/form_fields.py): every template field has a label, dates
show the day-first example, and dependent questions say when they apply."""

import pytest

from constants.csv_template import TEMPLATE_2021, TEMPLATE_2026, ColumnType, Target, Template
from constants.form_fields import DATE_EXAMPLE, FIELD_TEXT, FIELD_TEXT_2026, field_text

TEMPLATES = (TEMPLATE_2021, TEMPLATE_2026)

DEPENDENT_2021 = (
    "closed_loop_system",
    "smoking_cessation_referral_date",
    "dietician_additional_appointment_date",
    "dka_additional_therapies",
    "hospital_admission_other",
    "hospital_discharge_date",
    "thyroid_function_date",
    "psychological_screening_assessment_date",
)
DEPENDENT_2026 = (
    "smoking_cessation_referral_date",
    "dietician_additional_appointment_date",
    "dka_additional_therapies",
    "hospital_admission_other",
    "hospital_discharge_date",
    "blood_gas_ph",
    "blood_gas_bicarbonate",
    "thyroid_function_date",
    "psychological_screening_assessment_date",
)


def form_columns(template: Template):
    """The template's columns that a form asks for: all but the PDU Number."""
    return [c for c in template.columns if c.target != Target.SUBMISSION]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.name)
def test_every_field_has_a_label(template):
    for column in form_columns(template):
        assert field_text(column.field, template.dataset_year).label.strip(), column.field
    assert field_text("unique_reference_number", template.dataset_year).label


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.name)
def test_every_date_hint_ends_with_the_day_first_example(template):
    dates = [c for c in form_columns(template) if c.type == ColumnType.DATE]
    assert dates
    for column in dates:
        hint = field_text(column.field, template.dataset_year).hint
        assert hint.endswith("For example, 27/03/2025."), column.field
    assert DATE_EXAMPLE == "For example, 27/03/2025."


@pytest.mark.parametrize(
    ("template", "dependent"),
    [(TEMPLATE_2021, DEPENDENT_2021), (TEMPLATE_2026, DEPENDENT_2026)],
    ids=["2021", "2026"],
)
def test_dependent_questions_say_when_they_apply(template, dependent):
    for field in dependent:
        assert field in template.fields, field
        assert field_text(field, template.dataset_year).shown_when.strip(), field


def test_conditions_follow_each_dataset_codes():
    """2021: current smoker is 2, DKA is reason 2. 2026: smokers are 2 or 4 (Appendix B rule
    5), acute DKA is reason 1 (rule 6), pH and bicarbonate need an admission (rule 7)."""
    assert "(2)" in field_text("smoking_cessation_referral_date", 2021).shown_when
    smoking_2026 = field_text("smoking_cessation_referral_date", 2026).shown_when
    assert "(2)" in smoking_2026 and "(4)" in smoking_2026
    assert "(2)" in field_text("dka_additional_therapies", 2021).shown_when
    assert "(1)" in field_text("dka_additional_therapies", 2026).shown_when
    for field in ("blood_gas_ph", "blood_gas_bicarbonate"):
        assert "admission" in field_text(field, 2026).shown_when
    closed_loop = field_text("closed_loop_system", 2021).shown_when
    assert "3" in closed_loop and "6" in closed_loop


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.name)
def test_labels_are_unique_within_a_form(template):
    columns = form_columns(template)
    groups = {
        "visit": [c.field for c in columns if c.target == Target.VISIT],
        "patient and site": [c.field for c in columns if c.target in (Target.PATIENT, Target.SITE)],
    }
    for name, fields in groups.items():
        labels = [field_text(f, template.dataset_year).label.casefold() for f in fields]
        repeated = {label for label in labels if labels.count(label) > 1}
        assert not repeated, f"{template.name} {name}: {repeated}"


def test_no_label_ends_with_a_full_stop():
    for field, text in [*FIELD_TEXT.items(), *FIELD_TEXT_2026.items()]:
        assert not text.label.rstrip().endswith("."), field
        assert text.label == text.label.strip(), field


def test_2026_wording_overrides_2021():
    assert field_text("sex", 2021).label == "Stated gender"
    assert field_text("sex", 2026).label == "Sex assigned at birth"
    assert field_text("height", 2026) is FIELD_TEXT["height"]
    assert field_text("blood_gas_ph", 2026) is FIELD_TEXT_2026["blood_gas_ph"]
    assert all(FIELD_TEXT_2026[f] != FIELD_TEXT.get(f) for f in FIELD_TEXT_2026)
    assert set(FIELD_TEXT_2026) <= TEMPLATE_2026.fields


def test_unknown_field_is_a_key_error():
    with pytest.raises(KeyError):
        field_text("no_such_field", 2021)
    with pytest.raises(KeyError):
        field_text("no_such_field", 2026)
    with pytest.raises(KeyError):
        field_text("paediatric_diabetes_unit", 2021)
