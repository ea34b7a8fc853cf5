"""File-level checks (csv-submission.md §3-§5): every fatal error with its message."""

import csv
import io

import pytest

from constants.csv_template import TEMPLATE_2021, TEMPLATE_2026
from npda.submissions.reader import FatalError, read_upload
from tests.csv_files import make_csv, make_csv_2026, row, row_2026


def read(
    content: bytes,
    *,
    pz_code="PZ041",
    file_name="PZ041 data.csv",
    is_open=True,
    may_upload_closed=False,
    limit_mb=20.0,
    template=TEMPLATE_2021,
    period_label="2024-2025",
):
    return read_upload(
        content,
        file_name,
        pz_code,
        template=template,
        period_label=period_label,
        period_is_open=is_open,
        may_upload_to_closed_period=may_upload_closed,
        size_limit_mb=limit_mb,
    )


def fatal(content: bytes, **kwargs) -> FatalError:
    with pytest.raises(FatalError) as caught:
        read(content, **kwargs)
    return caught.value


def test_a_valid_file_maps_every_template_column():
    upload = read(make_csv([row(), row(visit_date="11/07/2024")]))
    assert len(upload.columns) == 52 and upload.row_count == 2
    rows = list(upload.rows())
    assert [number for number, _ in rows] == [2, 3]
    assert rows[1][1]["visit_date"] == "11/07/2024"
    assert "death_date" not in rows[0][1]  # blank cells are left out


def test_f01_not_a_csv_file():
    assert fatal(make_csv([row()]), file_name="data.xlsx").message == (
        "Please upload a CSV file (a file ending in .csv)."
    )
    assert fatal(b"PK\x03\x04\x00\x00binary", file_name="data.csv").code == "F01"


def test_f02_undecodable_text():
    # 0x81 is undefined in Windows-1252 and invalid as UTF-8.
    content = make_csv([row()]).replace(b"WC1X 8SH", b"WC1X \x81SH")
    assert fatal(content).message.startswith("We could not read the text in this file.")


def test_f03_no_data_rows():
    assert fatal(b"").code == "F03"
    assert fatal(make_csv([])).message == (
        "The file has no data rows. Please check you exported the right file."
    )
    assert fatal(make_csv([]) + b",,,\r\n").code == "F03"


def test_f04_no_header_row():
    content = make_csv([row(), row()]).split(b"\r\n", 1)[1]
    assert fatal(content).message.startswith("We could not find the column headings.")


def test_f05_first_data_row_too_long():
    content = make_csv([row()]).replace(b"\r\n", b",extra\r\n").replace(b",extra", b"", 1)
    assert fatal(content).message == (
        "The first row of data has more values than there are column headings. Please check for "
        "an extra column or stray commas."
    )


def test_f06_later_row_too_long_and_unreadable_csv():
    lines = make_csv([row(), row(visit_date="11/07/2024")]).split(b"\r\n")
    lines[2] += b",x,y"
    assert fatal(b"\r\n".join(lines)).message == (
        "Row 3 could not be read: it has 54 values but the file has 52 columns."
    )
    broken = make_csv([row(), row(hospital_admission_other="x")]).replace(b",x\r\n", b',"x\r\n')
    error = fatal(broken)
    assert error.code == "F06" and error.message.startswith("Row 3 could not be read:")


def test_f07_both_identifier_columns():
    headings = [*TEMPLATE_2021.headings(), "Unique Reference Number"]
    assert fatal(make_csv([row()], headings=headings)).code == "F07"


def test_f08_no_identifier_column():
    headings = ["Patient ID", *TEMPLATE_2021.headings()[1:]]
    assert fatal(make_csv([row()], headings=headings)).message.startswith(
        "The file has no NHS Number column"
    )


def test_f09_identifier_must_suit_the_unit():
    assert fatal(make_csv([row()]), pz_code="PZ248").message == (
        "Files for Jersey must use the Unique Reference Number column."
    )
    jersey_file = make_csv([row(unique_reference_number="J1")], jersey=True)
    assert fatal(jersey_file).message == "Files for this unit must use the NHS Number column."
    upload = read(
        make_csv(
            [row(unique_reference_number="J1", paediatric_diabetes_unit="PZ248")], jersey=True
        ),
        pz_code="PZ248",
    )
    assert upload.identifier.field == "unique_reference_number"


def test_f10_missing_repeated_and_unrecognised_columns():
    headings = TEMPLATE_2021.headings()
    headings[9] = "Date of Death (typo)"  # Death Date missing, an unknown heading instead
    headings[13] = headings[12] + ".1"  # "Visit/Appointment Date.1" repeats column 13
    error = fatal(make_csv([row()], headings=headings))
    assert error.message == (
        "The columns do not match the NPDA template. The 2024-2025 audit year uses the 2021 "
        "template (52 columns). Missing: Death Date, Patient Height (cm). "
        "Repeated: Visit/Appointment Date. Not recognised: Date of Death (typo)."
    )


