from django.conf import settings
from django.db import models


class ActivityType(models.IntegerChoices):
    LOGIN = 1, "Logged in"
    LOGIN_FAILED = 2, "Login failed"
    LOGOUT = 3, "Logged out"
    PASSWORD_RESET_REQUESTED = 4, "Password reset requested"
    PASSWORD_CHANGED = 5, "Password changed"
    SUBMISSION_UPLOADED = 6, "Submission uploaded"
    LOCKED_OUT = 7, "Locked out after repeated failures"
    TWO_FACTOR_SET_UP = 8, "Two-factor authentication set up"
    TWO_FACTOR_VERIFIED = 9, "Two-factor code accepted"
    TWO_FACTOR_FAILED = 10, "Two-factor code refused"
    RECOVERY_CODE_USED = 11, "Recovery code used"
    SESSION_EXPIRED = 12, "Session ended after inactivity or its maximum age"
    ADMIN_PATIENT_VIEWED = 13, "Patient record viewed in the admin"
    ADMIN_PATIENT_CHANGED = 14, "Patient record changed in the admin"
    USER_CHANGED = 15, "User account or role changed"
    REPORT_DOWNLOADED = 16, "Identifiable report downloaded"
    SUBMISSION_CONFIRMED = 17, "Checked upload made the unit's data"
    SUBMISSION_DISCARDED = 18, "Checked upload discarded"
    SUBMISSION_RESTORED = 19, "Earlier version restored as the unit's data"
    YEAR_SIGNED_OFF = 20, "Unit's year signed off"
    YEAR_REOPENED = 21, "Unit's signed-off year reopened"
    CHILD_RECORD_VIEWED = 22, "Child's record viewed in the unit's workspace"


class VisitActivity(models.Model):
    """The audit trail. Append-only: a database trigger refuses UPDATE and DELETE."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
        help_text="Empty for a failed login with an unknown email address",
    )
    activity = models.PositiveSmallIntegerField(choices=ActivityType.choices)
    success = models.BooleanField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    detail = models.CharField(
        max_length=200, blank=True, help_text="What was acted on (a submission, patient or user id)"
    )
    timestamp = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name_plural = "visit activities"
        ordering = ["-timestamp"]

    def __str__(self) -> str:
        return f"{self.timestamp:%Y-%m-%d %H:%M:%S} {self.get_activity_display()}"
