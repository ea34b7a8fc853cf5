"""The numbers behind the synthetic cohort, in one place so they can be tuned and reviewed.

Shares are loosely based on published NPDA national reports (about 34,000 children, ~93 % type 1,
mean HbA1c around 60 mmol/mol); they are plausible, not official figures.
"""

import numpy as np


def _numbers(text: str) -> np.ndarray:
    return np.array(text.split(), dtype=float)


NATIONAL_PATIENTS = 34_000  # the cohort the unit size bounds below are calibrated for
UNIT_SIZE_BOUNDS = (20, 900)  # children per unit at the national size; scaled with --patients

# NHS numbers are 999 + six digits + a check digit: the six-digit space is shared out between the
# units in proportion to their size, and a unit's children keep their number from year to year.
# About 1 in 11 numbers has no valid check digit; a unit's roster (everyone it has had since
# 2020-21, about twice its yearly size by 2030) must fit in its share.
IDENTIFIER_SPACE = 1_000_000
MAX_PATIENTS_PER_YEAR = 200_000  # leaves room for rosters, check digits and rounding of blocks
UNIT_SIZE_SIGMA = 0.75  # lognormal spread of unit sizes
JERSEY_SIZE_FACTOR = 0.2  # an island unit: small

# Children by completed years of age at the start of the audit year (0-24), mostly 5-18.
AGE_WEIGHTS = _numbers(
    "0.3 0.8 1.1 1.4 1.7 2.4 3.0 3.6 4.3 5.0 5.9 6.8 7.6 8.3 8.7 8.8 8.5 7.6 4.8 2.4 1.2 0.7 0.5"
    " 0.4 0.3"
)
AGE_P = AGE_WEIGHTS / AGE_WEIGHTS.sum()

SEX_CODES = np.array([1, 2, 3, 99])
SEX_P = np.array([0.512, 0.484, 0.002, 0.002])

ETHNICITY_CODES = np.array([*"ABCDEFGHJKLRMNPSZ", "99"])
# Three mixes: London, the rest of England, and Wales / Jersey (order as ETHNICITY_CODES).
_ETHNICITY_WEIGHTS = {
    "london": [35, 1, 8, 2, 2, 2, 1, 5, 4, 6, 4, 1, 5, 12, 3, 4, 4, 1],
    "england": [75, 1, 4, 1, 1, 1, 1, 2, 4, 1, 1, 0.5, 1, 2, 0.5, 1, 3, 1],
    "wales": [88, 0.5, 3, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.3, 0.5, 0.2, 1, 2.5, 0.5],
}
ETHNICITY_P = {name: np.array(w) / sum(w) for name, w in _ETHNICITY_WEIGHTS.items()}
LONDON_REGION = "E40000003"

# Diabetes type: type 2 only from age 10 (chosen so the overall type-2 share is about 3 %);
# other types (CFRD, monogenic, other, not known) 4 % at any age; the rest type 1 (~93 %).
TYPE_2_P_FROM_AGE_10 = 0.043
OTHER_TYPE_CODES = np.array([3, 4, 5, 99])
OTHER_TYPE_P = np.array([0.25, 0.35, 0.25, 0.15])
OTHER_TYPES_P = 0.04

# New diagnoses in the year (about 8 % overall), more likely in younger children.
NEW_DIAGNOSIS_P_BY_AGE = np.array([1.0] + [0.11] * 14 + [0.04] * 4 + [0.01] * 6)

# Deprivation (IMD quintile within the nation, 1 most deprived) of the children's homes: a
# stand-in for the postcode lookup, which needs data this platform has no copy of. Children
# with diabetes live a little more often in deprived areas; London and the north more so.
IMD_QUINTILE_WEIGHTS = {
    "england": (24, 22, 20, 18, 16),
    "E40000003": (27, 26, 21, 15, 11),  # London
    "E40000010": (30, 21, 18, 16, 15),  # North West
    "E40000012": (29, 21, 18, 17, 15),  # North East and Yorkshire
    "E40000005": (15, 17, 20, 23, 25),  # South East
    "wales": (22, 21, 20, 19, 18),
}

# Year-on-year change, against 2024-25 (per year): care processes a little more complete, more
# technology, HbA1c slowly falling, so that trends across releases have something to show.
TREND_BASE_YEAR = 2024
TREND_CARE_LOGIT = 0.12
TREND_TECHNOLOGY_LOGIT = 0.3
TREND_HBA1C = -0.8  # mmol/mol
TREND_COHORT_GROWTH = 0.015  # more children with diabetes each year (sizes are at the base year)

