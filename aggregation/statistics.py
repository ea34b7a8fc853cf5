"""The statistics of benchmarking-methods.md, as small pure functions.

Every function takes plain numbers or numpy arrays (vectorised over areas or units) and returns
numpy arrays, so a whole level is computed in one call. NaN means "no value" (for example an
interval with n = 0); callers store it as NULL. Section numbers refer to benchmarking-methods.md.
"""

from dataclasses import dataclass

import numpy as np

# §1.4: two-sided 95 % and 99.8 % normal quantiles ("2 SD" and "3 SD").
Z95 = 1.959964
Z998 = 3.090232
ALPHA95 = 0.05
ALPHA998 = 0.002
# §4.1: the tail probabilities of the funnel limits, lower and upper, at 95 % and 99.8 %.
FUNNEL_TAILS = {"lower_998": 0.001, "lower_95": 0.025, "upper_95": 0.975, "upper_998": 0.999}

UP, DOWN, NO_JUDGEMENT = "up", "down", "none"  # the Polarity values of constants.kpis


def _scipy_stats():
    """scipy.stats, imported on first use: it costs ~60 MB and 0.5 s, which an upload (it only
    queues a recompute) or a page should not pay."""
    from scipy import stats

    return stats


def _array(x) -> np.ndarray:
    return np.asarray(x, dtype=float)


# §2.1 Proportions: Wilson score interval -------------------------------------------------------


def wilson(x, n, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score limits for x successes of n; NaN where n = 0."""
    x, n = _array(x), _array(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = 2 * x + z**2
        spread = z * np.sqrt(z**2 + 4 * x * (1 - x / n))
        scale = 2 * (n + z**2)
        lower = np.where(x == 0, 0.0, (centre - spread) / scale)
        upper = np.where(x == n, 1.0, (centre + spread) / scale)
    empty = n <= 0
    return np.where(empty, np.nan, lower), np.where(empty, np.nan, upper)


# §2.2 Means: Student's t interval -------------------------------------------------------------


def t_interval(mean, sd, n, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """mean ± t(n-1, 1-alpha/2)·sd/√n; NaN where n < 2."""
    mean, sd, n = _array(mean), _array(sd), _array(n)
    valid = n >= 2
    df = np.where(valid, n - 1, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = _scipy_stats().t.ppf(1 - alpha / 2, df) * sd / np.sqrt(n)
    return np.where(valid, mean - half, np.nan), np.where(valid, mean + half, np.nan)


# §2.4 Counts: Byar's approximation (O >= 10), exact chi-squared limits (O < 10) ---------------


def poisson_count_interval(observed, z: float, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Limits for an event count O (divide by the population for a rate)."""
    o = _array(observed)
    with np.errstate(divide="ignore", invalid="ignore"):
        byar_lower = o * (1 - 1 / (9 * o) - z / (3 * np.sqrt(o))) ** 3
        byar_upper = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * np.sqrt(o + 1))) ** 3
        exact_lower = np.where(o > 0, _scipy_stats().chi2.ppf(alpha / 2, 2 * o) / 2, 0.0)
    exact_upper = _scipy_stats().chi2.ppf(1 - alpha / 2, 2 * o + 2) / 2
    large = o >= 10
    return np.where(large, byar_lower, exact_lower), np.where(large, byar_upper, exact_upper)


# §3 Comparison with a benchmark (Fingertips style) ---------------------------------------------

# Labels by polarity for an area below and above the benchmark, at 95 % then 99.8 %.
_BELOW = {UP: ("worse", "worst"), DOWN: ("better", "best"), NO_JUDGEMENT: ("lower", "lowest")}
_ABOVE = {UP: ("better", "best"), DOWN: ("worse", "worst"), NO_JUDGEMENT: ("higher", "highest")}
SIMILAR, NOT_COMPARED = "similar", "not compared"


def compare_three_levels(lower95, upper95, benchmark, polarity: str) -> np.ndarray:
    """§3.1: similar when L95 ≤ B ≤ U95, else below/above labelled by polarity."""
    lower95, upper95, b = _array(lower95), _array(upper95), _array(benchmark)
    below, above = _BELOW[polarity][0], _ABOVE[polarity][0]
    result = np.full(lower95.shape, NOT_COMPARED, dtype=object)
    result[(lower95 <= b) & (b <= upper95)] = SIMILAR
    result[upper95 < b] = below
    result[lower95 > b] = above
    return result


def compare_five_levels(lower95, upper95, lower998, upper998, benchmark, polarity: str):
    """§3.2: the three-level result, with the outer 99.8 % band as worst/best (or lowest/...)."""
    result = compare_three_levels(lower95, upper95, benchmark, polarity)
    b = _array(benchmark)
    result[b > _array(upper998)] = _BELOW[polarity][1]
    result[b < _array(lower998)] = _ABOVE[polarity][1]
    return result


# §4 Funnel limits ------------------------------------------------------------------------------


