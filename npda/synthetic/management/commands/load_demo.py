"""The demo of `make run`: the audit years from 2022-23 to the one open today, of synthetic
children; each ended year with its KPIs, its quarterly provisional releases and its final
release, and the open year (2026 dataset from 2026-27) filling in: its children's visits up to
today, its live KPIs as at today and a provisional release at each quarter end already passed.
Every step is skipped when done.

A year's releases are made in a second process while the next year's children are generated
(the machine has two cores; the two touch different audit periods)."""

import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from aggregation.models import KPIRun, Release
from aggregation.releases import ReleaseError, publish_release, quarter_ends
from aggregation.selectors import audit_period_for_year, kpis_are_current, release_is_up_to_date
from aggregation.services import compute_kpis
from constants.groups import GroupName
from npda.data_model.audit_periods import ensure_audit_periods
from npda.data_model.models import NPDAUser, PaediatricDiabetesUnit, SignOff, Submission
from npda.submissions.sign_off import sign_off
from npda.submissions.versions import check_upload
from npda.synthetic.parameters import NATIONAL_PATIENTS
from npda.synthetic.service import generate_cohort

FIRST_DEMO_YEAR = 2022
# The submission tracker shows every status (issue 21): in the latest ended year one small unit
# has no data (a non-participating unit), a few have data they have not signed off (one with a
# checked draft waiting), and every other unit's lead has signed off. Earlier ended years are
# signed off by every unit.
DEMO_NO_DATA_UNIT = "PZ181"
DEMO_UNSIGNED_UNITS = ("PZ015", "PZ047", "PZ156")
DEMO_DRAFT_UNIT = "PZ015"
DEMO_LEAD_EMAIL = "demo.lead@npda.example"


def demo_years(today) -> list[int]:
    """2022 up to the audit year open today (it starts on 1 April)."""
    current = today.year if today.month >= 4 else today.year - 1
    return list(range(FIRST_DEMO_YEAR, current + 1))