# Leaving the unit during the year: transition to adult services (reason 1) by age at the start,
# moves out of the area (2) and other (3) at any age. A few leavers have no other activity.
TRANSITION_P_BY_AGE = np.array([0.0] * 16 + [0.08, 0.25, 0.35, 0.4] + [0.45] * 5)
MOVED_P = 0.02
OTHER_LEAVING_P = 0.006
LEAVER_WITHOUT_ACTIVITY_P = 0.1
DEATH_P = 0.0005


def _joining_ages() -> np.ndarray:
    """Ages (at the start of the year) of the children who join a unit in a later year, newly
    diagnosed: those that keep the ages of the unit at AGE_P from year to year, given who
    leaves at each age (children of age a-1 who stay are a year older: what is missing at age a
    must join there)."""
    leaving = TRANSITION_P_BY_AGE + MOVED_P + OTHER_LEAVING_P + DEATH_P
    staying = np.concatenate([[0.0], AGE_P[:-1] * (1 - leaving[:-1])])
    joining = np.clip(AGE_P - staying, 0, None)
    return joining / joining.sum()


JOINING_AGE_P = _joining_ages()

VISITS_PER_YEAR = (10, 20)  # rows for a child with a whole year of care
VISITS_SKEW = 0.62  # binomial share of the range: mean about 16 rows a year
NEW_DIAGNOSIS_CONTACT_FACTOR = 1.5
NEW_DIAGNOSIS_MIN_VISITS = 3

# Unit-level random effects on the logit scale: a region part and a unit part, each mixing a
# shared "quality" factor with a process-specific one, so good units tend to be good at most.
REGION_SD = 0.25
UNIT_SD = 0.55
QUALITY_WEIGHT = 0.6
CHILD_ENGAGEMENT_SD = 1.2  # per child, shared by all care processes: checks come together

# Care processes: base logit of a child having it in the year, for 12+ and under-12 children.
CARE_PROCESSES: dict[str, tuple[float, float]] = {
    "hba1c": (5.0, 5.0),
    "height_weight": (3.2, 3.2),
    "thyroid": (2.1, 2.1),
    "blood_pressure": (2.5, -0.7),
    "albumin": (1.1, -2.0),
    "retinal": (1.2, -2.6),
    "foot": (1.7, -2.0),
    "cholesterol": (0.25, -1.7),
    "coeliac": (1.4, 1.4),
    "psychology": (1.7, 1.7),
    "smoking": (2.1, -9.0),  # recorded only for 12+ children
    "dietitian": (2.1, 2.1),
    "flu": (1.4, 1.4),
    "sick_day": (2.1, 2.1),
    "ketone": (2.7, 2.7),
    "screen_at_diagnosis": (2.5, 2.5),
    "carb_counting_at_diagnosis": (1.7, 1.7),
}
HBA1C_ROW_P = 0.3  # chance a row of a child with HbA1c monitoring carries a result (~4-5 a year)
HBA1C_ROW_EFFECT = 0.5  # how much the unit's HbA1c effect moves that chance (KPI 33)
HEIGHT_WEIGHT_ROW_P = 0.35
BLOOD_PRESSURE_ROW_P = 0.2
SECOND_ANNUAL_CHECK_P = 0.25  # annual checks done twice in the year

# Technology: logit of pump use, hybrid closed loop among pump users and real-time CGM (type 1).
PUMP_LOGIT = -0.3
CLOSED_LOOP_LOGIT = 0.85
CGM_LOGIT = 0.2
CGM_PUMP_BOOST = 1.5
TECHNOLOGY_UNIT_SD = 0.5
PUMP_SWITCH_P = 0.06  # type 1 children on injections who start a pump during the year

# HbA1c (mmol/mol): unit mean around 60, child medians spread lognormally around it.
HBA1C_NATIONAL_MEAN = 59.0
HBA1C_REGION_SD = 1.5
HBA1C_UNIT_SD = 3.0
HBA1C_QUALITY_EFFECT = -1.5  # per SD of unit quality
HBA1C_CHILD_LOG_SD = 0.16
HBA1C_NOISE_SD = 4.0
HBA1C_AT_DIAGNOSIS = (100.0, 18.0)  # mean and SD; falls towards the child's level over weeks
HBA1C_DIAGNOSIS_DECAY_DAYS = 25.0
HBA1C_TYPE_SHIFT = {2: -4.0, 3: -2.0, 4: -12.0, 5: 0.0, 99: 0.0}
HBA1C_LIMITS = (32, 150)
HBA1C_PERCENT_ROW_P = 0.02