def test_f11_blank_identifiers_list_rows():
    error = fatal(make_csv([row(), row(nhs_number=""), row(nhs_number="  ")]))
    assert error.message == "Every row must have an NHS Number. These rows do not: 3, 4."


def test_f12_several_units():
    error = fatal(make_csv([row(), row(paediatric_diabetes_unit="180")]))
    assert error.message == (
        "The file contains data for more than one unit (PDU Numbers PZ041, PZ180). Please upload "
        "a file for one unit only."
    )


def test_f13_another_unit():
    error = fatal(make_csv([row(paediatric_diabetes_unit="180.0")]))
    assert error.message == (
        "The PDU Number in the file (PZ180) is not the unit you are uploading for (PZ041). "
        "Please check you have chosen the right file."
    )


def test_f14_blank_or_invalid_pdu_numbers():
    assert fatal(make_csv([row(paediatric_diabetes_unit="")])).message == (
        "The PDU Number column is empty or holds a value that is not a PZ code (blank)."
    )
    assert fatal(make_csv([row(), row(paediatric_diabetes_unit="P41")])).message.endswith("(P41).")


def test_w03_blank_pdu_numbers_are_filled():
    upload = read(make_csv([row(), row(paediatric_diabetes_unit="")]))
    assert [(w.code, w.message) for w in upload.warnings] == [
        ("W03", "1 rows had no PDU Number. They have been taken as PZ041.")
    ]


def test_pdu_number_forms_are_accepted():
    for text in ("PZ041", "41", "41.0", "pz 041", "041"):
        assert read(make_csv([row(paediatric_diabetes_unit=text)])).row_count == 1


def test_f15_closed_period():
    assert fatal(make_csv([row()]), is_open=False).message == (
        "Uploads for the 2024-2025 audit year are closed."
    )
    assert read(make_csv([row()]), is_open=False, may_upload_closed=True).row_count == 1


def test_size_limit():
    error = fatal(make_csv([row()] * 200), limit_mb=0.01)
    assert error.code == "F16" and "more than the 0.01 MB limit" in error.message


def test_headings_in_any_order_case_spacing_and_quotes():
    headings = [f'"{h.upper()}  "' for h in TEMPLATE_2021.headings()]
    lines = list(csv.reader(io.StringIO(make_csv([row()], headings=headings).decode())))
    buffer = io.StringIO()
    csv.writer(buffer).writerows([list(reversed(cells)) for cells in lines])
    upload = read(buffer.getvalue().encode())
    assert upload.columns["nhs_number"] == 51
    assert dict(list(upload.rows()))[2]["nhs_number"] == "9434765919"


@pytest.mark.parametrize(
    "column", [c for c in TEMPLATE_2021.columns if c.aliases], ids=lambda c: str(c.number)
)
def test_every_alias_is_accepted(column):
    headings = TEMPLATE_2021.headings()
    headings[column.number - 1] = column.aliases[0]
    upload = read(make_csv([row()], headings=headings))
    assert column.field in upload.columns


def test_non_breaking_spaces_bom_and_footnotes_in_headings():
    headings = TEMPLATE_2021.headings()
    headings[36] = headings[36].replace(" ", "\u00a0") + "†"
    content = "\ufeff".encode() + make_csv([row()], headings=headings)
    assert read(content).row_count == 1


def test_unrecognised_columns_are_ignored_with_w05():
    upload = read(make_csv([row()], headings=[*TEMPLATE_2021.headings(), "Consultant"]))
    assert [w.code for w in upload.warnings] == ["W05"]
    assert upload.warnings[0].message.endswith("ignored: Consultant.")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "latin-1"])
def test_encodings(encoding):
    content = (
        make_csv(
            [
                row(
                    hospital_admission_reason="6",
                    hospital_admission_date="10/06/2024",
                    hospital_admission_other="Café visit – £5",
                )
            ],
            encoding=encoding,
        )
        if encoding != "latin-1"
        else make_csv(
            [
                row(
                    hospital_admission_reason="6",
                    hospital_admission_date="10/06/2024",
                    hospital_admission_other="Café visit £5",
                )
            ],
            encoding=encoding,
        )
    )
    upload = read(content)
    text = dict(list(upload.rows()))[2]["hospital_admission_other"]
    assert text.startswith("Café visit")


def test_lf_line_endings():
    assert read(make_csv([row(), row(visit_date="11/07/2024")], line_ending="\n")).row_count == 2


# --- the 2026 template (csv-submission.md Appendix A and B) ----------------------------------


def read_2026(content: bytes):
    return read(content, template=TEMPLATE_2026, period_label="2026-2027")


