"""Every message a user sees about an upload (csv-submission.md §7), in one place."""

FATAL = {
    "F01": "Please upload a CSV file (a file ending in .csv).",
    "F02": 'We could not read the text in this file. Please save it as "CSV UTF-8" and upload it '
    "again.",
    "F03": "The file has no data rows. Please check you exported the right file.",
    "F04": "We could not find the column headings. The first row of the file must contain the "
    "headings from the NPDA template. Please add them and upload the file again.",
    "F05": "The first row of data has more values than there are column headings. Please check "
    "for an extra column or stray commas.",
    "F06": "Row {row} could not be read: it has {found} values but the file has {expected} "
    "columns.",
    "F06_CSV": "Row {row} could not be read: {problem}.",
    "F07": "The file has both an NHS Number column and a Unique Reference Number column. Please "
    "keep only the one your unit uses.",
    "F08": "The file has no NHS Number column (or Unique Reference Number column for Jersey). "
    "Please add it and upload the file again.",
    "F09": "Files for this unit must use the NHS Number column.",
    "F09_JERSEY": "Files for Jersey must use the Unique Reference Number column.",
    "F10": "The columns do not match the NPDA template. The {period} audit year uses the "
    "{template}. Missing: {missing}. Repeated: {repeated}. Not recognised: {unrecognised}.",
    "F10_OTHER_TEMPLATE": "This file is in the NPDA {found}, but the {period} audit year uses the "
    "{template}. Please download the blank {template} from the upload page and move your data "
    "into it. Missing: {missing}. Repeated: {repeated}. Not recognised: {unrecognised}.",
    "F11": "Every row must have an NHS Number. These rows do not: {rows}.",
    "F11_JERSEY": "Every row must have a Unique Reference Number. These rows do not: {rows}.",
    "F12": "The file contains data for more than one unit (PDU Numbers {codes}). Please upload a "
    "file for one unit only.",
    "F13": "The PDU Number in the file ({found}) is not the unit you are uploading for "
    "({expected}). Please check you have chosen the right file.",
    "F14": "The PDU Number column is empty or holds a value that is not a PZ code ({value}).",
    "F15": "Uploads for the {period} audit year are closed.",
    "F16": "The file is {size} MB, more than the {limit} MB limit. Please upload the audit year's "
    "data for one unit only.",
}

UNEXPECTED_FAILURE = (
    "We could not finish processing your file because of a problem on our side. Nothing was "
    "changed: your previous data is still in place. Please try again, and contact the NPDA team "
    "if it happens again."
)

ROW = {
    "E01": '"{column}" is not a valid date. Please use the format DD/MM/YYYY.',
    "E02": '"{column}" cannot be a date in the future.',
    "E03": "The audit includes only children and young people under 25. This child was {age} on "
    "{start_date}.",
    "E04": "The date of diagnosis cannot be before the date of birth.",
    "E05": "The date of death cannot be before the date of birth or the date of diagnosis.",
    "E06": "Please give the GP practice code.",
    "E07": "We could not find a GP practice with the code {practice}.",
    "E08": "{value} is not a valid NHS number. Please check the digits.",
    "E09": "{value} is not a recognised UK postcode.",
    "E10": '"{column}" is required.',
    "E11_BIRTH": '"{column}" cannot be before the child\'s date of birth.',
    "E11_DIAGNOSIS": '"{column}" cannot be before the date of diagnosis.',
    "E11_DEATH": '"{column}" cannot be after the date of death.',
    "E12_MMOL": "An HbA1c of {value} mmol/mol is outside the accepted range (20–195). If it is a "
    "percentage (DCCT) value, set the HbA1c result format to 2.",
    "E12_PERCENT": "An HbA1c of {value}% is outside the accepted range (3–20). If it is an IFCC "
    "(mmol/mol) value, set the HbA1c result format to 1.",
    "E12_MMOL_ONLY": "An HbA1c of {value} mmol/mol is outside the accepted range (20–195). The "
    "2026 template takes mmol/mol (IFCC) values only: please convert a percentage (DCCT) value.",
    "E13": "{field} of {value} is outside the accepted range ({low}–{high} {unit}).",
    "E14": "The {measure} of {value} is not plausible for a child of this age and sex. Please "
    "check the value and its unit.",
    "E15": '"{column_a}" is filled in, so "{column_b}" is needed as well.',
    "E16": "Leave the closed-loop question blank unless the treatment is an insulin pump "
    "(option 3 or 6).",
    "E17": "Leave the smoking cessation referral date blank unless the child is a current smoker.",
    "E17_2026": "Leave the smoking cessation advice date blank unless the child smokes (status 2 "
    "or 4).",
    "E18": 'The answer to "offered an additional dietitian appointment" is No, but an '
    "appointment date is given. Please correct one of them.",
    "E19": "The hospital admission date is after the discharge date.",
    "E20": '"{value}" is not an allowed value for "{column}". Allowed values: {allowed}.',
    "E21": '"{column}" must be a number (a whole number for blood pressure).',
    "E21_TOO_LARGE": '"{column}" of {value} is too large to be right. Please check the value.',
    "E22": 'Leave "{column}" blank unless "{other_column}" is {value}.',
}

WARNING = {
    "W01": "The visit date {date} is outside the {period} audit year, so this row will not count "
    "towards this year's results.",
    "W02": '"{column}" is different from an earlier row for this child. The value from row '
    "{kept_row} ({value}) has been used.",
    "W03": "{n} rows had no PDU Number. They have been taken as {pz_code}.",
    "W04": "Row {row} is an exact copy of row {earlier_row} and has been skipped.",
    "W05": "These columns are not part of the template and have been ignored: {columns}.",
}

CHECKED = (
    "Your file has been checked: {children} children and {visits} visits. It is not your data yet: "
    "compare it with your data below, then use it or discard it."
)
CHECKED_ONLY = (
    "Your file has been checked: {children} children and {visits} visits. Nothing was kept."
)
ACCEPTED = (
    "Your file has been processed: {children} children and {visits} visits, {n_err} of them with "
    "errors. It now replaces your previous submission for {period}."
)

# Short names of the row-level rules, for summaries (counts by rule).
RULE_TITLES = {
    "E01": "Date not readable",
    "E02": "Date in the future",
    "E03": "Aged 25 or over",
    "E04": "Diagnosis before birth",
    "E05": "Death before birth or diagnosis",
    "E06": "GP practice code missing",
    "E07": "GP practice not found",
    "E08": "NHS number not valid",
    "E09": "Postcode not recognised",
    "E10": "Required value missing",
    "E11": "Date before birth or diagnosis, or after death",
    "E12": "HbA1c outside the accepted range",
    "E13": "Measurement outside the accepted range",
    "E14": "Height or weight not plausible",
    "E15": "Paired value missing",
    "E16": "Closed-loop answer without pump treatment",
    "E17": "Smoking cessation date for a non-smoker",
    "E18": "Dietitian appointment date but not offered",
    "E19": "Admission after discharge",
    "E20": "Not an allowed code",
    "E21": "Not a number",
    "E22": "Answer given where it does not apply",
}
