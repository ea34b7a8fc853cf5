"""The one meaning of colour on every map, funnel, spine, chart and table (ADR 0025).

Colours come from the GOV.UK palette, as Fingertips' comparisons now do. A colour always
travels with words (a legend, a table cell, a hover, a figure caption): never colour alone.

- **Comparison with England and Wales** (benchmarking-methods.md §3): blue better, yellow
  similar, red worse, by the measure's polarity; purples (light lower, dark higher) where
  neither direction is better (§3.4: no red or green there); white not compared; grey withheld.
- **Funnel classes** repeat it: a negative outlier is marked in the worse colour, a positive
  one in the better colour, by shape as well (circle within, diamond alert, square alarm),
  and named in words ("Alarm, negative").
- **Value views** use one sequential turquoise scale, light (low) to dark (high), a hue no
  comparison uses; the legend says which end is better.
- **Reference lines** (England and Wales on trends and funnels) are dark grey, and the area
  itself black: neither carries a comparison's meaning.

Pure constants and string builders: no Django, no Dash.
"""

import html

# GOV.UK colours (design-system.service.gov.uk/styles/colour).
GOVUK_BLUE = "#1d70b8"
GOVUK_YELLOW = "#ffdd00"
GOVUK_RED = "#d4351c"
GOVUK_PURPLE = "#4c2c92"
GOVUK_LIGHT_PURPLE = "#6f72af"
GOVUK_TURQUOISE = "#28a197"
GOVUK_BLACK = "#0b0c0c"
GOVUK_DARK_GREY = "#505a5f"
GOVUK_MID_GREY = "#b1b4b6"
GOVUK_LIGHT_GREY = "#f3f2f1"
WHITE = "#ffffff"

COMPARISON_COLOURS = {
    "better": GOVUK_BLUE,
    "similar": GOVUK_YELLOW,
    "worse": GOVUK_RED,
    "lower": GOVUK_LIGHT_PURPLE,
    "higher": GOVUK_PURPLE,
    "not compared": WHITE,
}
WITHHELD_COLOUR = GOVUK_MID_GREY
NO_DATA_COLOUR = GOVUK_LIGHT_GREY  # areas with no result
OUTSIDE_COLOUR = "#e8e8e7"  # areas outside the chosen one: a shade below "no data"
OUTLINE_COLOUR = GOVUK_DARK_GREY  # around every area and mark, so a pale fill still stands out
INK = GOVUK_BLACK  # the area or unit itself on trends and case mix
REFERENCE_COLOUR = GOVUK_DARK_GREY  # England and Wales lines and bars: no comparison meant

# Tints and shades of GOV.UK turquoise, light (low) to dark (high): monotonic in lightness, so
# the order reads in greyscale and for every colour-vision deficiency.
VALUE_COLOURS = ("#d4ecea", "#93d0ca", "#28a197", "#1a6e67", "#0d3b37")

# A funnel point's direction (aggregation.statistics.classify) and the comparison it means.
DIRECTION_COMPARISON = {"negative": "worse", "positive": "better", "low": "lower",
                        "high": "higher"}  # fmt: skip
CLASS_SHAPES = {"within": "circle", "alert": "diamond", "alarm": "square"}
CLASS_WORDS = {"within": "Within limits", "alert": "Alert", "alarm": "Alarm"}
CLASS_LIMITS = {"within": "", "alert": "beyond 95%", "alarm": "beyond 99.8%"}
WITHIN_COLOUR = GOVUK_DARK_GREY


def comparison_colour(key: str) -> str:
    """The fill of a comparison ("better", ...), "withheld", or anything else (no result)."""
    if key == "withheld":
        return WITHHELD_COLOUR
    return COMPARISON_COLOURS.get(key or "not compared", NO_DATA_COLOUR)


def outlier_colour(klass: str, direction: str) -> str:
    """A funnel mark's colour: its direction's comparison colour, grey within the limits."""
    if klass not in ("alert", "alarm"):
        return WITHIN_COLOUR
    return COMPARISON_COLOURS[DIRECTION_COMPARISON.get(direction, "not compared")]


def outlier_words(klass: str, direction: str) -> str:
    """ "Alarm, negative (beyond 99.8%)": the class, its direction in words, its limit."""
    words = CLASS_WORDS.get(klass, "Not classed")
    if direction:
        words += f", {direction}"
    return f"{words} ({CLASS_LIMITS[klass]})" if CLASS_LIMITS.get(klass) else words


# Which end of a value scale is better, in the legend's words.
VALUE_SCALE_WORDS = {
    "up": "lighter is lower, darker is higher; higher is better",
    "down": "lighter is lower, darker is higher; lower is better",
    "none": "lighter is lower, darker is higher; neither is better",
    "n/a": "lighter is lower, darker is higher; a count, neither better nor worse",
}


def value_scale_words(polarity: str) -> str:
    return VALUE_SCALE_WORDS.get(polarity, VALUE_SCALE_WORDS["none"])


def mark_html(key: str) -> str:
    """A small swatch of a comparison's colour for a table cell, beside its words (hidden from
    screen readers: the words say it)."""
    colour = html.escape(comparison_colour(key))
    return f'<span class="mark" style="background:{colour}" aria-hidden="true"></span>'


def table_mark_html(key: str) -> str:
    """A table cell's mark: none where nothing was compared (the words say so, and a white
    square beside every count would only be noise)."""
    return "" if key in ("", "not compared") else mark_html(key)
