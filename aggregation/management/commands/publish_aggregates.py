import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from aggregation.management import audit_period_argument
from aggregation.models import Release
from aggregation.releases import (
    ReleaseCheckError,
    ReleaseError,
    calculation_date_for_release,
    publish_release,
)
from aggregation.selectors import release_is_up_to_date
from npda.data_model.models import PaediatricDiabetesUnit, SignOff


class Command(BaseCommand):
    help = (
        "Make a release of an audit year: every child scored as at the release date, pooled "
        "to every level, benchmarked and disclosure controlled, then stored for the public "
        "pages and the open data API. A newer release of the same year, kind and date "
        "supersedes the old one, which stays readable."
    )

    def add_arguments(self, parser):
        parser.add_argument("--audit-year", type=int, required=True, help="e.g. 2024")
        parser.add_argument(
            "--kind",
            choices=Release.Kind.values,
            default=Release.Kind.FINAL,
            help="final (once the year has ended and is signed off; default) or provisional",
        )
        parser.add_argument(
            "--as-at",
            type=dt.date.fromisoformat,
            help="provisional releases: the quarter end (YYYY-MM-DD); default the latest passed",
        )
        parser.add_argument("--notes", default="", help="shown with the release")
        parser.add_argument(
            "--force",
            action="store_true",
            help="final releases: publish before the submission deadline (needs --reason)",
        )
        parser.add_argument("--reason", default="", help="why --force is used (kept in the notes)")
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="do nothing when a current release of that date is newer than the last upload",
        )

    def handle(self, *args, audit_year, kind, as_at, notes, if_missing, **options):
        period = audit_period_argument(audit_year)
        verbose = options["verbosity"] > 0
        if kind == Release.Kind.FINAL:
            notes = self._final_notes(period, notes, options["force"], options["reason"])
        try:
            c = calculation_date_for_release(period, kind, as_at, timezone.localdate())
        except ReleaseError as error:
            raise CommandError(str(error)) from None
        if if_missing and release_is_up_to_date(period, kind, c):
            if verbose:
                self.stdout.write(f"The {period} {kind} release as at {c} is up to date.")
            return
        try:
            release = publish_release(
                period,
                kind,
                as_at=c,
                notes=notes,
                progress=(lambda stage: self.stdout.write(f"  {stage}")) if verbose else None,
            )
        except ReleaseCheckError as error:
            for failure in error.failures:
                self.stderr.write(f"  {failure}")
            raise CommandError(
                f"The release checks failed ({len(error.failures)} problems above); "
                "nothing was published."
            ) from None
        except ReleaseError as error:
            raise CommandError(str(error)) from None
        replaced = release.supersedes.first()
        if verbose and kind == Release.Kind.FINAL:
            self.stdout.write(f"  {sign_off_summary(period)}")
        if verbose:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Release {release.pk}: {period} {release.kind} as at "
                    f"{release.calculation_date:%Y-%m-%d}, {release.rows:,} rows, "
                    f"{release.disclosure_policy.label}, in {release.duration_seconds:.1f} s"
                    + (f"; supersedes release {replaced.pk}" if replaced else "")
                )
            )

    @staticmethod
    def _final_notes(period, notes: str, force: bool, reason: str) -> str:
        """A final release waits for the submission deadline (issue 21) unless forced, with a
        reason; its notes say how many units had signed off and which had not."""
        today = timezone.localdate()
        extra = [sign_off_summary(period)]
        if today <= period.deadline:
            if not force:
                raise CommandError(
                    f"The submission deadline for {period} is {period.deadline:%-d %B %Y}: a "
                    "final release waits for it, when every unit has had the time to submit and "
                    "sign off. Give --force with --reason to publish before it."
                )
            if len(reason.strip()) < 5:
                raise CommandError("--force needs --reason: say why the final release cannot "
                                   "wait for the submission deadline.")  # fmt: skip
            extra.append(f"Published before the submission deadline "
                         f"({period.deadline:%-d %B %Y}): {reason.strip()}")  # fmt: skip
        return " ".join([notes.strip(), *extra]).strip()


def sign_off_summary(period) -> str:
    """How many units had signed off the year, and which had not (with or without data)."""
    units = list(PaediatricDiabetesUnit.objects.filter(is_active=True)
                 .values_list("pz_code", flat=True).order_by("pz_code"))  # fmt: skip
    signed = set(SignOff.objects.filter(audit_period=period, reopened_at__isnull=True)
                 .values_list("paediatric_diabetes_unit_id", flat=True))  # fmt: skip
    not_signed = [code for code in units if code not in signed]
    text = f"Sign-off: {len(units) - len(not_signed)} of {len(units)} units had signed off."
    if not_signed:
        text += f" Not signed off: {', '.join(not_signed)}."
    return text