def _interpolated_limit(cdf, ppf, p: float, n) -> np.ndarray:
    """§4.1 steps 2-4: (r_p - a) / n with a = (F(r_p) - p) / (F(r_p) - F(r_p - 1))."""
    r = ppf(p)
    f_r, f_before = cdf(r), cdf(r - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = (f_r - p) / (f_r - f_before)
    return (r - alpha) / n


def binomial_funnel_limit(theta: float, n, p: float) -> np.ndarray:
    """Exact binomial limit with interpolation, as a proportion (§4.1); NaN where n = 0."""
    n = _array(n)
    safe_n = np.where(n > 0, n, 1)
    if theta <= 0 or theta >= 1:  # a degenerate target: every unit is at it
        limit = np.full(n.shape, float(theta))
    else:
        limit = _interpolated_limit(
            lambda r: _scipy_stats().binom.cdf(r, safe_n, theta),
            lambda q: _scipy_stats().binom.ppf(q, safe_n, theta),
            p,
            safe_n,
        )
    return np.where(n > 0, np.clip(limit, 0.0, 1.0), np.nan)


def poisson_funnel_limit(expected, p: float) -> np.ndarray:
    """Exact Poisson limit with interpolation, as an event count for expected count E (§4.3)."""
    e = _array(expected)
    safe_e = np.where(e > 0, e, 1)
    limit = _interpolated_limit(
        lambda r: _scipy_stats().poisson.cdf(r, safe_e),
        lambda q: _scipy_stats().poisson.ppf(q, safe_e),
        p,
        1.0,
    )
    return np.where(e > 0, np.maximum(limit, 0.0), np.nan)


def normal_funnel_limits(theta: float, sigma: float, n, z: float) -> tuple[np.ndarray, np.ndarray]:
    """§4.2: θ ± z·sigma/√n for a mean of n per-child values."""
    with np.errstate(divide="ignore", invalid="ignore"):
        half = z * sigma / np.sqrt(_array(n))
    return theta - half, theta + half


# §5 Overdispersion -----------------------------------------------------------------------------


def proportion_z_scores(x, n, theta: float) -> tuple[np.ndarray, np.ndarray, float]:
    """§5.1, proportions: (Y, s, θ_T) on the arcsine square-root scale."""
    x, n = _array(x), _array(n)
    return np.arcsin(np.sqrt(x / n)), 1 / (2 * np.sqrt(n)), float(np.arcsin(np.sqrt(theta)))


def rate_z_scores(observed, expected) -> tuple[np.ndarray, np.ndarray, float]:
    """§5.1, rates: Y = √(O/E), s = 1/(2√E), target 1."""
    o, e = _array(observed), _array(expected)
    return np.sqrt(o / e), 1 / (2 * np.sqrt(e)), 1.0


def winsorise(z: np.ndarray, lower_q: float = 10, upper_q: float = 90) -> np.ndarray:
    """§5.2: clamp to the 10th and 90th percentiles (type 7, numpy's default)."""
    low, high = np.percentile(z, [lower_q, upper_q])
    return np.clip(z, low, high)


@dataclass(frozen=True)
class Dispersion:
    k: int
    phi: float  # φ̂, the mean squared winsorised z-score
    overdispersed: bool  # k·φ̂ > χ²(0.95; k - 1)
    tau2: float  # τ̂², DerSimonian-Laird between-unit variance (0 when not overdispersed)


def dispersion(y: np.ndarray, s: np.ndarray, target: float) -> Dispersion:
    """§5.2-5.5: φ̂ from winsorised z-scores, the χ² test, and τ̂² (DerSimonian-Laird)."""
    k = len(y)
    if k < 2:
        return Dispersion(k, float("nan"), False, 0.0)
    z_w = winsorise((y - target) / s)
    phi = float(np.mean(z_w**2))
    overdispersed = k * phi > _scipy_stats().chi2.ppf(0.95, k - 1)
    w = 1 / s**2
    tau2 = max(0.0, (k * phi - (k - 1)) / (w.sum() - (w**2).sum() / w.sum()))
    return Dispersion(k, phi, bool(overdispersed), tau2 if overdispersed else 0.0)


def additive_limits(target: float, s, tau2: float, z: float) -> tuple[np.ndarray, np.ndarray]:
    """§5.5: θ_T ± z·√(s² + τ̂²), on the transformed scale."""
    half = z * np.sqrt(_array(s) ** 2 + tau2)
    return target - half, target + half


def multiplicative_limits(target: float, s, phi: float, z: float):
    """§5.4 (sensitivity analysis only): θ_T ± z·√φ̂·s, on the transformed scale."""
    half = z * np.sqrt(phi) * _array(s)
    return target - half, target + half


def arcsine_to_proportion(t) -> np.ndarray:
    """§5.5 back-transformation: clamp to [0, π/2], then sin²."""
    return np.sin(np.clip(_array(t), 0.0, np.pi / 2)) ** 2


def root_to_rate(t, rate: float) -> np.ndarray:
    """§5.5 back-transformation for rates: square (from ≥ 0) to O/E, then times λ₀."""
    return np.maximum(_array(t), 0.0) ** 2 * rate


# §6 Outlier classification ---------------------------------------------------------------------

WITHIN, ALERT, ALARM = "within", "alert", "alarm"
_DIRECTION_LOW = {UP: "negative", DOWN: "positive", NO_JUDGEMENT: "low"}
_DIRECTION_HIGH = {UP: "positive", DOWN: "negative", NO_JUDGEMENT: "high"}


def classify(value, lower95, upper95, lower998, upper998, polarity: str):
    """Alarm strictly beyond 99.8 %, alert strictly beyond 95 %, else within (§6).

    Returns (class, direction) arrays; direction is '' within limits and where value is NaN.
    """
    v = _array(value)
    below95, above95 = v < _array(lower95), v > _array(upper95)
    beyond998 = (v < _array(lower998)) | (v > _array(upper998))
    klass = np.full(v.shape, WITHIN, dtype=object)
    klass[below95 | above95] = ALERT
    klass[beyond998] = ALARM
    direction = np.full(v.shape, "", dtype=object)
    direction[below95] = _DIRECTION_LOW[polarity]
    direction[above95] = _DIRECTION_HIGH[polarity]
    klass[np.isnan(v)] = ""
    return klass, direction
