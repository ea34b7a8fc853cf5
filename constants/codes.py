"""Code lists of the 2021 dataset (domain: data-dictionary.md §6 and §7).

Each list is defined once here and used as `choices` on the model fields, so the lists are part
of the migrations and of every form and admin page.
"""

from django.db import models


class Sex(models.IntegerChoices):
    MALE = 1, "Male"
    FEMALE = 2, "Female"
    NOT_SPECIFIED = 3, "Not specified"
    NOT_KNOWN = 99, "Not known"


class DiabetesType(models.IntegerChoices):
    TYPE_1 = 1, "Type 1 diabetes"
    TYPE_2 = 2, "Type 2 diabetes"
    CYSTIC_FIBROSIS_RELATED = 3, "Cystic fibrosis-related diabetes"
    MONOGENIC = 4, "Monogenic diabetes (MODY and other monogenic forms)"
    OTHER_SPECIFIED = 5, "Other specified diabetes"
    NOT_KNOWN = 99, "Not known / unspecified"


class LeavingReason(models.IntegerChoices):
    TRANSITIONED_TO_ADULT_SERVICE = 1, "Transitioned to an adult diabetes service"
    MOVED_OUT_OF_AREA = 2, "Moved out of the area"
    OTHER = 3, "Other"


class Treatment(models.IntegerChoices):
    INJECTIONS_1_TO_3 = 1, "1-3 insulin injections per day"
    INJECTIONS_4_PLUS = 2, "4 or more insulin injections per day (multiple daily injections)"
    PUMP = 3, "Insulin pump therapy (including closed loop)"
    INJECTIONS_1_TO_3_PLUS_OTHER = (
        4,
        "1-3 injections per day plus another glucose-lowering medicine",
    )
    INJECTIONS_4_PLUS_PLUS_OTHER = (
        5,
        "4 or more injections per day plus another glucose-lowering medicine",
    )
    PUMP_PLUS_OTHER = 6, "Insulin pump plus another blood-glucose-lowering medicine"
    DIET_ALONE = 7, "Dietary management alone"
    DIET_PLUS_OTHER = 8, "Dietary management plus another glucose-lowering medicine (no insulin)"
    NOT_KNOWN = 99, "Not known"


PUMP_TREATMENTS = (Treatment.PUMP, Treatment.PUMP_PLUS_OTHER)


class ClosedLoopSystem(models.IntegerChoices):
    NOT_CLOSED_LOOP = 1, "No, not a closed-loop system"
    LICENSED = 2, "Closed loop, licensed system"
    UNLICENSED = 3, "Closed loop, unlicensed (DIY) system"
    LICENCE_NOT_KNOWN = 4, "Closed loop, licence status not known"


class GlucoseMonitoring(models.IntegerChoices):
    NONE = 1, "None"
    FLASH = 2, "Flash glucose monitor"
    MODIFIED_FLASH = 3, "Modified flash monitor (add-on transmitter)"
    REAL_TIME_CGM_WITH_ALARMS = 4, "Real-time continuous glucose monitor (CGM) with alarms"
    OTHER = 5, "Other"
    NOT_KNOWN = 99, "Not known"


class HbA1cFormat(models.IntegerChoices):
    IFCC_MMOL_PER_MOL = 1, "mmol/mol (IFCC)"
    DCCT_PERCENT = 2, "% (DCCT)"


class RetinalScreeningResult(models.IntegerChoices):
    NORMAL = 1, "Normal"
    ABNORMAL = 2, "Abnormal (any retinopathy in either eye)"
    NOT_KNOWN = 99, "Unknown"


class AlbuminuriaStage(models.IntegerChoices):
    NORMOALBUMINURIA = 1, "Normoalbuminuria"
    MICROALBUMINURIA = 2, "Microalbuminuria (ACR 3-30 mg/mmol)"
    MACROALBUMINURIA = 3, "Macroalbuminuria"
    NOT_KNOWN = 99, "Unknown"


