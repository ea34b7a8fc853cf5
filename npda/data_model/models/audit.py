"""Audit tables: periods, children, their unit episodes (Site), uploads and visits.

Field meanings, types and code lists follow data-dictionary.md (2021 dataset). Clinical values
that fail validation are still stored (with `errors`), so clinical consistency is not a database
constraint; structural rules (one active site per child, one active submission per unit and
period, the 1 April - 31 March period) are.
"""

from datetime import date

import pghistory
from django.conf import settings
from django.contrib.gis.db import models
from django.db.models.functions import ExtractYear

from constants import codes
from constants.csv_template import IDENTIFIER_MAX_LENGTH
from constants.groups import custom_permissions_for
from npda.data_model.row_history import AnyChangeRecording, Recording

from .geography import BOUNDARY_SRID, POINT_SRID, Organisation, PaediatricDiabetesUnit


class AuditPeriod(models.Model):
    start_date = models.DateField(unique=True)
    end_date = models.DateField()
    slug = models.SlugField(max_length=9, unique=True, help_text="e.g. 2024-2025")
    is_open = models.BooleanField(default=True, help_text="Open periods accept uploads and edits")
    is_visible = models.BooleanField(default=True)
    submission_deadline = models.DateField(
        null=True,
        blank=True,
        help_text="The last day for units' data and sign-off; empty: 31 May after the year ends",
    )

    class Meta:
        ordering = ["-start_date"]
        permissions = custom_permissions_for("auditperiod")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start_date__month=4, start_date__day=1),
                name="audit_period_starts_1_april",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    end_date__month=3,
                    end_date__day=31,
                    end_date__year=ExtractYear("start_date") + 1,
                ),
                name="audit_period_ends_31_march_next_year",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.start_date.year}-{self.end_date.year}"

    @property
    def dataset_year(self) -> int:
        return codes.dataset_year_for(self.start_date.year)

    @property
    def deadline(self) -> date:
        """The submission deadline: as set, else the last day of May after the year ends, as
        the audit runs it."""
        return self.submission_deadline or date(self.end_date.year, 5, 31)


class ValidatedRecord(models.Model):
    """Validation state shared by Patient and Visit (data-dictionary.md §1), and the last change
    made in a web form: `revision` counts those changes, so that a form saved over another
    person's change is refused (optimistic locking; an upload starts it at 0)."""

    is_valid = models.BooleanField(default=True)
    errors = models.JSONField(
        default=dict, blank=True, help_text="field -> list of {code, message}"
    )
    dataset_year = models.PositiveSmallIntegerField(
        choices=codes.DatasetYear.choices, default=codes.DatasetYear.DATASET_2021
    )
    revision = models.PositiveIntegerField(default=0)
    changed_at = models.DateTimeField(null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip

    class Meta:
        abstract = True


def _code(choices, label: str):
    return models.PositiveSmallIntegerField(label, choices=choices, null=True, blank=True)


def _date(label: str):
    return models.DateField(label, null=True, blank=True)


def _decimal(label: str, digits: int, places: int):
    return models.DecimalField(
        label, max_digits=digits, decimal_places=places, null=True, blank=True
    )


# Every change to a child's data made one row at a time (a web form, the admin) is recorded by
# a database trigger into <Model>Event: the row as it was before and after, with its context
# (who, which version, from where). A whole version written by an upload or a restore is
# itself kept (SubmissionRecords) and is written without row history (ADR 0028, row_history).
def changes() -> tuple:
    """The trackers of one model (each model needs its own: they take its fields)."""
    return (
        pghistory.InsertEvent("added", condition=Recording()),
        pghistory.UpdateEvent("before", row=pghistory.Old, condition=AnyChangeRecording()),
        pghistory.UpdateEvent("after", condition=AnyChangeRecording()),
        pghistory.DeleteEvent("removed", condition=Recording()),
    )


@pghistory.track(*changes(), exclude=["location", "location_bng"])  # derived from the postcode
class Patient(ValidatedRecord):
    """One child in one unit (a child-unit episode)."""

    # Longer than an NHS number so that a mangled one (e.g. "7.19573E+09") is kept with its error.
    nhs_number = models.CharField(
        "NHS number", max_length=IDENTIFIER_MAX_LENGTH, null=True, blank=True
    )
    unique_reference_number = models.CharField(
        max_length=IDENTIFIER_MAX_LENGTH, null=True, blank=True, help_text="Jersey (PZ248) only"
    )
    date_of_birth = models.DateField(null=True, blank=True)
    postcode = models.CharField(max_length=8, blank=True)
    sex = models.PositiveSmallIntegerField(choices=codes.Sex.choices, null=True, blank=True)
    ethnicity = models.CharField(
        max_length=2, choices=codes.Ethnicity.choices, null=True, blank=True
    )
    diabetes_type = models.PositiveSmallIntegerField(
        choices=codes.DiabetesType.choices, null=True, blank=True
    )
    diagnosis_date = models.DateField(null=True, blank=True)
    death_date = models.DateField(null=True, blank=True)
    gp_practice_ods_code = models.CharField(max_length=10, blank=True)
    gp_practice_postcode = models.CharField(max_length=8, blank=True)
    # 2026 dataset (data-dictionary §10.1): blank for 2021-dataset records.
    adhd_asd_status = _code(codes.AdhdAsdStatus.choices, "ADHD or ASD diagnosis")
    learning_disability_status = _code(codes.YesNoUnknown.choices, "learning disability diagnosis")
    imd_quintile = models.PositiveSmallIntegerField(
        "IMD quintile", choices=codes.ImdQuintile.choices, null=True, blank=True
    )
    location = models.PointField(srid=POINT_SRID, null=True, blank=True)
    location_bng = models.PointField(
        "location (British National Grid)", srid=BOUNDARY_SRID, null=True, blank=True
    )
    paediatric_diabetes_units = models.ManyToManyField(
        PaediatricDiabetesUnit, through="Site", related_name="patients"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(nhs_number__isnull=False)
                | models.Q(unique_reference_number__isnull=False),
                name="patient_has_identifier",
            ),
        ]
        indexes = [models.Index(fields=["nhs_number"])]

    def __str__(self) -> str:
        return f"Patient {self.pk}"


