"""User groups and their permissions, defined once (seeded by a data migration).

Three RCPCH audit-team groups see every unit; three trust/unit groups see only the units in the
user's `organisation_employers`. The scoping itself is enforced by the selectors; these
permissions say what each group may do.
"""

from django.db import models


class GroupName(models.TextChoices):
    RCPCH_AUDIT_TEAM_FULL_ACCESS = "RCPCH Audit Team: full access"
    RCPCH_AUDIT_TEAM_EDIT_ACCESS = "RCPCH Audit Team: edit access"
    RCPCH_AUDIT_TEAM_VIEW_ONLY = "RCPCH Audit Team: view only"
    TRUST_AUDIT_TEAM_FULL_ACCESS = "Trust Audit Team: full access"
    TRUST_AUDIT_TEAM_EDIT_ACCESS = "Trust Audit Team: edit access"
    TRUST_AUDIT_TEAM_VIEW_ONLY = "Trust Audit Team: view only"


TRUST_GROUPS = (
    GroupName.TRUST_AUDIT_TEAM_FULL_ACCESS,
    GroupName.TRUST_AUDIT_TEAM_EDIT_ACCESS,
    GroupName.TRUST_AUDIT_TEAM_VIEW_ONLY,
)
RCPCH_GROUPS = (
    GroupName.RCPCH_AUDIT_TEAM_FULL_ACCESS,
    GroupName.RCPCH_AUDIT_TEAM_EDIT_ACCESS,
    GroupName.RCPCH_AUDIT_TEAM_VIEW_ONLY,
)

# Custom permissions: (model, codename, description). Model permissions are Django's defaults.
CUSTOM_PERMISSIONS = (
    ("paediatricdiabetesunit", "view_all_units", "Can see the data of every unit"),
    ("submission", "upload_submission", "Can upload a unit's data file"),
    ("submission", "upload_to_closed_period", "Can upload to a closed audit period"),
    ("auditperiod", "publish_aggregates", "Can publish aggregates for public reports"),
    ("npdauser", "manage_unit_users", "Can manage users of their own units"),
)

_REFERENCE_MODELS = (
    "country",
    "nhsenglandregion",
    "integratedcareboard",
    "localhealthboard",
    "paediatricdiabetesnetwork",
    "openuknetwork",
    "trust",
    "organisation",
    "paediatricdiabetesunit",
    "auditperiod",
    "measure",
)
_CLINICAL_MODELS = ("patient", "visit", "site")
_AGGREGATION_MODELS = (
    "pdukpiaggregation",
    "trustkpiaggregation",
    "localhealthboardkpiaggregation",
    "integratedcareboardkpiaggregation",
    "nhsenglandregionkpiaggregation",
    "countrykpiaggregation",
    "paediatricdiabetesnetworkkpiaggregation",
    "openuknetworkkpiaggregation",
    "nationalkpiaggregation",
)


def _perms(action: str, models_: tuple[str, ...]) -> set[str]:
    return {f"{action}_{model}" for model in models_}


_TRUST_VIEW = _perms("view", _REFERENCE_MODELS + _CLINICAL_MODELS + _AGGREGATION_MODELS) | _perms(
    "view", ("submission", "auditprogress", "kpi")
)
_TRUST_EDIT = (
    _TRUST_VIEW
    | _perms("add", _CLINICAL_MODELS)
    | _perms("change", _CLINICAL_MODELS)
    | {"upload_submission"}
)
_TRUST_FULL = (
    _TRUST_EDIT
    | _perms("delete", _CLINICAL_MODELS)
    | {"change_submission", "delete_submission", "manage_unit_users", "view_npdauser"}
)
_RCPCH_VIEW = _TRUST_VIEW | {"view_all_units", "view_npdauser", "view_visitactivity"}
_RCPCH_EDIT = _RCPCH_VIEW | _TRUST_EDIT | {"upload_to_closed_period", "change_submission"}
_RCPCH_FULL = (
    _RCPCH_EDIT
    | _TRUST_FULL
    | _perms("add", ("auditperiod", "npdauser"))
    | _perms("change", ("auditperiod", "npdauser"))
    | {"delete_npdauser", "publish_aggregates"}
)