class ThyroidTreatmentStatus(models.IntegerChoices):
    NONE = 1, "None"
    THYROXINE = 2, "Thyroxine (hypothyroid)"
    ANTITHYROID = 3, "Antithyroid drug (hyperthyroid)"
    NOT_KNOWN = 99, "Unknown"


class SmokingStatus(models.IntegerChoices):
    NON_SMOKER = 1, "Non-smoker"
    CURRENT_SMOKER = 2, "Current smoker"
    NOT_KNOWN = 99, "Unknown"


class YesNoUnknown(models.IntegerChoices):
    YES = 1, "Yes"
    NO = 2, "No"
    UNKNOWN = 99, "Unknown"


class AdmissionReason(models.IntegerChoices):
    STABILISATION = 1, "Stabilisation of diabetes"
    DKA = 2, "Diabetic ketoacidosis (DKA)"
    KETOSIS_WITHOUT_ACIDOSIS = 3, "Ketosis without acidosis"
    HYPOGLYCAEMIA = 4, "Hypoglycaemia"
    SURGICAL_PROCEDURE = 5, "Surgical procedure"
    OTHER = 6, "Other (free text required)"


class DKAAdditionalTherapies(models.IntegerChoices):
    HYPERTONIC_SALINE = 1, "Hypertonic saline"
    MANNITOL = 2, "Mannitol"
    BICARBONATE = 3, "Bicarbonate infusion"
    NONE_OF_THESE = 4, "None of these"


class EthnicityGroup(models.TextChoices):
    WHITE = "white", "White"
    MIXED = "mixed", "Mixed"
    ASIAN = "asian", "Asian"
    BLACK = "black", "Black"
    OTHER = "other", "Other"
    NOT_STATED = "not_stated", "Not stated / not known"


class Ethnicity(models.TextChoices):
    WHITE_BRITISH = "A", "White - British"
    WHITE_IRISH = "B", "White - Irish"
    WHITE_OTHER = "C", "White - any other White background"
    MIXED_WHITE_BLACK_CARIBBEAN = "D", "Mixed - White and Black Caribbean"
    MIXED_WHITE_BLACK_AFRICAN = "E", "Mixed - White and Black African"
    MIXED_WHITE_ASIAN = "F", "Mixed - White and Asian"
    MIXED_OTHER = "G", "Mixed - any other mixed background"
    ASIAN_INDIAN = "H", "Asian or Asian British - Indian"
    ASIAN_PAKISTANI = "J", "Asian or Asian British - Pakistani"
    ASIAN_BANGLADESHI = "K", "Asian or Asian British - Bangladeshi"
    ASIAN_OTHER = "L", "Asian or Asian British - any other Asian background"
    BLACK_CARIBBEAN = "M", "Black or Black British - Caribbean"
    BLACK_AFRICAN = "N", "Black or Black British - African"
    BLACK_OTHER = "P", "Black or Black British - any other Black background"
    CHINESE = "R", "Other ethnic group - Chinese"
    OTHER = "S", "Other ethnic group - any other ethnic group"
    NOT_STATED = "Z", "Not stated"
    NOT_KNOWN = "99", "Not known"


# Dashboard groups (data-dictionary.md §7): Chinese is shown with Asian, as in the 2021 Census.
ETHNICITY_GROUP = {
    **dict.fromkeys("ABC", EthnicityGroup.WHITE),
    **dict.fromkeys("DEFG", EthnicityGroup.MIXED),
    **dict.fromkeys("HJKLR", EthnicityGroup.ASIAN),
    **dict.fromkeys("MNP", EthnicityGroup.BLACK),
    "S": EthnicityGroup.OTHER,
    "Z": EthnicityGroup.NOT_STATED,
    "99": EthnicityGroup.NOT_STATED,
}


class ImdQuintile(models.IntegerChoices):
    MOST_DEPRIVED = 1, "1 (most deprived)"
    SECOND = 2, "2"
    THIRD = 3, "3"
    FOURTH = 4, "4"
    LEAST_DEPRIVED = 5, "5 (least deprived)"