@pghistory.track(*changes())
class Site(models.Model):
    """A child's care at a unit: the Transfer record of the data dictionary (§3.1)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="sites")
    paediatric_diabetes_unit = models.ForeignKey(
        PaediatricDiabetesUnit, on_delete=models.PROTECT, related_name="sites"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="sites"
    )
    date_joined = models.DateField("start of care", null=True, blank=True)
    date_leaving_service = models.DateField("end of care", null=True, blank=True)
    reason_leaving_service = models.PositiveSmallIntegerField(
        choices=codes.LeavingReason.choices, null=True, blank=True
    )
    previous_pz_code = models.CharField(max_length=5, blank=True)
    is_active = models.BooleanField(default=True, help_text="The child's current unit")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(is_active=True),
                name="site_one_active_per_patient",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.paediatric_diabetes_unit_id} for patient {self.patient_id}"


def submission_upload_path(submission: "Submission", filename: str) -> str:
    return f"submissions/{submission.paediatric_diabetes_unit_id}/{filename}"


class Submission(models.Model):
    """One version of a unit's data for an audit period: an upload (checked first as a draft,
    then made active, or discarded), or an earlier version restored. Exactly one version is
    active per unit and period; the active version's visits are the unit's data."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Checked draft, not in use"
        ACTIVE = "active", "In use"
        SUPERSEDED = "superseded", "Replaced by a later version"
        DISCARDED = "discarded", "Discarded draft"

    paediatric_diabetes_unit = models.ForeignKey(
        PaediatricDiabetesUnit, on_delete=models.PROTECT, related_name="submissions"
    )
    audit_period = models.ForeignKey(
        AuditPeriod, on_delete=models.PROTECT, related_name="submissions"
    )
    submitted_at = models.DateTimeField(auto_now_add=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="submissions",
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    is_active = models.BooleanField(default=False)
    csv_file = models.FileField(upload_to=submission_upload_path, blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    patient_count = models.PositiveIntegerField(default=0)
    visit_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=dict, blank=True, help_text="row-level error summary")
    comparison = models.JSONField(
        default=dict, blank=True, help_text="a draft against the unit's data when it was checked"
    )
    patients = models.ManyToManyField(Patient, blank=True, related_name="submissions")
    last_edited_at = models.DateTimeField(
        null=True, blank=True, help_text="the last change made in a web form while in use"
    )

    class Meta:
        ordering = ["-submitted_at"]
        permissions = custom_permissions_for("submission")
        constraints = [
            models.UniqueConstraint(
                fields=["paediatric_diabetes_unit", "audit_period"],
                condition=models.Q(is_active=True),
                name="submission_one_active_per_unit_period",
            ),
            models.CheckConstraint(
                condition=models.Q(is_active=models.Q(status="active")),
                name="submission_active_means_status_active",
            ),
        ]

    def __str__(self) -> str:
        unit, when = self.paediatric_diabetes_unit_id, f"{self.submitted_at:%Y-%m-%d %H:%M}"
        return f"{unit} {self.audit_period} at {when}"


class SubmissionRecords(models.Model):
    """A version's checked children and visits, packed (gzip JSON): what it stored when it was
    made active, so that it can be made active again, compared or reported on without its
    file being read and checked again."""

    submission = models.OneToOneField(
        Submission, on_delete=models.CASCADE, primary_key=True, related_name="records"
    )
    packed = models.BinaryField()

    def __str__(self) -> str:
        return f"records of submission {self.submission_id}"


class SubmissionEvent(models.Model):
    """What happened to a version, by whom and when (the upload history's timeline)."""

    class Action(models.TextChoices):
        CHECKED = "checked", "Checked as a draft"
        CONFIRMED = "confirmed", "Made the unit's data"
        DISCARDED = "discarded", "Discarded"
        EXPIRED = "expired", "Discarded after its draft period"
        RESTORED = "restored", "Restored as the unit's data"
        SUPERSEDED = "superseded", "Replaced by another version"
        IMPORTED = "imported", "Made the unit's data from the command line"
        STARTED = "started", "Started in a web form"
        FOLDED = "folded", "Its web form changes kept with it"

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=12, choices=Action.choices)
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} (submission {self.submission_id})"