# Codenames within the `npda` app, per group.
GROUP_PERMISSIONS: dict[str, frozenset[str]] = {
    GroupName.RCPCH_AUDIT_TEAM_FULL_ACCESS: frozenset(_RCPCH_FULL),
    GroupName.RCPCH_AUDIT_TEAM_EDIT_ACCESS: frozenset(_RCPCH_EDIT),
    GroupName.RCPCH_AUDIT_TEAM_VIEW_ONLY: frozenset(_RCPCH_VIEW),
    GroupName.TRUST_AUDIT_TEAM_FULL_ACCESS: frozenset(_TRUST_FULL),
    GroupName.TRUST_AUDIT_TEAM_EDIT_ACCESS: frozenset(_TRUST_EDIT),
    GroupName.TRUST_AUDIT_TEAM_VIEW_ONLY: frozenset(_TRUST_VIEW),
}

# Codenames within the `aggregation` app (the KPI jobs, the outlier policy, releases), per group:
# the audit team sees the runs, the queue and the releases' suppression logs, and its
# full-access group sets the outlier policy (publishing is `npda.publish_aggregates`).
# Everyone may read releases (they are public); the audit team also sees their suppression logs.
_KPI_JOBS_VIEW = _perms(
    "view", ("kpirun", "recomputerequest", "outlierpolicy", "release", "disclosurepolicy")
) | {"view_suppression_log"}
# The audit team reads the outlier process record; its full and edit groups record steps.
_OUTLIERS_VIEW = _KPI_JOBS_VIEW | {"view_outlierprocessstep"}
KPI_JOB_PERMISSIONS: dict[str, frozenset[str]] = {
    GroupName.RCPCH_AUDIT_TEAM_FULL_ACCESS: frozenset(
        _OUTLIERS_VIEW
        | {f"{a}_outlierpolicy" for a in ("add", "change", "delete")}
        | {"add_outlierprocessstep"}
    ),
    GroupName.RCPCH_AUDIT_TEAM_EDIT_ACCESS: frozenset(_OUTLIERS_VIEW | {"add_outlierprocessstep"}),
    GroupName.RCPCH_AUDIT_TEAM_VIEW_ONLY: frozenset(_OUTLIERS_VIEW),
    GroupName.TRUST_AUDIT_TEAM_FULL_ACCESS: frozenset(),
    GroupName.TRUST_AUDIT_TEAM_EDIT_ACCESS: frozenset(),
    GroupName.TRUST_AUDIT_TEAM_VIEW_ONLY: frozenset(),
}


def custom_permissions_for(model_name: str) -> list[tuple[str, str]]:
    """The Meta.permissions of one model."""
    return [(code, text) for model, code, text in CUSTOM_PERMISSIONS if model == model_name]


class Title(models.IntegerChoices):
    DR = 1, "Dr"
    MR = 2, "Mr"
    MRS = 3, "Mrs"
    MISS = 4, "Miss"
    MS = 5, "Ms"
    PROFESSOR = 6, "Professor"


class Role(models.IntegerChoices):
    CONSULTANT = 1, "Consultant paediatrician"
    TRAINEE = 2, "Paediatric registrar or trainee"
    DIABETES_SPECIALIST_NURSE = 3, "Paediatric diabetes specialist nurse"
    DIETITIAN = 4, "Paediatric dietitian"
    PSYCHOLOGIST = 5, "Psychologist"
    ADMINISTRATOR = 6, "Administrator or data manager"
    AUDIT_COORDINATOR = 7, "Audit coordinator"
    RCPCH_AUDIT_TEAM = 8, "RCPCH audit team"


# The groups a member of each group may give to others: never a role above their own, and
# (enforced with the units) never outside their units. Superusers may give any.
GRANTABLE_GROUPS: dict[str, tuple[str, ...]] = {
    GroupName.RCPCH_AUDIT_TEAM_FULL_ACCESS: (*RCPCH_GROUPS, *TRUST_GROUPS),
    GroupName.TRUST_AUDIT_TEAM_FULL_ACCESS: TRUST_GROUPS,
}
