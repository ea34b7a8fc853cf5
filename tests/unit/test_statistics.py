"""Every worked number of benchmarking-methods.md §7, to 4 decimal places."""

import numpy as np
import pytest

from aggregation import statistics as st

A4 = 1e-4  # the fixtures are given to 4 decimal places


def close(actual, expected, tol=A4 / 2 + 1e-9):
    return np.allclose(np.asarray(actual, dtype=float), expected, atol=tol, rtol=0)


# §7.1 Wilson ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "n", "z", "expected"),
    [
        (45, 60, st.Z95, (0.6277, 0.8422)),
        (45, 60, st.Z998, (0.5516, 0.8798)),
        (0, 10, st.Z95, (0.0, 0.2775)),
        (0, 10, st.Z998, (0.0, 0.4885)),
        (10, 10, st.Z95, (0.7225, 1.0)),
        (10, 10, st.Z998, (0.5115, 1.0)),
        (8, 40, st.Z95, (0.1050, 0.3476)),
    ],
)
def test_wilson_interval(x, n, z, expected):
    assert close(st.wilson(x, n, z), expected)


def test_wilson_has_no_interval_without_a_denominator():
    lower, upper = st.wilson([0, 3], [0, 4], st.Z95)
    assert np.isnan(lower[0]) and np.isnan(upper[0])
    assert 0 < lower[1] < 0.75 < upper[1] < 1


# §7.2 Comparison with a benchmark ----------------------------------------------------------


@pytest.mark.parametrize(
    ("benchmark", "three", "five", "neutral"),
    [
        (0.80, "similar", "similar", "similar"),
        (0.86, "worse", "worse", "lower"),
        (0.90, "worse", "worst", "lowest"),
        (0.60, "better", "better", "higher"),
        (0.54, "better", "best", "highest"),
    ],
)
def test_comparison_with_a_benchmark(benchmark, three, five, neutral):
    l95, u95 = st.wilson(45, 60, st.Z95)
    l998, u998 = st.wilson(45, 60, st.Z998)
    assert st.compare_three_levels(l95, u95, benchmark, st.UP) == three
    assert st.compare_five_levels(l95, u95, l998, u998, benchmark, st.UP) == five
    assert st.compare_five_levels(l95, u95, l998, u998, benchmark, st.NO_JUDGEMENT) == neutral


def test_lower_is_better_swaps_the_labels_not_the_arithmetic():
    l95, u95 = st.wilson(45, 60, st.Z95)
    l998, u998 = st.wilson(45, 60, st.Z998)
    assert st.compare_five_levels(l95, u95, l998, u998, 0.90, st.DOWN) == "best"
    assert st.compare_three_levels(l95, u95, 0.60, st.DOWN) == "worse"


def test_an_area_without_an_interval_is_not_compared():
    assert st.compare_three_levels(np.nan, np.nan, 0.5, st.UP) == st.NOT_COMPARED


# §7.3 Exact binomial funnel limits ------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "expected"), [(0.001, 0.6192), (0.025, 0.6857), (0.975, 0.8885), (0.999, 0.9336)]
)
def test_exact_binomial_funnel_limits(p, expected):
    assert close(st.binomial_funnel_limit(0.80, 60, p), expected)


@pytest.mark.parametrize(
    ("x", "klass", "direction"),
    [
        (36, "alarm", "negative"),
        (40, "alert", "negative"),
        (48, "within", ""),
        (54, "alert", "positive"),
        (58, "alarm", "positive"),
    ],
)
def test_funnel_classification(x, klass, direction):
    limits = {k: st.binomial_funnel_limit(0.80, 60, p) for k, p in st.FUNNEL_TAILS.items()}
    result = st.classify(
        x / 60,
        limits["lower_95"],
        limits["upper_95"],
        limits["lower_998"],
        limits["upper_998"],
        st.UP,
    )
    assert (result[0], result[1]) == (klass, direction)


def test_a_value_exactly_on_a_limit_is_within_limits():
    assert st.classify(0.5, 0.5, 0.6, 0.4, 0.7, st.UP)[0] == "within"


# §7.4 t interval --------------------------------------------------------------------------------


