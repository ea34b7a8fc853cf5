"""The front door: the home page (the latest final release's headline results for England and
Wales, their trend and the open year's provisional figures), search, the methods, open data
and about-the-data pages.

The home page is the same for everyone, signed in or not (its header carries no account
links and no form), so a shared cache may keep it; the methods and open data pages too.
"""

from datetime import date

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from aggregation import selectors
from constants import disclosure as sdc
from constants.kpis import MEASURES, POPULATIONS, definition_for
from constants.levels import OGL_ATTRIBUTION, RCPCH_ATTRIBUTION
from dashboards import headline, palette
from dashboards import map_figures as fig
from npda.data_model.models import AuditPeriod
from npda.pages import selectors as reference
from npda.pages.selectors import MAX_SEARCH_CHARS

PUBLIC_MAX_AGE = 300  # seconds: results change only when a release is made


def public(response: HttpResponse) -> HttpResponse:
    """Cacheable by anyone for a few minutes (a signed-in person's answer is made no-store by
    npda.accounts, whatever this says)."""
    response["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
    return response


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    results = headline.home_results()
    return public(
        render(
            request,
            "pages/home.html",
            {
                "results": results,
                "year": fig.year_label(results.release.audit_year) if results.release else "",
                "open_year": fig.year_label(results.open_release.audit_year)
                if results.open_release
                else "",
                "search_max": MAX_SEARCH_CHARS,
                "footnote": sdc.footnote(results.release.disclosure_policy)
                if results.release
                else "",
                "attribution": RCPCH_ATTRIBUTION,
            },
        )
    )


@require_safe
def about_data(request: HttpRequest) -> HttpResponse:
    """The reference data every result is attributed to: levels, counts and map layers."""
    return render(
        request,
        "pages/about_data.html",
        {
            "levels": reference.reference_level_counts(),
            "layers": reference.boundary_layers(),
            "last_load": reference.latest_reference_load(),
            "ogl_attribution": OGL_ATTRIBUTION,
            "rcpch_attribution": RCPCH_ATTRIBUTION,
        },
    )


POLARITY_WORDS = {"up": "Higher is better", "down": "Lower is better",
                  "none": "Neither higher nor lower is better", "n/a": "A count"}  # fmt: skip


def _measure_groups(audit_year: int) -> list[tuple[str, list[dict]]]:
    groups: dict[str, list[dict]] = {}
    for measure in MEASURES:
        groups.setdefault(measure.group.value, []).append(
            {
                "number": measure.number,
                "name": measure.name,
                "definition": definition_for(measure.number, audit_year),
                "population": POPULATIONS.get(measure.population, measure.population),
                "polarity": POLARITY_WORDS[measure.polarity.value],
            }
        )
    return list(groups.items())


def release_calendar() -> dict:
    """The published releases (current ones, newest first) and, for the open year, when its
    next quarterly release and its final release are due."""
    current = selectors.releases(current_only=True)
    today = timezone.localdate()
    period = AuditPeriod.objects.filter(start_date__lte=today, end_date__gte=today).first()
    quarter_ends = []
    if period is not None:
        year = period.start_date.year
        ends = (date(year, 6, 30), date(year, 9, 30), date(year, 12, 31), date(year + 1, 3, 31))
        quarter_ends = [d for d in ends if d >= today]
    return {
        "releases": current,
        "open_period": period,
        "next_quarter_end": quarter_ends[0] if quarter_ends else None,
        "final_after": period.deadline if period else None,
    }


def colour_key() -> list[tuple[str, str]]:
    """Each comparison's mark and words, from the palette (ADR 0025)."""
    words = {**fig.COMPARISON_WORDS, "lower": "Lower than England and Wales (no better "
             "direction)", "higher": "Higher than England and Wales (no better direction)",
             "withheld": "Withheld to protect confidentiality"}  # fmt: skip
    keys = ("better", "similar", "worse", "lower", "higher", "not compared", "withheld")
    return [(palette.mark_html(key), words[key]) for key in keys]


@require_safe
def methods(request: HttpRequest) -> HttpResponse:
    """How the results are made, for the public: definitions, statistics, disclosure control,
    the release calendar and what provisional means."""
    latest = selectors.latest_final_release()
    year = latest.audit_year if latest else timezone.localdate().year
    policy = sdc.CURRENT_POLICY
    return public(
        render(
            request,
            "pages/methods.html",
            {
                "groups": _measure_groups(year),
                "year_label": fig.year_label(year),
                "policy": policy,
                "footnote": sdc.footnote(policy.label),
                "calendar": release_calendar(),
                "colour_key": colour_key(),
            },
        )
    )


@require_safe
def open_data(request: HttpRequest) -> HttpResponse:
    """The open data API and the files anyone may download."""
    latest = selectors.latest_final_release()
    return public(
        render(
            request,
            "pages/open_data.html",
            {
                "latest": latest,
                "releases": selectors.releases(current_only=True),
                "levels": DOWNLOAD_LEVELS,
                "footnote": sdc.footnote(latest.disclosure_policy) if latest else "",
            },
        )
    )


DOWNLOAD_LEVELS = (("pdu", "Units"), ("trust", "NHS trusts"), ("lhb", "Welsh health boards"),
                   ("icb", "Integrated Care Boards"), ("region", "NHS England regions"),
                   ("network", "Paediatric diabetes networks"), ("country", "Countries"),
                   ("national", "England and Wales"))  # fmt: skip