def fatal_2026(content: bytes) -> FatalError:
    with pytest.raises(FatalError) as caught:
        read_2026(content)
    return caught.value


def test_the_2026_template_has_59_columns_in_appendix_a_order():
    headings = TEMPLATE_2026.headings()
    assert len(headings) == 59 and len(TEMPLATE_2026.columns) == 59
    assert [c.number for c in TEMPLATE_2026.columns] == list(range(1, 60))
    assert headings[3] == "Sex assigned at birth"
    assert headings[42] == "Does the patient smoke and/or vape"  # no question mark (rule 2)
    assert headings[54] == "Reason for admission"  # "(2026 code list)" is a note
    assert headings[19] == "Observation Date: HbA1c Value"  # no format column after it
    assert TEMPLATE_2026.by_field["hospital_admission_reason_2026"].number == 55
    assert TEMPLATE_2026.patient_fields[-1] == "paediatric_diabetes_unit"  # columns 1-14
    assert "hba1c_format" not in TEMPLATE_2026.fields
    upload = read_2026(make_csv_2026([row_2026()]))
    assert len(upload.columns) == 59


def test_a_2021_file_for_a_2026_period_is_f10_naming_the_template():
    error = fatal_2026(make_csv([row()]))
    assert error.code == "F10"
    assert error.message.startswith(
        "This file is in the NPDA 2021 template, but the 2026-2027 audit year uses the 2026 "
        "template (59 columns). Please download the blank 2026 template (59 columns) from the "
        "upload page and move your data into it. Missing: Sex assigned at birth, Has the patient"
    )
    assert "Not recognised: Stated gender, HbA1c result format," in error.message


def test_a_2026_file_for_a_2021_period_is_f10_naming_the_template():
    error = fatal(make_csv_2026([row_2026()]))
    assert error.code == "F10"
    assert error.message.startswith(
        "This file is in the NPDA 2026 template, but the 2024-2025 audit year uses the 2021 "
        "template (52 columns)."
    )


def test_an_incomplete_file_names_the_expected_template_without_guessing():
    headings = TEMPLATE_2026.headings()
    del headings[58]
    error = fatal_2026(make_csv_2026([row_2026()], headings=headings))
    assert error.message == (
        "The columns do not match the NPDA template. The 2026-2027 audit year uses the 2026 "
        "template (59 columns). Missing: Initial Standard bicarbonate at admission (mmol/l). "
        "Repeated: none. Not recognised: none."
    )


def test_2021_only_columns_in_a_complete_2026_file_are_w05():
    headings = [*TEMPLATE_2026.headings(), "HbA1c result format", "Does the patient smoke?"]
    upload = read_2026(make_csv_2026([row_2026()], headings=headings))
    assert [w.code for w in upload.warnings] == ["W05"]
    assert upload.warnings[0].message.endswith(
        "ignored: HbA1c result format, Does the patient smoke?."
    )


KEPT_ALIASES = (1, 2, 5, 9, 12, 15, 31, 40, 46, 50, 57)  # Appendix B rule 2


def test_aliases_apply_only_to_the_columns_the_2026_template_keeps():
    with_aliases = tuple(c.number for c in TEMPLATE_2026.columns if c.aliases)
    assert with_aliases == KEPT_ALIASES


@pytest.mark.parametrize("number", KEPT_ALIASES)
def test_every_kept_alias_is_accepted_in_2026(number):
    column = TEMPLATE_2026.columns[number - 1]
    headings = TEMPLATE_2026.headings()
    headings[number - 1] = column.aliases[0]
    assert column.field in read_2026(make_csv_2026([row_2026()], headings=headings)).columns


@pytest.mark.parametrize(
    ("number", "old_heading"),
    [
        (4, "Stated gender"),
        (47, "Observation Date - Psychological Screening Assessment"),
        (43, "Does the patient smoke?"),
        (51, "Was the patient offered an additional appointment with a paediatric dietitian?"),
    ],
)
def test_a_reworded_heading_accepts_only_its_2026_wording(number, old_heading):
    headings = TEMPLATE_2026.headings()
    headings[number - 1] = old_heading
    error = fatal_2026(make_csv_2026([row_2026()], headings=headings))
    assert error.code == "F10"
    assert f"Missing: {TEMPLATE_2026.columns[number - 1].heading}." in error.message
    assert f"Not recognised: {old_heading}." in error.message


def test_published_footnote_markers_on_2026_headings_are_harmless():
    headings = TEMPLATE_2026.headings()
    headings[20] += "†"
    headings[25] += "††"
    assert read_2026(make_csv_2026([row_2026()], headings=headings)).row_count == 1


def test_2026_headings_are_as_appendix_a_prints_them():
    assert all(h == h.strip() for h in TEMPLATE_2026.headings())
    assert TEMPLATE_2026.headings()[38] == "Observation Date: Thyroid Function"