class SignOff(models.Model):
    """A unit lead's declaration that the unit's data for an ended audit year are complete and
    accurate to the best of their knowledge. While it stands (not reopened) the year is frozen.
    Reopened by the audit team with a reason; the lead then signs again (a new row)."""

    paediatric_diabetes_unit = models.ForeignKey(
        PaediatricDiabetesUnit, on_delete=models.PROTECT, related_name="sign_offs"
    )
    audit_period = models.ForeignKey(AuditPeriod, on_delete=models.PROTECT, related_name="+")
    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="+")
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(auto_now_add=True)
    declaration = models.TextField()
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    reopen_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-signed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["paediatric_diabetes_unit", "audit_period"],
                condition=models.Q(reopened_at__isnull=True),
                name="sign_off_one_standing_per_unit_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.paediatric_diabetes_unit_id} {self.audit_period} signed off"


@pghistory.track(*changes())
class Visit(ValidatedRecord):
    """One clinic contact, result or admission: one row of the CSV template."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="visits")
    submission = models.ForeignKey(
        Submission,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="visits",
        help_text="The version of the unit's data holding it (a web form adds to the version in "
        "use)",
    )
    source_row = models.PositiveIntegerField(
        null=True, blank=True, help_text="Row in the uploaded file; breaks ties between visits"
    )
    visit_date = models.DateField(null=True, blank=True)
    # Measurements (routine)
    height = _decimal("height (cm)", 4, 1)
    weight = _decimal("weight (kg)", 4, 1)
    height_weight_observation_date = _date("height/weight observation date")
    # HbA1c (routine)
    hba1c = _decimal("HbA1c", 5, 2)
    hba1c_format = _code(codes.HbA1cFormat.choices, "HbA1c format")
    hba1c_date = _date("HbA1c date")
    # Treatment and glucose monitoring (routine)
    treatment = _code(codes.Treatment.choices, "treatment")
    closed_loop_system = _code(codes.ClosedLoopSystem.choices, "closed-loop system")
    glucose_monitoring = _code(codes.GlucoseMonitoring.choices, "glucose monitoring")
    # Blood pressure (routine)
    systolic_blood_pressure = models.SmallIntegerField("systolic BP (mmHg)", null=True, blank=True)
    diastolic_blood_pressure = models.SmallIntegerField(
        "diastolic BP (mmHg)", null=True, blank=True
    )
    blood_pressure_observation_date = _date("blood pressure observation date")
    # Annual review
    foot_examination_observation_date = _date("foot examination date")
    retinal_screening_observation_date = _date("retinal screening date")
    retinal_screening_result = _code(codes.RetinalScreeningResult.choices, "retinal result")
    albumin_creatinine_ratio = _decimal("albumin:creatinine ratio (mg/mmol)", 5, 1)
    albumin_creatinine_ratio_date = _date("ACR date")
    albuminuria_stage = _code(codes.AlbuminuriaStage.choices, "albuminuria stage")
    total_cholesterol = _decimal("total cholesterol (mmol/l)", 3, 1)
    total_cholesterol_date = _date("total cholesterol date")
    thyroid_function_date = _date("thyroid function date")
    thyroid_treatment_status = _code(codes.ThyroidTreatmentStatus.choices, "thyroid treatment")
    coeliac_screen_date = _date("coeliac screen date")
    gluten_free_diet = _code(codes.YesNoUnknown.choices, "gluten-free diet recommended")
    psychological_screening_assessment_date = _date("psychological screening date")
    psychological_additional_support_status = _code(
        codes.YesNoUnknown.choices, "needs additional psychological support"
    )
    smoking_status = _code(codes.SmokingStatus.choices, "smoking status")
    smoking_cessation_referral_date = _date("smoking cessation referral date")
    carbohydrate_counting_level_three_education_date = _date("level 3 carb counting date")
    dietician_additional_appointment_offered = _code(
        codes.YesNoUnknown.choices, "additional dietitian appointment offered"
    )
    dietician_additional_appointment_date = _date("additional dietitian appointment date")
    ketone_meter_training = _code(codes.YesNoUnknown.choices, "blood ketone testing")
    flu_immunisation_recommended_date = _date("flu immunisation recommended date")
    sick_day_rules_training_date = _date("sick-day rules advice date")
    # Inpatient entry
    hospital_admission_date = _date("admission date")
    hospital_discharge_date = _date("discharge date")
    hospital_admission_reason = _code(codes.AdmissionReason.choices, "admission reason")
    dka_additional_therapies = _code(codes.DKAAdditionalTherapies.choices, "DKA therapies")
    hospital_admission_other = models.CharField(
        "other admission reason", max_length=500, blank=True
    )
    # Derived, never submitted (data-dictionary.md §8)
    # 2026 dataset (data-dictionary §10.2), stored as submitted; blank for 2021-dataset visits,
    # whose items they replace (treatment, closed loop, glucose monitoring, smoking, reason).
    insulin_regimen = _code(codes.InsulinRegimen.choices, "insulin regimen")
    non_insulin_medication = _code(codes.NonInsulinMedication.choices, "non-insulin medication")
    dietary_lifestyle_modification = _code(
        codes.YesNoUnknown.choices, "lifestyle and dietary modification recommended"
    )
    cgm_use = _code(codes.YesNoUnknown.choices, "continuous glucose monitor in use")
    immunotherapy_received = _code(codes.YesNoUnknown.choices, "immunotherapy received")
    immunotherapy_date = _date("immunotherapy start date")
    smoking_vaping_status = _code(codes.SmokingVapingStatus.choices, "smoking and vaping status")
    psychological_support_outcome = _code(
        codes.PsychologicalSupportOutcome.choices, "extra mental health appointment"
    )
    hospital_admission_reason_2026 = _code(
        codes.AdmissionReason2026.choices, "admission reason (2026 list)"
    )
    blood_gas_ph = _decimal("first blood pH on admission", 4, 3)
    blood_gas_bicarbonate = _decimal("first standard bicarbonate on admission (mmol/l)", 5, 2)
    bmi = _decimal("BMI", 4, 1)
    bmi_centile = _decimal("BMI centile", 4, 1)
    bmi_sds = _decimal("BMI SDS", 4, 1)
    height_centile = _decimal("height centile", 4, 1)
    height_sds = _decimal("height SDS", 4, 1)
    weight_centile = _decimal("weight centile", 4, 1)
    weight_sds = _decimal("weight SDS", 4, 1)

    class Meta:
        ordering = ["patient_id", "visit_date", "source_row"]
        indexes = [models.Index(fields=["patient", "visit_date"])]

    def __str__(self) -> str:
        return f"Visit {self.pk} on {self.visit_date}"


class AuditProgress(models.Model):
    """Completed versus expected fields per form section, for one child and audit period."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="audit_progress")
    audit_period = models.ForeignKey(AuditPeriod, on_delete=models.CASCADE, related_name="+")
    sections = models.JSONField(
        default=dict, help_text="section -> {completed, expected}, sections from constants"
    )
    completed_fields = models.PositiveIntegerField(default=0)
    expected_fields = models.PositiveIntegerField(default=0)
    # The same as bits, field by field (bit i: aggregation.scoring.VISIT_COLUMNS[i]): which
    # fields were completed and which were expected of the child.
    completed_mask = models.BigIntegerField(default=0)
    expected_mask = models.BigIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "audit progress"
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "audit_period"], name="audit_progress_one_per_child_period"
            ),
            models.CheckConstraint(
                condition=models.Q(completed_fields__lte=models.F("expected_fields")),
                name="audit_progress_completed_within_expected",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.completed_fields}/{self.expected_fields} for patient {self.patient_id}"
