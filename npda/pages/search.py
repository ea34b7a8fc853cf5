"""Search for any unit, trust, health board, ICB, region, network or country by name or code
(`/search/?q=cambridge`): a plain GET form, so it works without JavaScript; every result
links to its page. Bad input is a message or an empty result, never an error."""

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from dashboards.map_figures import plain_name
from npda.pages import selectors
from npda.pages.selectors import MAX_SEARCH_CHARS, MAX_SEARCH_WORDS, SearchHit

LEVEL_WORDS = {"pdu": "Unit", "trust": "NHS trust", "lhb": "Welsh health board",
               "icb": "Integrated Care Board", "region": "NHS England region",
               "network": "Paediatric diabetes network", "country": "Country"}  # fmt: skip


@dataclass(frozen=True)
class Result:
    kind: str
    name: str
    code: str
    detail: str
    url: str


def page_url(hit: SearchHit) -> str:
    if hit.level == "pdu":
        return reverse("unit-page", args=[hit.code])
    return reverse("area-page", args=[hit.level, hit.code])


def result(hit: SearchHit) -> Result:
    codes = hit.code + (f", {hit.other_code}" if hit.other_code else "")
    return Result(LEVEL_WORDS[hit.level], plain_name(hit.name), codes, plain_name(hit.detail),
                  page_url(hit))  # fmt: skip


def search_problems(query: str) -> list[str]:
    """What was left out of a query, in words."""
    problems = []
    if len(query) > MAX_SEARCH_CHARS:
        problems.append(
            f"Searches are limited to {MAX_SEARCH_CHARS} characters: searched for the first "
            f"{MAX_SEARCH_CHARS}."
        )
    if len(selectors.search_words(query)) >= MAX_SEARCH_WORDS and len(query.split()) > (
        MAX_SEARCH_WORDS
    ):
        problems.append(f"Only the first {MAX_SEARCH_WORDS} words were searched for.")
    return problems


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    hits = selectors.search(query)
    return render(
        request,
        "pages/search.html",
        {
            "query": query[:MAX_SEARCH_CHARS],
            "searched": bool(selectors.search_words(query)),
            "results": [result(hit) for hit in hits],
            "problems": search_problems(query),
            "limit": selectors.MAX_HITS,
            "search_max": MAX_SEARCH_CHARS,
        },
    )