# Outlier units (chosen among units of at least this size so they stand out on funnel plots).
OUTLIER_MIN_SIZE_SHARE = 0.75  # of the mean unit size
OUTLIER_KINDS = ("low_completion", "low_completion", "high_hba1c", "high_hba1c", "positive")
OUTLIER_COMPLETION_SHIFT = {"low_completion": -2.4, "positive": 1.8}
# Outliers' typical HbA1c is set (not shifted), so it stands clear of the ordinary spread.
OUTLIER_HBA1C_MEAN = {"high_hba1c": 71.0, "positive": 52.0}

# Treatment codes by diabetes type for children not on the type 1 pump/injection model.
TREATMENT_MIX: dict[int, tuple[tuple[int, ...], tuple[float, ...]]] = {
    2: ((7, 8, 4, 5, 1, 2), (0.2, 0.45, 0.15, 0.1, 0.05, 0.05)),
    3: ((2, 1, 3), (0.6, 0.3, 0.1)),
    4: ((7, 8, 1, 2), (0.45, 0.2, 0.2, 0.15)),
    5: ((2, 1, 3, 8), (0.5, 0.2, 0.2, 0.1)),
    99: ((2, 1, 99), (0.6, 0.2, 0.2)),
}
TYPE_1_INJECTION_CODES = ((2, 1, 5, 99), (0.93, 0.05, 0.01, 0.01))
TYPE_1_PUMP_CODES = ((3, 6), (0.97, 0.03))
CLOSED_LOOP_CODES = ((2, 3, 4), (0.88, 0.06, 0.06))
GLUCOSE_MONITORING_NON_CGM = ((2, 3, 1, 5, 99), (0.65, 0.05, 0.22, 0.03, 0.05))
GLUCOSE_MONITORING_OTHER_TYPES = ((1, 2, 4, 99), (0.55, 0.25, 0.15, 0.05))

RETINAL_RESULT = ((1, 2, 99), (0.94, 0.04, 0.02))
THYROID_STATUS = ((1, 2, 3, 99), (0.947, 0.04, 0.003, 0.01))
GLUTEN_FREE_DIET = ((2, 1, 99), (0.94, 0.05, 0.01))
PSYCHOLOGY_SUPPORT = ((2, 1, 99), (0.83, 0.12, 0.05))
DIETITIAN_OFFERED = ((1, 2, 99), (0.86, 0.11, 0.03))
DIETITIAN_ATTENDED_P = 0.75
KETONE_TRAINING = ((1, 2, 99), (0.9, 0.07, 0.03))
SMOKER_P_12_TO_15 = 0.01
SMOKER_P_16_PLUS = 0.05
SMOKING_UNKNOWN_P = 0.03
CESSATION_REFERRAL_P = 0.6
CARB_COUNTING_ESTABLISHED_P = 0.08
TREATMENT_BLANK_P = 0.03  # HbA1c rows without the treatment, for "most recent non-null"
WEIGHT_ONLY_P = 0.03  # height not measured at a weighing
ACR_MEDIAN, ACR_LOG_SD = 0.8, 0.8  # mg/mmol
MACROALBUMINURIA_P = 0.005
GLUTEN_FREE_REPEATED_P = 0.5  # coeliac children with the answer again on a row without a screen

# Admissions: about 10 % of children, some twice; new type 1 diagnoses are often admitted.
ADMISSION_P = 0.06
SECOND_ADMISSION_P = 0.15
ADMISSION_AT_DIAGNOSIS_P = 0.55
DIAGNOSIS_ADMISSION_REASONS = ((2, 1), (0.45, 0.55))
ADMISSION_REASONS = ((1, 2, 3, 4, 5, 6), (0.08, 0.32, 0.08, 0.12, 0.15, 0.25))
DKA_THERAPIES = ((4, 1, 2, 3), (0.8, 0.1, 0.05, 0.05))
ADMISSION_SPANNING_START_P = 0.005  # of children with a row in the first ten days of the year
ADMISSION_SPANNING_END_P = 0.005  # of children with a row in the last five days of the year
OPEN_DISCHARGE_P = 0.03
OTHER_ADMISSION_TEXTS = (
    "Gastroenteritis",
    "Chest infection",
    "Tonsillitis",
    "Urinary tract infection",
    "Head injury observation",
    "Cellulitis",
    "Asthma exacerbation",
    "Insulin pump failure",
    "Fractured forearm",
    "Viral illness with vomiting",
)

