"""Audit periods are reference data: every period from 2020-21 to the current one exists, and
the current one appears once its 1 April has passed (seeded by a migration, then kept up to date
by the scheduler's nightly job and by every upload)."""

import datetime as dt

from django.apps import apps
from django.utils import timezone

from npda.data_model.seeding import sync_audit_periods


def ensure_audit_periods(today: dt.date | None = None) -> int:
    """Create the periods up to the one `today` (default: today) falls in; one query when none
    is missing. Returns the number created."""
    return sync_audit_periods(apps, today or timezone.localdate())
