import unicodedata

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from constants.groups import Role, Title, custom_permissions_for


def canonical_email(text: str | None) -> str:
    """The one form of an email address used to store, log in, count failed logins, reset a
    password and create an account: NFKC-normalised (a fullwidth "p", U+FF50, is a plain "p",
    as Django's login form already makes it), trimmed and lower-cased. Accounts are looked up
    by exact equality with it, never by the database's case-insensitive match, whose rules
    differ (PostgreSQL upper-cases a dotless "i", U+0131, to "I"): so every spelling that
    reaches an account shares that account's failed-login count."""
    return unicodedata.normalize("NFKC", str(text or "")).strip().lower()


class NPDAUserManager(BaseUserManager["NPDAUser"]):
    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        return canonical_email(email)

    def get_by_natural_key(self, username: str) -> "NPDAUser":
        return self.get(email=canonical_email(username))

    def by_email(self, typed: str | None) -> "NPDAUser | None":
        """The account an address typed anywhere names, if any."""
        return self.filter(email=canonical_email(typed)).first() if typed else None

    def create_user(self, email: str, password: str | None = None, **fields) -> "NPDAUser":
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "NPDAUser":
        fields.update(is_staff=True, is_superuser=True, is_rcpch_staff=True)
        return self.create_user(email, password, **fields)


class NPDAUser(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField("email address", max_length=254, unique=True)
    title = models.PositiveSmallIntegerField(choices=Title.choices, null=True, blank=True)
    first_name = models.CharField(max_length=100, blank=True)
    surname = models.CharField(max_length=100, blank=True)
    role = models.PositiveSmallIntegerField(choices=Role.choices, null=True, blank=True)
    organisation_employers = models.ManyToManyField(
        "npda.PaediatricDiabetesUnit",
        blank=True,
        related_name="staff",
        help_text="The units whose data this user may see (trust/unit groups)",
    )
    is_rcpch_staff = models.BooleanField("RCPCH staff", default=False)
    is_staff = models.BooleanField("admin site access", default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = NPDAUserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = "NPDA user"
        ordering = ["email"]
        permissions = custom_permissions_for("npdauser")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="npdauser_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = NPDAUserManager.normalize_email(self.email)

    def get_full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.surname) if part) or self.email

    def get_short_name(self) -> str:
        return self.first_name or self.email
