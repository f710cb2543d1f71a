"""Intervals and significance tests (METRICS.md "Loyalty and satisfaction").

Pure numpy/scipy. Every function accepts scalars or array-likes (vectorised, broadcasting) and
returns numpy floats/arrays; an undefined result (n = 0, zero variance) is NaN, never 0, and a
test with an undefined statistic is not significant.
"""

from __future__ import annotations

import numpy as np

# scipy.special, not scipy.stats: the same functions underneath (t.ppf is stdtrit, norm.sf is
# ndtr(-x), t.sf is stdtr(df, -x): equal to the last bit), without scipy.stats' import, which
# is most of a `csm` command's start (~0.5-1 s on a quiet laptop core, seconds when busy).
from scipy import special as _sp

Z95 = 1.96  # two-sided 5%, as METRICS.md states it


def _arr(x) -> np.ndarray:
    return np.asarray(x, dtype=float)


def _out(x):
    """Return a Python float / bool for 0-d results, the array otherwise."""
    x = np.asarray(x)
    return x.item() if x.ndim == 0 else x


def nps_score(promoters, passives, detractors):
    """Return NPS = 100 (P - D) / n in points; NaN when n = 0."""
    p, m, d = _arr(promoters), _arr(passives), _arr(detractors)
    n = p + m + d
    with np.errstate(divide="ignore", invalid="ignore"):
        return _out(np.where(n > 0, 100.0 * (p - d) / np.where(n > 0, n, 1), np.nan))


def nps_interval(promoters, passives, detractors, z: float = Z95):
    """Adjusted-Wald NPS interval (Rocks 2016; Sauro & Lewis).

    n_adj = n + 3, p = (P + 3/4) / n_adj, d = (D + 3/4) / n_adj, NPS_adj = 100 (p - d),
    var = p + d - (p - d)^2, CI = NPS_adj +/- z 100 sqrt(var / n_adj) clipped to [-100, 100].

    Returns (nps_adj, ci_low, ci_high, var, n_adj). With n = 0, nps_adj and the bounds are NaN
    (an estimate made of the prior alone is not shown); var and n_adj are still returned."""
    p_, m_, d_ = _arr(promoters), _arr(passives), _arr(detractors)
    n = p_ + m_ + d_
    n_adj = n + 3.0
    p = (p_ + 0.75) / n_adj
    d = (d_ + 0.75) / n_adj
    var = p + d - (p - d) ** 2
    adj = 100.0 * (p - d)
    half = z * 100.0 * np.sqrt(var / n_adj)
    empty = n <= 0
    nps_adj = np.where(empty, np.nan, adj)
    low = np.where(empty, np.nan, np.clip(adj - half, -100.0, 100.0))
    high = np.where(empty, np.nan, np.clip(adj + half, -100.0, 100.0))
    return _out(nps_adj), _out(low), _out(high), _out(var), _out(n_adj)


def wilson(k, n, z: float = Z95):
    """Wilson score interval for k successes in n trials, no continuity correction.

    Returns (low, high); NaN for n = 0."""
    k, n = _arr(k), _arr(n)
    ok = n > 0
    nn = np.where(ok, n, 1.0)
    phat = k / nn
    denom = 1.0 + z * z / nn
    centre = (phat + z * z / (2 * nn)) / denom
    half = z / denom * np.sqrt(phat * (1 - phat) / nn + z * z / (4 * nn * nn))
    low = np.where(ok, np.clip(centre - half, 0.0, 1.0), np.nan)
    high = np.where(ok, np.clip(centre + half, 0.0, 1.0), np.nan)
    return _out(low), _out(high)


def t_interval(mean, sd, n, level: float = 0.95):
    """Student t interval for a mean: mean +/- t(1 - a/2, n - 1) sd / sqrt(n).

    Returns (low, high); NaN for n < 2 or an undefined sd."""
    mean, sd, n = _arr(mean), _arr(sd), _arr(n)
    ok = (n >= 2) & np.isfinite(sd) & np.isfinite(mean)
    nn = np.where(ok, n, 2.0)
    t = _sp.stdtrit(nn - 1, 1 - (1 - level) / 2)
    half = t * np.where(ok, sd, 0.0) / np.sqrt(nn)
    low = np.where(ok, mean - half, np.nan)
    high = np.where(ok, mean + half, np.nan)
    return _out(low), _out(high)


def _z_result(z):
    z = _arr(z)
    finite = np.isfinite(z)
    p = np.where(finite, 2.0 * _sp.ndtr(-np.abs(np.where(finite, z, 0.0))), np.nan)
    sig = finite & (np.abs(np.where(finite, z, 0.0)) > Z95)
    return _out(z), _out(p), _out(sig)


def nps_change_test(p1, passives1, d1, p2, passives2, d2):
    """Test the change of NPS from period 1 to period 2 on the adjusted-Wald scale.

    z = (NPS2_adj - NPS1_adj) / (100 sqrt(var1 / n1_adj + var2 / n2_adj)); two-sided p;
    significant when |z| > 1.96. Returns (statistic, p_value, significant); a period without
    responses gives NaN and not significant."""
    a1, _, _, v1, n1 = (_arr(x) for x in nps_interval(p1, passives1, d1))
    a2, _, _, v2, n2 = (_arr(x) for x in nps_interval(p2, passives2, d2))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (a2 - a1) / (100.0 * np.sqrt(v1 / n1 + v2 / n2))
    return _z_result(z)


def two_proportion_test(k1, n1, k2, n2):
    """Pooled two-proportion z-test of k2/n2 against k1/n1 (the sign is period 2 minus 1).

    Returns (statistic, p_value, significant); NaN and not significant when a sample is empty
    or the pooled proportion is 0 or 1."""
    k1, n1, k2, n2 = _arr(k1), _arr(n1), _arr(k2), _arr(n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (k1 + k2) / (n1 + n2)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        z = np.where((n1 > 0) & (n2 > 0) & (se > 0), (k2 / n2 - k1 / n1) / se, np.nan)
    return _z_result(z)


def welch_t(mean1, sd1, n1, mean2, sd2, n2, alpha: float = 0.05):
    """Welch's t-test of mean2 against mean1 (unequal variances, Welch-Satterthwaite df).

    Returns (statistic, p_value, significant) with significant = two-sided p < alpha; NaN and not
    significant for n < 2 in either sample or zero standard error."""
    m1, s1, n1 = _arr(mean1), _arr(sd1), _arr(n1)
    m2, s2, n2 = _arr(mean2), _arr(sd2), _arr(n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        v1, v2 = s1**2 / n1, s2**2 / n2
        se = np.sqrt(v1 + v2)
        ok = (n1 >= 2) & (n2 >= 2) & (se > 0)
        t = np.where(ok, (m2 - m1) / se, np.nan)
        df = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
        p = np.where(
            ok, 2.0 * _sp.stdtr(np.where(ok, df, 1.0), -np.abs(np.where(ok, t, 0.0))), np.nan
        )
    sig = ok & (p < alpha)
    return _out(t), _out(p), _out(sig)
