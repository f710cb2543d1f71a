"""Intervals and significance tests, checked against independent hand computations."""

import math

import numpy as np
import pytest
from scipy import stats as sps

from metrics import stats


def adjusted_wald_by_hand(P, passives, D):
    """METRICS.md: n_adj = n + 3, p = (P + 3/4)/n_adj, d = (D + 3/4)/n_adj, CI clipped."""
    n_adj = P + passives + D + 3
    p = (P + 0.75) / n_adj
    d = (D + 0.75) / n_adj
    var = p + d - (p - d) ** 2
    centre = 100 * (p - d)
    half = 1.96 * 100 * math.sqrt(var / n_adj)
    return centre, max(-100.0, centre - half), min(100.0, centre + half), var, n_adj


def test_nps_of_50_promoters_30_passives_20_detractors_is_30():
    assert stats.nps_score(50, 30, 20) == pytest.approx(30.0)


@pytest.mark.parametrize(
    "P, passives, D",
    [(50, 30, 20), (1, 0, 0), (0, 0, 1), (2, 1, 0), (10, 0, 0), (0, 0, 10), (3, 2, 1), (0, 5, 0)],
)
def test_adjusted_wald_interval_matches_the_metrics_md_formula(P, passives, D):
    got = stats.nps_interval(P, passives, D)
    assert got == pytest.approx(adjusted_wald_by_hand(P, passives, D))


def test_adjusted_wald_interval_is_clipped_to_plus_minus_100():
    _, low, high, _, _ = stats.nps_interval(10, 0, 0)
    assert high == 100.0 and low < 100.0
    _, low, high, _, _ = stats.nps_interval(0, 0, 10)
    assert low == -100.0 and high > -100.0
    # unclipped, the upper bound would pass 100: 76.92 + 29.39
    centre, _, _, var, n_adj = adjusted_wald_by_hand(10, 0, 0)
    assert centre + 196 * math.sqrt(var / n_adj) > 100


def test_only_passives_gives_nps_0_with_a_symmetric_interval():
    assert stats.nps_score(0, 30, 0) == 0.0
    adj, low, high, var, n_adj = stats.nps_interval(0, 30, 0)
    assert adj == pytest.approx(0.0)
    assert n_adj == 33
    assert var == pytest.approx(1.5 / 33)
    assert high == pytest.approx(196 * math.sqrt(1.5 / 33 / 33))
    assert low == pytest.approx(-high)


def test_no_responses_give_nan_not_zero():
    assert math.isnan(stats.nps_score(0, 0, 0))
    adj, low, high, _, n_adj = stats.nps_interval(0, 0, 0)
    assert math.isnan(adj) and math.isnan(low) and math.isnan(high)
    assert n_adj == 3
    low, high = stats.wilson(0, 0)
    assert math.isnan(low) and math.isnan(high)


def test_nps_interval_is_vectorised_over_arrays():
    adj, low, high, _, _ = stats.nps_interval(
        np.array([50, 0]), np.array([30, 0]), np.array([20, 0])
    )
    expected = adjusted_wald_by_hand(50, 30, 20)
    assert adj[0] == pytest.approx(expected[0]) and math.isnan(adj[1])
    assert low[0] == pytest.approx(expected[1]) and high[0] == pytest.approx(expected[2])


def wilson_by_hand(k, n, z=1.96):
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


@pytest.mark.parametrize("k, n", [(30, 50), (60, 100), (1, 3), (9, 10)])
def test_wilson_interval_matches_the_score_formula(k, n):
    assert stats.wilson(k, n) == pytest.approx(wilson_by_hand(k, n))


def test_wilson_upper_bound_for_0_of_10_is_z2_over_n_plus_z2():
    low, high = stats.wilson(0, 10)
    assert low == pytest.approx(0.0, abs=1e-12)
    assert high == pytest.approx(1.96**2 / (10 + 1.96**2))


def test_t_interval_uses_student_t_with_n_minus_1_df():
    low, high = stats.t_interval(5.0, 2.0, 10)
    half = 2.2621571627409915 * 2.0 / math.sqrt(10)
    assert (low, high) == pytest.approx((5.0 - half, 5.0 + half))


def test_t_interval_is_null_below_two_observations():
    low, high = stats.t_interval(5.0, float("nan"), 1)
    assert math.isnan(low) and math.isnan(high)


def test_two_proportion_test_is_pooled():
    z, p, sig = stats.two_proportion_test(50, 100, 65, 100)
    pooled = 115 / 200
    z_hand = (0.65 - 0.50) / math.sqrt(pooled * (1 - pooled) * (2 / 100))
    assert z == pytest.approx(z_hand)
    assert p == pytest.approx(2 * sps.norm.sf(z_hand))
    assert sig is True


def test_two_proportion_test_without_difference_is_not_significant():
    z, p, sig = stats.two_proportion_test(50, 100, 52, 100)
    assert abs(z) < 1.96 and sig is False
    z, p, sig = stats.two_proportion_test(0, 0, 5, 10)
    assert math.isnan(z) and sig is False


def test_welch_t_matches_scipy():
    t, p, sig = stats.welch_t(5.0, 1.0, 30, 5.6, 1.5, 25)
    ref = sps.ttest_ind_from_stats(5.0, 1.0, 30, 5.6, 1.5, 25, equal_var=False)
    assert t == pytest.approx(-ref.statistic)  # ours is period 2 minus period 1
    assert p == pytest.approx(ref.pvalue)
    assert sig == (ref.pvalue < 0.05)


def test_nps_change_test_uses_adjusted_values_and_variances():
    z, p, sig = stats.nps_change_test(20, 30, 50, 50, 30, 20)
    a1, _, _, v1, n1 = adjusted_wald_by_hand(20, 30, 50)
    a2, _, _, v2, n2 = adjusted_wald_by_hand(50, 30, 20)
    z_hand = (a2 - a1) / (100 * math.sqrt(v1 / n1 + v2 / n2))
    assert z == pytest.approx(z_hand)
    assert p == pytest.approx(2 * sps.norm.sf(abs(z_hand)))
    assert sig is True


def test_nps_change_with_an_empty_period_is_not_significant():
    z, p, sig = stats.nps_change_test(0, 0, 0, 50, 30, 20)
    assert math.isnan(z) and math.isnan(p) and sig is False


def test_tests_are_vectorised():
    z, p, sig = stats.two_proportion_test([50, 50], [100, 100], [65, 52], [100, 100])
    assert list(sig) == [True, False]