def database_url(database: dict) -> str:
    """The URL of the database this process uses (the second process must use the same one,
    whatever DATABASE_URL says: a benchmark or test may have changed its name)."""
    user = quote(database.get("USER") or "", safe="")
    password = quote(database.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if user and password else (f"{user}@" if user else "")
    host = quote(database.get("HOST") or "", safe="")
    port = f":{database['PORT']}" if database.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{quote(database['NAME'], safe='')}"


def demo_lead() -> NPDAUser:
    """The demo's unit lead: a full-access member of every unit's team, who signs the demo's
    years off. It cannot log in (no usable password)."""
    lead, created = NPDAUser.objects.get_or_create(
        email=DEMO_LEAD_EMAIL, defaults={"first_name": "Demo", "surname": "Unit Lead"}
    )
    if created:
        lead.set_unusable_password()
        lead.save()
    # Every time: reloading the reference data makes the units again, without their members.
    lead.groups.add(Group.objects.get(name=GroupName.TRUST_AUDIT_TEAM_FULL_ACCESS))
    lead.organisation_employers.add(*PaediatricDiabetesUnit.objects.filter(is_active=True))
    return lead


class Command(BaseCommand):
    help = (
        "Load the demo: for each audit year (default 2022-23 to the one open today), the "
        "synthetic national cohort (the same children from year to year), its KPIs, a "
        "provisional release at each quarter end passed and, once the year has ended, the final "
        "release. Skips whatever is already done."
    )

    def add_arguments(self, parser):
        parser.add_argument("--years", type=int, nargs="+", help="default: 2022 to today's year")
        parser.add_argument("--patients", type=int, default=NATIONAL_PATIENTS)
        parser.add_argument(
            "--releases-only", action="store_true", help="only the releases of the years"
        )
        parser.add_argument(
            "--today", type=date.fromisoformat, help="the demo's today (default: today)"
        )

    def handle(self, *args, years, patients, releases_only, today=None, **options):
        ensure_audit_periods()
        self.patients = patients
        today = self.today = today or timezone.localdate()
        years = years or demo_years(today)
        for year in years:
            if date(year, 4, 1) > today:
                raise CommandError(f"The {year}-{year + 1} audit year has not started yet.")
        periods = [audit_period_for_year(year) for year in sorted(years)]
        if releases_only:
            for period in periods:
                self._releases(period)
            return
        making = None  # the process making the previous year's releases
        ended = [p for p in periods if p.end_date < today]
        latest_ended = ended[-1] if ended else None
        for period in periods:
            year = period.start_date.year
            left_out = {DEMO_NO_DATA_UNIT} if period == latest_ended else set()
            self._step(
                f"{period}: children", lambda y=year, x=left_out: self._cohort(y, patients, x)
            )
            if not kpis_are_current(period):
                self._step(
                    f"{period}: KPIs",
                    lambda p=period: compute_kpis(
                        p, calculation_date=today, trigger=KPIRun.Trigger.COMMAND
                    ),
                )
            if period in ended:
                latest = period == latest_ended
                self._step(
                    f"{period}: sign-offs", lambda p=period, last=latest: self._sign_offs(p, last)
                )
            self._finish(making)
            making = self._start_releases(year) if self._missing_releases(period) else None
        self._finish(making)

    def _cohort(self, year: int, patients: int, left_out: set[str]) -> str:
        def progress(unit) -> None:  # a mark every quarter of the units
            if not unit.skipped and (unit.done % max(unit.total // 4, 1) == 0):
                self.stdout.write(f" {unit.done}/{unit.total}", ending="")
                self.stdout.flush()

        units = PaediatricDiabetesUnit.objects.filter(is_active=True).exclude(pk__in=left_out)
        result = generate_cohort(
            audit_year=year,
            patients=patients,
            seed=1,
            pz_codes=sorted(units.values_list("pz_code", flat=True)),
            skip_existing=True,
            today=self.today,
            progress=progress,
        )
        if not result.units:
            return "already loaded"
        return f"{result.children:,} children, {result.visits:,} visits"

    def _sign_offs(self, period, latest: bool) -> str:
        """Every unit with data signs off (the latest ended year: all but a few, one of which
        has a checked draft waiting); the demo's lead account signs for them."""
        lead = demo_lead()
        unsigned = set(DEMO_UNSIGNED_UNITS) if latest else set()
        signed = set(SignOff.objects.filter(audit_period=period, reopened_at__isnull=True)
                     .values_list("paediatric_diabetes_unit_id", flat=True))  # fmt: skip
        with_data = Submission.objects.filter(audit_period=period, is_active=True)
        count = 0
        for unit in PaediatricDiabetesUnit.objects.filter(
            pk__in=with_data.values("paediatric_diabetes_unit")
        ).exclude(pk__in=signed | unsigned):
            sign_off(unit, period, lead, today=self.today)
            count += 1
        if latest:
            self._draft(period)
        return f"{count} units signed off"

    def _draft(self, period) -> None:
        """A checked draft of one unsigned unit, from its own data written out as a file."""
        unit = PaediatricDiabetesUnit.objects.get(pk=DEMO_DRAFT_UNIT)
        if Submission.objects.filter(paediatric_diabetes_unit=unit, audit_period=period,
                                     status=Submission.Status.DRAFT).exists():  # fmt: skip
            return
        with tempfile.TemporaryDirectory() as folder:
            generate_cohort(audit_year=period.start_date.year, patients=self.patients, seed=1,
                            pz_codes=[unit.pk], csv_dir=Path(folder), today=self.today)  # fmt: skip
            path = next(Path(folder).glob("*.csv"))
            check_upload(path.read_bytes(), path.name, unit, period, user=demo_lead(),
                         allow_closed_period=True, today=self.today)  # fmt: skip

    def _start_releases(self, year: int) -> subprocess.Popen:
        manage = Path(settings.BASE_DIR) / "manage.py"
        return subprocess.Popen(
            [
                sys.executable,
                str(manage),
                "load_demo",
                "--releases-only",
                "--years",
                str(year),
                "--today",
                self.today.isoformat(),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=os.environ | {"DATABASE_URL": database_url(connection.settings_dict)},
        )

    def _finish(self, making: subprocess.Popen | None) -> None:
        if making is None:
            return
        output, _ = making.communicate()
        self.stdout.write(output, ending="")
        if making.returncode:
            raise CommandError("Making the demo's releases failed (above).")

    def _wanted_releases(self, period) -> list[tuple[str, object]]:
        """Each passed quarter's provisional release, then (once ended) the final release."""
        today = self.today
        passed = [as_at for as_at in quarter_ends(period) if as_at < today]
        quarters = [(Release.Kind.PROVISIONAL, as_at) for as_at in passed]
        final = [(Release.Kind.FINAL, period.end_date)] if period.end_date < today else []
        return [*quarters, *final]

    def _missing_releases(self, period) -> bool:
        return not all(
            release_is_up_to_date(period, kind, as_at, under_current_policy=True)
            for kind, as_at in self._wanted_releases(period)
        )

    def _releases(self, period) -> None:
        for kind, as_at in self._wanted_releases(period):
            self._release(period, kind, as_at)

    def _release(self, period, kind: str, as_at) -> None:
        # A demo release made under an older disclosure policy is made again (the old one is
        # kept, superseded), so the demo shows what releases made today look like.
        if release_is_up_to_date(period, kind, as_at, under_current_policy=True):
            return
        label = f"{period}: {kind} release as at {as_at:%d %b %Y}"

        def make() -> str:
            try:
                release = publish_release(period, kind, as_at=as_at, today=self.today)
            except ReleaseError as error:
                raise CommandError(str(error)) from None
            return f"release {release.pk}, {release.rows:,} rows"

        self._step(label, make)

    def _step(self, label: str, action) -> None:
        started = time.perf_counter()
        self.stdout.write(f"  {label} ...", ending="")
        self.stdout.flush()
        outcome = action()
        detail = outcome if isinstance(outcome, str) else "done"
        self.stdout.write(f" {detail} ({time.perf_counter() - started:.1f} s)")