# The 2026 dataset's new code lists (data-dictionary §10.1 and §10.2). Yes/No/Unknown items use
# YesNoUnknown, as in the 2021 dataset.
class AdhdAsdStatus(models.IntegerChoices):
    ADHD = 1, "ADHD"
    ASD = 2, "Autism spectrum disorder (ASD)"
    BOTH = 3, "Both ADHD and ASD"
    NEITHER = 4, "Neither"
    NOT_KNOWN = 99, "Not known"


class InsulinRegimen(models.IntegerChoices):
    NO_INSULIN = 1, "No insulin"
    ONE_TO_THREE_INJECTIONS = 2, "1-3 injections per day"
    FOUR_OR_MORE_INJECTIONS = 3, "4 or more injections per day"
    PUMP = 4, "Insulin pump (stand-alone)"
    HYBRID_CLOSED_LOOP = 5, "Hybrid closed loop"
    NOT_KNOWN = 99, "Not known"


class NonInsulinMedication(models.IntegerChoices):
    NONE = 1, "None"
    METFORMIN_ONLY = 2, "Metformin only"
    GLP1_RECEPTOR_AGONIST = 3, "GLP-1 receptor agonist"
    SGLT2_INHIBITOR = 4, "SGLT2 inhibitor"
    OTHER = 5, "Other"
    NOT_KNOWN = 99, "Not known"


class SmokingVapingStatus(models.IntegerChoices):
    NEITHER = 1, "Neither smokes nor vapes"
    SMOKES = 2, "Smokes but does not vape"
    VAPES = 3, "Vapes but does not smoke"
    SMOKES_AND_VAPES = 4, "Smokes and vapes"
    NOT_KNOWN = 99, "Not known"


# Current smokers, in the 2026 sense: status 2 or 4 (Appendix B rule 5, kpis.md §7.1).
SMOKES_2026 = frozenset({SmokingVapingStatus.SMOKES, SmokingVapingStatus.SMOKES_AND_VAPES})


class PsychologicalSupportOutcome(models.IntegerChoices):
    OFFERED_ATTENDED = 1, "Offered and attended"
    OFFERED_NOT_ATTENDED = 2, "Offered but did not attend"
    OFFERED_DECLINED = 3, "Offered but declined"
    NOT_OFFERED = 4, "Not offered"
    ELSEWHERE = 5, "Support accessed elsewhere"
    NOT_KNOWN = 99, "Not known"


class AdmissionReason2026(models.IntegerChoices):
    DKA = 1, "Acute DKA"
    ACUTE_ILLNESS_WITHOUT_DKA = 2, "Acute illness without DKA"
    HYPOGLYCAEMIA = 3, "Hypoglycaemia"
    SURGICAL_PROCEDURE = 4, "Surgical procedure"
    STABILISATION_OR_EDUCATION = 5, "Routine admission for stabilisation or education"
    OTHER = 6, "Other (free text required)"


class DatasetYear(models.IntegerChoices):
    DATASET_2021 = 2021, "2021 dataset"
    DATASET_2026 = 2026, "2026 dataset"


def dataset_year_for(audit_year: int) -> int:
    """The dataset of the audit year starting 1 April `audit_year`: 2026 from 2026-27."""
    return DatasetYear.DATASET_2026 if audit_year >= 2026 else DatasetYear.DATASET_2021


# HbA1c IFCC-DCCT master equation (data-dictionary.md §9). The intercept is never rounded.
HBA1C_DCCT_INTERCEPT = 2.152
HBA1C_DCCT_SLOPE = 0.09148
# Accepted HbA1c values (inclusive), in the unit the result was submitted in (data-dictionary §9):
# validation flags values outside them (E12) and scoring leaves them out.
HBA1C_MMOL_PER_MOL_RANGE = (20, 195)
HBA1C_PERCENT_RANGE = (3, 20)


def hba1c_percent_to_mmol_per_mol(percent: float) -> float:
    return (percent - HBA1C_DCCT_INTERCEPT) / HBA1C_DCCT_SLOPE


def hba1c_mmol_per_mol_to_percent(mmol_per_mol: float) -> float:
    return HBA1C_DCCT_SLOPE * mmol_per_mol + HBA1C_DCCT_INTERCEPT