def test_t_interval_for_a_mean():
    values = np.array([48, 52, 55, 58, 60, 61, 63, 67, 72, 84], dtype=float)
    mean, sd = values.mean(), values.std(ddof=1)
    assert close([mean, sd, np.median(values)], [62.0, 10.4137, 60.5])
    assert close(st.t_interval(mean, sd, 10, st.ALPHA95), (54.5505, 69.4495))
    assert close(st.t_interval(mean, sd, 10, st.ALPHA998), (47.8502, 76.1498))


def test_no_t_interval_for_one_child():
    assert np.isnan(st.t_interval(50.0, 0.0, 1, st.ALPHA95)).all()


# §7.5 Funnel limits for a mean --------------------------------------------------------------


def test_normal_funnel_limits_for_a_mean():
    assert close(st.normal_funnel_limits(60.0, 12.0, 50, st.Z95), (56.6738, 63.3262))
    assert close(st.normal_funnel_limits(60.0, 12.0, 50, st.Z998), (54.7557, 65.2443))
    z = (64.5 - 60.0) / (12.0 / np.sqrt(50))
    assert close(z, 2.6517)
    lower95, upper95 = st.normal_funnel_limits(60.0, 12.0, 50, st.Z95)
    lower998, upper998 = st.normal_funnel_limits(60.0, 12.0, 50, st.Z998)
    assert st.classify(64.5, lower95, upper95, lower998, upper998, st.DOWN) == (
        "alert",
        "negative",
    )


# §7.6 Counts and rates --------------------------------------------------------------------------


def test_byar_interval_for_25_admissions_in_400_children():
    assert close(st.poisson_count_interval(25, st.Z95, st.ALPHA95), (16.1743, 36.9065))
    assert close(st.poisson_count_interval(25, st.Z998, st.ALPHA998), (12.3045, 44.6748))
    per_100 = np.array(st.poisson_count_interval(25, st.Z95, st.ALPHA95)) / 400 * 100
    assert close(per_100, (4.0436, 9.2266))
    per_100 = np.array(st.poisson_count_interval(25, st.Z998, st.ALPHA998)) / 400 * 100
    assert close(per_100, (3.0761, 11.1687))


@pytest.mark.parametrize(
    ("observed", "z", "alpha", "expected"),
    [
        (4, st.Z95, st.ALPHA95, (1.0899, 10.2416)),
        (4, st.Z998, st.ALPHA998, (0.4286, 14.7941)),
        (0, st.Z95, st.ALPHA95, (0.0, 3.6889)),
        (0, st.Z998, st.ALPHA998, (0.0, 6.9078)),
    ],
)
def test_exact_interval_for_small_counts(observed, z, alpha, expected):
    assert close(st.poisson_count_interval(observed, z, alpha), expected)


@pytest.mark.parametrize(
    ("p", "expected"), [(0.001, 2.4678), (0.025, 3.5888), (0.975, 8.3976), (0.999, 9.9955)]
)
def test_poisson_funnel_limits_per_100_children(p, expected):
    count_limit = st.poisson_funnel_limit(0.06 * 400, p)
    assert close(count_limit / 400 * 100, expected)


# §7.7 Pooling versus averaging (the arithmetic the roll-up relies on) -------------------------


def test_pooled_proportion_and_mean():
    assert close((180 + 10) / (200 + 20), 0.863636)
    assert close((40 * 58 + 10 * 70) / 50, 60.4)


# §7.8 Overdispersion ------------------------------------------------------------------------------

UNITS_X = np.array([186, 140, 112, 260, 80, 84, 210, 68, 100, 165, 45, 292])
UNITS_N = np.array([200, 180, 150, 300, 90, 120, 240, 75, 140, 210, 60, 330])
# zᵢ, z_w,ᵢ and the additively adjusted z of units A-L.
Z_SCORES = (4.3903, -1.8219, -2.5586, 1.7040, 1.5776, -3.4322)
Z_SCORES += (1.9091, 1.9488, -3.3357, -1.6894, -1.5587, 2.7892)
WINSORISED = (2.7051, -1.8219, -2.5586, 1.7040, 1.5776, -3.2580)
WINSORISED += (1.9091, 1.9488, -3.2580, -1.6894, -1.5587, 2.7051)
ADJUSTED_Z = (1.7067, -0.7404, -1.1206, 0.5550, 0.8399, -1.6418)
ADJUSTED_Z += (0.6862, 1.1057, -1.5020, -0.6433, -0.9512, 0.8704)


