"""Visit form sections (data-dictionary.md §4) and their fields, for AuditProgress. A section
holds the fields of both datasets (data-dictionary §10 for 2026); a child is expected only the
fields of its period's template."""

VISIT_SECTIONS: dict[str, tuple[str, ...]] = {
    "measurements": ("height", "weight", "height_weight_observation_date"),
    "hba1c": ("hba1c", "hba1c_format", "hba1c_date"),
    "treatment": (
        "treatment",
        "closed_loop_system",
        "insulin_regimen",  # 2026
        "non_insulin_medication",  # 2026
        "dietary_lifestyle_modification",  # 2026
    ),
    "glucose_monitoring": ("glucose_monitoring", "cgm_use"),
    "blood_pressure": (
        "systolic_blood_pressure",
        "diastolic_blood_pressure",
        "blood_pressure_observation_date",
    ),
    "foot_care": ("foot_examination_observation_date",),
    "eye_screening": ("retinal_screening_observation_date", "retinal_screening_result"),
    "urinary_albumin": (
        "albumin_creatinine_ratio",
        "albumin_creatinine_ratio_date",
        "albuminuria_stage",
    ),
    "cholesterol": ("total_cholesterol", "total_cholesterol_date"),
    "thyroid": ("thyroid_function_date", "thyroid_treatment_status"),
    "coeliac": ("coeliac_screen_date", "gluten_free_diet"),
    "psychology": (
        "psychological_screening_assessment_date",
        "psychological_additional_support_status",
        "psychological_support_outcome",  # 2026
    ),
    "smoking": ("smoking_status", "smoking_vaping_status", "smoking_cessation_referral_date"),
    "dietitian": (
        "carbohydrate_counting_level_three_education_date",
        "dietician_additional_appointment_offered",
        "dietician_additional_appointment_date",
    ),
    "sick_day_rules": ("ketone_meter_training", "sick_day_rules_training_date"),
    "immunisation": (
        "flu_immunisation_recommended_date",
        "immunotherapy_received",  # 2026
        "immunotherapy_date",  # 2026
    ),
    "hospital_admission": (
        "hospital_admission_date",
        "hospital_discharge_date",
        "hospital_admission_reason",
        "hospital_admission_reason_2026",
        "dka_additional_therapies",
        "hospital_admission_other",
        "blood_gas_ph",  # 2026
        "blood_gas_bicarbonate",  # 2026
    ),
}

# Which tab of the visit form each section is on.
ROUTINE_SECTIONS = ("measurements", "hba1c", "treatment", "glucose_monitoring", "blood_pressure")
INPATIENT_SECTIONS = ("hospital_admission",)
ANNUAL_REVIEW_SECTIONS = tuple(
    s for s in VISIT_SECTIONS if s not in ROUTINE_SECTIONS + INPATIENT_SECTIONS
)

# Each section's name in words, for pages.
SECTION_LABELS: dict[str, str] = {
    "measurements": "Height and weight",
    "hba1c": "HbA1c",
    "treatment": "Treatment",
    "glucose_monitoring": "Glucose monitoring",
    "blood_pressure": "Blood pressure",
    "foot_care": "Foot examination",
    "eye_screening": "Retinal screening",
    "urinary_albumin": "Urinary albumin",
    "cholesterol": "Cholesterol",
    "thyroid": "Thyroid",
    "coeliac": "Coeliac",
    "psychology": "Psychology",
    "smoking": "Smoking",
    "dietitian": "Dietitian",
    "sick_day_rules": "Sick-day rules and ketones",
    "immunisation": "Immunisation",
    "hospital_admission": "Hospital admission",
}
