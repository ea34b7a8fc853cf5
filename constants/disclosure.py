"""Statistical disclosure control policy parameters (disclosure-control.md), defined once.

The policy is a stored, versioned object (`aggregation.models.DisclosurePolicy`); the versions
below are seeded by a migration. Changing any parameter means a new version here (never an
edit of a published one), so that old releases can be reproduced exactly.
"""

import datetime as dt
from dataclasses import asdict, dataclass

SUPPRESSED = "*"  # §8: suppressed to protect confidentiality
DISPLAY_PLACES = 1  # §3: percentages (and means, rates, limits) are shown to 1 decimal place
NOT_APPLICABLE = "–"  # §8: no children in the denominator

# §8: the `value_note` of every shared output, beside the value.
NOTE_SMALL = "suppressed – small number"
NOTE_SECONDARY = "suppressed – secondary"
NOTE_NOT_APPLICABLE = "not applicable"
NOTE_NOT_COLLECTED = "not collected from 2026–27"  # kpis.md §7.1 (KPI 21)

# §7: why a cell was suppressed or a value withheld.
PRIMARY_SMALL_COUNT = "primary_small_count"
PRIMARY_FEW_CONTRIBUTORS = "primary_few_contributors"
SENSITIVE_MEASURE = "sensitive_measure"
SECONDARY = "secondary"
DERIVED_FROM_SUPPRESSED = "derived_from_suppressed"
COMPLEMENT = "complement"
REASONS = (
    PRIMARY_SMALL_COUNT,
    PRIMARY_FEW_CONTRIBUTORS,
    SENSITIVE_MEASURE,
    SECONDARY,
    DERIVED_FROM_SUPPRESSED,
    COMPLEMENT,
)


@dataclass(frozen=True)
class PolicyVersion:
    policy_id: str
    version: int
    effective_from: dt.date
    small_count_max: int  # counts 1 .. this are suppressed
    rounding_base: int  # other sub-national counts are rounded to a multiple of this
    min_contributors: int  # means and medians of fewer children are withheld
    sensitive_measures: tuple[str, ...]  # sub-national rules at every level, national included
    secondary_suppression: bool
    complement_protection: bool
    description: str
    approved_by: str
    # SDC-1: a mean or median goes with its contributor count when that count is hidden.
    # SDC-2 (§3.1): withheld only when fewer than `min_contributors` children contribute.
    means_withheld_with_hidden_counts: bool = True
    # §5.4: the release check that no withheld cell can be recovered from what is published
    # (a check that came with SDC-2; SDC-1 releases are reproduced with the checks they had).
    recovery_check: bool = False

    @property
    def label(self) -> str:
        return f"{self.policy_id}-{self.version}"

    def parameters(self) -> dict:
        """Every stored field but the version's name, as the model stores it."""
        fields = asdict(self)
        del fields["policy_id"], fields["version"]
        return fields | {"sensitive_measures": list(self.sensitive_measures)}


SDC_1 = PolicyVersion(
    policy_id="SDC",
    version=1,
    effective_from=dt.date(2024, 4, 1),
    small_count_max=7,
    rounding_base=5,
    min_contributors=8,
    sensitive_measures=("8",),
    secondary_suppression=True,
    complement_protection=False,
    description=(
        "Counts of 1 to 7 are shown as *. Other counts below national level are rounded to the "
        "nearest 5. Percentages are calculated from unrounded figures and are not shown where a "
        "count they depend on is suppressed. Averages based on fewer than 8 children are not "
        "shown. National figures are exact, except deaths (KPI 8). Secondary suppression stops "
        "a hidden count being recovered by subtraction."
    ),
    approved_by="RCPCH National Paediatric Diabetes Audit",
)
SDC_2 = PolicyVersion(
    policy_id="SDC",
    version=2,
    effective_from=dt.date(2026, 12, 1),
    small_count_max=7,
    rounding_base=5,
    min_contributors=8,
    sensitive_measures=("8",),
    secondary_suppression=True,
    complement_protection=False,
    description=(
        "As SDC-1, except for means and medians: they are withheld only when fewer than 8 "
        "children contribute. A contributor count hidden by secondary suppression is shown as "
        "*, and the mean or median, its confidence interval, its comparison and its funnel "
        "point (placed at the count rounded to 5) are still published. Percentages are still "
        "withheld when a count they rest on is hidden. A release check confirms that no "
        "withheld figure can be recovered from what is published."
    ),
    approved_by="RCPCH National Paediatric Diabetes Audit",
    means_withheld_with_hidden_counts=False,
    recovery_check=True,
)
POLICY_VERSIONS = (SDC_1, SDC_2)
CURRENT_POLICY = SDC_2  # every release made from 2026-12-01 (disclosure-control.md §3.1)


def footnote(policy_label: str) -> str:
    """§8: the standard footnote of every shared or public output."""
    return (
        "Counts of 1 to 7 are shown as *. Other counts below national level are rounded to the "
        "nearest 5. Percentages are calculated from unrounded figures and are not shown where a "
        "count they depend on is suppressed. Averages based on fewer than 8 children are not "
        f"shown. Disclosure control policy {policy_label}."
    )