def overdispersion_fixture():
    theta = UNITS_X.sum() / UNITS_N.sum()
    y, s, target = st.proportion_z_scores(UNITS_X, UNITS_N, theta)
    return theta, y, s, target


def test_arcsine_z_scores_and_winsorisation():
    theta, y, s, target = overdispersion_fixture()
    assert close([theta, target], [0.831504, 1.147812], tol=5e-7)
    z = (y - target) / s
    assert close(
        z,
        Z_SCORES,
    )
    assert close(np.percentile(z, [10, 90]), [-3.2580, 2.7051])
    assert close(
        st.winsorise(z),
        WINSORISED,
    )


def test_dispersion_estimate_and_test():
    _, y, s, target = overdispersion_fixture()
    d = st.dispersion(y, s, target)
    assert d.k == 12 and d.overdispersed
    assert close(d.phi, 5.3208)
    assert close(d.k * d.phi, 63.8493)
    assert close(1 / s**2, UNITS_N * 4)  # Σw = 8380 follows
    assert close(d.tau2, 0.0070214, tol=5e-8)


def test_limits_at_n_100_by_method():
    _, y, s, target = overdispersion_fixture()
    d = st.dispersion(y, s, target)
    s100 = 1 / (2 * np.sqrt(100))
    unadjusted = [st.arcsine_to_proportion(target + sign * z * s100) for z, sign in _BANDS]
    multiplicative = [
        st.arcsine_to_proportion(st.multiplicative_limits(target, s100, d.phi, z)[i])
        for z, i in _BANDS_INDEXED
    ]
    additive = [
        st.arcsine_to_proportion(st.additive_limits(target, s100, d.tau2, z)[i])
        for z, i in _BANDS_INDEXED
    ]
    assert close(unadjusted, [0.7523, 0.8981, 0.7020, 0.9296])
    assert close(multiplicative, [0.6347, 0.9617, 0.5060, 0.9956])
    assert close(additive, [0.6678, 0.9473, 0.5607, 0.9853])


_BANDS = [(st.Z95, -1), (st.Z95, 1), (st.Z998, -1), (st.Z998, 1)]
_BANDS_INDEXED = [(st.Z95, 0), (st.Z95, 1), (st.Z998, 0), (st.Z998, 1)]


def test_unadjusted_exact_classes_of_the_twelve_units():
    theta, *_ = overdispersion_fixture()
    limits = {k: st.binomial_funnel_limit(theta, UNITS_N, p) for k, p in st.FUNNEL_TAILS.items()}
    klass, direction = st.classify(
        UNITS_X / UNITS_N,
        limits["lower_95"],
        limits["upper_95"],
        limits["lower_998"],
        limits["upper_998"],
        st.UP,
    )
    labels = dict(zip("ABCDEFGHIJKL", zip(klass, direction, strict=True), strict=True))
    assert labels["A"] == ("alarm", "positive")
    assert labels["F"] == labels["I"] == ("alarm", "negative")
    assert labels["C"] == ("alert", "negative")
    assert labels["H"] == labels["L"] == ("alert", "positive")
    assert all(labels[u] == ("within", "") for u in "BDEGJK")
    # Unit H: inside ±1.96 on the arcsine scale, yet above its exact 97.5 % limit of 0.9052.
    assert close(limits["upper_95"][7], 0.9052)


def test_additive_adjustment_leaves_no_unit_outside_the_limits():
    _, y, s, target = overdispersion_fixture()
    d = st.dispersion(y, s, target)
    adjusted_z = (y - target) / np.sqrt(s**2 + d.tau2)
    assert close(
        adjusted_z,
        ADJUSTED_Z,
    )
    lower, upper = st.additive_limits(target, s, d.tau2, st.Z95)
    assert ((y > lower) & (y < upper)).all()


def test_no_adjustment_without_overdispersion():
    y = np.array([0.50, 0.52, 0.49, 0.51])
    s = np.array([0.05, 0.05, 0.05, 0.05])
    d = st.dispersion(y, s, 0.505)
    assert not d.overdispersed and d.tau2 == 0.0