# Growth (UK90-like medians by completed year of age, 0-20): height cm and weight kg.
GROWTH_AGES = np.arange(21)
HEIGHT_MEDIAN = {
    1: _numbers("50 76 87 96 103 110 116 122 128 133 138 143 149 156 163 169 173 175 176 177 177"),
    2: _numbers(
        "49 74 86 95 102 109 115 121 127 132 138 144 151 157 160 162 163 163 163.5 164 164"
    ),
}
WEIGHT_MEDIAN = {
    1: _numbers(
        "3.5 9.9 12.5 14.6 16.6 18.7 21 23.3 25.8 28.5 31.5 35 39.5 45 51 56.5 61 64.5 67 69 71"
    ),
    2: _numbers(
        "3.4 9.2 11.9 14.1 16.2 18.4 20.8 23.2 26 29 32.5 37 42 46.5 50 53 55 56.5 57.5 58 58.5"
    ),
}
HEIGHT_CV = 0.042
WEIGHT_LOG_SD = 0.14
WEIGHT_LOG_SHIFT = 0.03  # children with diabetes weigh slightly more than the reference

# Postcode areas used when a unit has no postcode of its own (by region, health board or Jersey).
FALLBACK_POSTCODE_AREA = {
    "E40000003": "N",
    "E40000005": "GU",
    "E40000006": "BS",
    "E40000007": "CB",
    "E40000010": "M",
    "E40000011": "B",
    "E40000012": "LS",
    "wales": "CF",
    "jersey": "JE",
}
POSTCODE_INWARD_LETTERS = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))
NO_FIXED_ABODE_POSTCODE = "ZZ993VZ"  # ONS pseudo-postcode, accepted without lookup
NO_FIXED_ABODE_P = 0.002
GP_PRACTICES_PER_UNIT = 40


# --- the 2026 dataset (data-dictionary §10; csv-submission Appendix A) ----------------------
# A 2026 year is drawn as a 2021 year, then recorded in the 2026 fields: treatment becomes
# insulin regimen + other medication (+ dietary advice), glucose monitoring becomes CGM use,
# smoking becomes smoking and vaping, admission reasons take the 2026 codes; the new items are
# drawn from a stream of their own, so the rest of the year is the same draw as in 2021.
MEDICATION_2026 = ((2, 3, 4, 5), (0.7, 0.15, 0.05, 0.10))  # with "+ other medicine" codes
DIET_ADVISED_WITH_MEDICATION_P = 0.5  # diet + medicine (treatment 8): advice recorded too
ADMISSION_REASON_2026 = {1: 5, 2: 1, 3: 2, 4: 3, 5: 4, 6: 6}  # 2021 code -> 2026 code
VAPER_P = 0.08  # of the non-smokers aged 12+ asked (status 3)
SMOKER_ALSO_VAPES_P = 0.5  # status 4
ADHD_ASD_2026 = ((1, 2, 3, 4, 99), (0.04, 0.03, 0.01, 0.85, 0.07))
LEARNING_DISABILITY_2026 = ((1, 2, 99), (0.03, 0.9, 0.07))
PATIENT_ITEM_BLANK_P = 0.05
IMMUNOTHERAPY_ASKED_P = 0.6  # type 1 children with the question answered on one row
IMMUNOTHERAPY_2026 = ((1, 2, 99), (0.015, 0.9, 0.085))
IMMUNOTHERAPY_BEFORE_DX_DAYS = (20, 400)  # started this many days before diagnosis
PSYCHOLOGICAL_OUTCOME_2026 = ((1, 2, 3, 4, 5, 99), (0.55, 0.12, 0.08, 0.1, 0.1, 0.05))
DKA_PH = (7.15, 0.08, 6.8, 7.29)  # mean, SD, limits: first pH on a DKA admission
DKA_BICARBONATE = (10.0, 3.5, 2.0, 17.0)  # mmol/l
OTHER_ADMISSION_BLOOD_GAS_P = 0.3  # a blood gas on a non-DKA admission
OTHER_PH = (7.38, 0.03, 7.25, 7.48)
OTHER_BICARBONATE = (23.0, 2.5, 17.0, 30.0)
