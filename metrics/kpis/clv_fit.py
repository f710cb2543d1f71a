"""The models behind predictive customer value: BG/NBD (Fader, Hardie & Lee 2005) and
Gamma-Gamma (Fader & Hardie 2013) likelihoods, their maximum-likelihood fits, and the
conditional predictions (P(alive), expected purchases, expected order value).

The BG/NBD fit works on times divided by the mean customer age, so that its parameters are of
order 1 whatever the time unit; it minimises in log-parameters within bounds (L-BFGS-B) from
several starting points, polishes the best, and maps α back to the unit. It also fits the
no-dropout limit of the model (the NBD: a/(a+b) → 0, every customer alive) and reports that
limit when the dropout parameters add nothing to the likelihood, with a warning, instead of the
huge a and b an optimiser runs off to (METRICS.md "Predictive customer value").

The likelihoods are summed over distinct customer summaries weighted by their counts, and the
BG/NBD and Gamma-Gamma fits use their analytic gradients (checked against finite differences
in the tests)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

LOG_BOUND = float(np.log(1e6))  # scaled parameters stay within [1e-6, 1e6]
NO_DROPOUT_GAIN = 1e-4  # log-likelihood the dropout parameters must add over the NBD limit
# Plausible ranges of the fitted parameters (α divided by the mean customer age): outside them
# the data barely pin the parameter down and predictions lean on an extreme model.
PLAUSIBLE = {"r": (1e-3, 1e3), "alpha": (1e-4, 1e4), "a": (1e-3, 1e4), "b": (1e-3, 1e4)}
_QUAD_U, _QUAD_W = np.polynomial.legendre.leggauss(64)


@dataclass(frozen=True)
class BGFit:
    """A BG/NBD fit: params (r, α, a, b) in the data's time unit (a = 0 and b = nan for the
    no-dropout limit), the total log-likelihood, whether the optimiser converged, and a warning
    (None when the fit is fine)."""

    params: tuple[float, float, float, float]
    loglik: float
    converged: bool
    warning: str | None


def no_dropout(a: float, b: float) -> bool:
    """Return True when (a, b) stand for the no-dropout limit (a = 0 or b not finite)."""
    return a == 0 or not np.isfinite(b)


# ------------------------------------------------------------------------ likelihoods


def bgnbd_loglik(params, x, t_x, T) -> np.ndarray:
    """Return each customer's BG/NBD log-likelihood (Fader, Hardie & Lee 2005, eq. 6); the
    no-dropout limit (a = 0 or b = ∞) gives the NBD's."""
    r, alpha, a, b = params
    x = np.asarray(x, dtype=float)
    A1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    A3 = -(r + x) * np.log(alpha + T)
    if no_dropout(a, b):
        return A1 + A3
    A2 = special.betaln(a, b + x) - special.betaln(a, b)
    with np.errstate(divide="ignore", invalid="ignore"):
        A4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300))
                      - (r + x) * np.log(alpha + t_x), -np.inf)
    return A1 + A2 + np.logaddexp(A3, A4)


def bgnbd_grad(params, x, t_x, T, w) -> np.ndarray:
    """Return the gradient of the count-weighted total BG/NBD log-likelihood (w · `bgnbd_loglik`)
    with respect to (r, α, a, b), with a > 0 and b finite (the fits' own parameters)."""
    r, alpha, a, b = params
    A3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        A4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300))
                      - (r + x) * np.log(alpha + t_x), -np.inf)
    top = np.logaddexp(A3, A4)
    s3, s4 = np.exp(A3 - top), np.exp(A4 - top)  # the shares of the two terms (s4 = 0 at x = 0)
    dig_ab, dig_abx = special.digamma(a + b), special.digamma(a + b + x)
    d_r = (special.digamma(r + x) - special.digamma(r) + np.log(alpha)
           - s3 * np.log(alpha + T) - s4 * np.log(alpha + t_x))
    d_alpha = r / alpha - s3 * (r + x) / (alpha + T) - s4 * (r + x) / (alpha + t_x)
    d_a = dig_ab - dig_abx + s4 / a
    with np.errstate(divide="ignore", invalid="ignore"):
        d_b = (special.digamma(b + x) - special.digamma(b) + dig_ab - dig_abx
               - np.where(x > 0, s4 / np.maximum(b + x - 1, 1e-300), 0.0))
    return np.array([np.sum(w * d) for d in (d_r, d_alpha, d_a, d_b)])


def gg_loglik(params, x, m) -> np.ndarray:
    """Return each customer's Gamma-Gamma log-likelihood of mean spend m over x repeats
    (Fader & Hardie 2013)."""
    p, q, v = params
    x = np.asarray(x, dtype=float)
    m = np.asarray(m, dtype=float)
    return (special.gammaln(p * x + q) - special.gammaln(p * x) - special.gammaln(q)
            + q * np.log(v) + (p * x - 1) * np.log(m) + p * x * np.log(x)
            - (p * x + q) * np.log(v + m * x))


def gg_grad(params, x, m, w) -> np.ndarray:
    """Return the gradient of the count-weighted total Gamma-Gamma log-likelihood
    (w · `gg_loglik`) with respect to (p, q, v)."""
    p, q, v = params
    dig = special.digamma(p * x + q)
    d_p = x * (dig - special.digamma(p * x) + np.log(m) + np.log(x) - np.log(v + m * x))
    d_q = dig - special.digamma(q) + np.log(v) - np.log(v + m * x)
    d_v = q / v - (p * x + q) / (v + m * x)
    return np.array([np.sum(w * d) for d in (d_p, d_q, d_v)])


# ---------------------------------------------------------------------------- fitting


def _minimise(negll, starts, grad=None) -> tuple[np.ndarray, float, bool]:
    """Minimise negll over log-parameters within ±LOG_BOUND: L-BFGS-B from every start, then a
    Nelder-Mead and a tight L-BFGS-B polish of the best (with a gradient: the polish first,
    the rest only when it did not end stationary). Return the best log-parameters, the best
    value and whether it is stationary (`_stationary`).

    `grad(p)`, when given, is the gradient of negll in the parameters: the L-BFGS-B runs use
    it instead of finite differences (a fifth of the likelihood evaluations)."""
    from scipy import optimize  # imported when a model is fitted: slow to import (~1 s)

    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(starts[0])

    def f(z):
        v = negll(np.exp(np.clip(z, -LOG_BOUND, LOG_BOUND)))
        return v if np.isfinite(v) else 1e300

    def f_and_grad(z):
        p = np.exp(np.clip(z, -LOG_BOUND, LOG_BOUND))
        v = negll(p)
        if not np.isfinite(v):
            return 1e300, np.zeros_like(z)
        g = np.asarray(grad(p), dtype=float) * p  # d/dz = p · d/dp, z = log p
        return v, np.where(np.isfinite(g), g, 0.0)

    fun, jac = (f_and_grad, True) if grad is not None else (f, None)
    best = None
    for z0 in starts:
        res = optimize.minimize(fun, np.clip(z0, -LOG_BOUND, LOG_BOUND), method="L-BFGS-B",
                                jac=jac, bounds=bounds)
        if best is None or res.fun < best.fun:
            best = res
    assert best is not None
    z = best.x

    def polish(z):
        res = optimize.minimize(fun, z, method="L-BFGS-B", jac=jac, bounds=bounds,
                                options={"ftol": 1e-15, "gtol": 1e-9, "maxiter": 2000})
        return res.x if res.fun < f(z) else z

    # With the exact gradient, a tight polish of the best start usually reaches a stationary
    # point: then Nelder-Mead (a third of the BG/NBD fit's time on the large demo) is not
    # needed. Without a gradient, or when the polish stops on a slope, the simplex gets the
    # best start off a flat or kinked stretch, then the polish runs again.
    if grad is not None:
        z = polish(z)
        if _stationary(f, z):
            return z, float(f(z)), True
    nm = optimize.minimize(f, z, method="Nelder-Mead",
                           options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 4000,
                                    "maxfev": 8000})
    if nm.fun < f(z):
        z = np.clip(nm.x, -LOG_BOUND, LOG_BOUND)
    z = polish(z)
    return z, float(f(z)), _stationary(f, z)


def _stationary(f, z, step: float = 1e-5, tol: float = 1e-3) -> bool:
    """Return True when the projected gradient of f at z (central differences, in
    log-parameters) is below tol in every coordinate: the optimiser found a (bounded)
    optimum rather than stopping on a slope. A coordinate at a bound may slope outward."""
    for i in range(len(z)):
        hi, lo = z.copy(), z.copy()
        hi[i] += step
        lo[i] -= step
        g = (f(hi) - f(lo)) / (2 * step)
        if z[i] >= LOG_BOUND - 0.01 and g <= 0 or z[i] <= -LOG_BOUND + 0.01 and g >= 0:
            continue
        if abs(g) > tol:
            return False
    return True


def _at_bound(z) -> np.ndarray:
    return np.abs(np.asarray(z)) > LOG_BOUND - 0.01


def distinct_rows(*columns) -> tuple[list[np.ndarray], np.ndarray]:
    """Return the distinct rows of the equal-length `columns` (as float arrays, one per
    column) and how many times each occurs.

    A likelihood summed over customers is the count-weighted sum over their distinct
    (x, t_x, T) or (x, m): customers who bought alike share a row. The fits evaluate the
    likelihood a thousand times or more; on the large demo 15,410 order customers have 6,023
    distinct summaries."""
    data = np.column_stack([np.asarray(c, dtype=float) for c in columns])
    rows, counts = np.unique(data, axis=0, return_counts=True)
    return [rows[:, i] for i in range(rows.shape[1])], counts.astype(float)


def fit_nbd(x, t_x, T) -> tuple[tuple[float, float], float, bool]:
    """Return the maximum-likelihood (r, α) of the no-dropout limit (NBD), its total
    log-likelihood and whether the optimiser converged, in the times' own unit."""
    (x, t_x, T), w = distinct_rows(x, t_x, T)
    return _fit_nbd(x, t_x, T, w)


def _fit_nbd(x, t_x, T, w) -> tuple[tuple[float, float], float, bool]:
    scale = _mean_age(T, w)
    Ts = T / scale
    negll = lambda p: -np.sum(w * bgnbd_loglik((p[0], p[1], 0.0, np.inf), x, 0, Ts))  # noqa: E731
    z, _val, ok = _minimise(negll, [np.zeros(2), np.log([0.5, 2.0]), np.log([3.0, 0.3])])
    r, alpha = float(np.exp(z[0])), float(np.exp(z[1]) * scale)
    return (r, alpha), float(np.sum(w * bgnbd_loglik((r, alpha, 0.0, np.inf), x, t_x, T))), ok


def _mean_age(T, w) -> float:
    """Return the customers' mean age (the fits' time scale; 1 when it is not positive)."""
    mean = float(np.sum(w * T) / np.sum(w))
    return mean if mean > 0 else 1.0


def fit_bgnbd_full(x, t_x, T) -> BGFit:
    """Return the BG/NBD maximum-likelihood fit with its convergence and warning: the
    no-dropout limit (a = 0, b = nan) when the dropout parameters add less than
    NO_DROPOUT_GAIN to the log-likelihood or run to the bound that way; a note when a
    parameter is outside PLAUSIBLE."""
    (x, t_x, T), w = distinct_rows(x, t_x, T)
    scale = _mean_age(T, w)
    txs, Ts = t_x / scale, T / scale
    (r0, alpha0), ll_nbd, ok_nbd = _fit_nbd(x, t_x, T, w)
    lr, la = np.log(r0), np.log(alpha0 / scale)
    starts = [np.zeros(4)] + [np.array([lr, la, np.log(a), np.log(b)])
                              for a, b in ((1.0, 1.0), (0.5, 3.0), (0.1, 1.0), (2.0, 20.0),
                                           (0.05, 0.5))]
    negll = lambda p: -np.sum(w * bgnbd_loglik(p, x, txs, Ts))  # noqa: E731
    z, _val, ok = _minimise(negll, starts, grad=lambda p: -bgnbd_grad(p, x, txs, Ts, w))
    r, alpha_s, a, b = (float(v) for v in np.exp(z))
    params = (r, alpha_s * scale, a, b)
    ll = float(np.sum(w * bgnbd_loglik(params, x, t_x, T)))
    edge = _at_bound(z)
    toward_limit = (edge[3] and z[3] > 0) or (edge[2] and z[2] < 0)
    if ll - ll_nbd < NO_DROPOUT_GAIN or (toward_limit and a / (a + b) < 1e-4):
        warning = ("the best fit is the no-dropout boundary (b → ∞, a/(a+b) → 0: the data show "
                   "no customer stopping); shown as a = 0, b empty; P(alive) = 1 and expected "
                   "purchases are the NBD limit's (r + x)/(α + T)·t")
        limit = (r0, alpha0, 0.0, float("nan"))
        return BGFit(limit, ll_nbd, ok_nbd, _with_plausibility(warning, limit, scale))
    note = None
    if edge[2] and edge[3]:
        note = (f"a and b ran to the bound {np.exp(LOG_BOUND):.0e} (every customer has "
                f"nearly the same dropout probability a/(a+b) = {a / (a + b):.3g})")
    return BGFit(params, ll, ok, _with_plausibility(note, params, scale))


def _with_plausibility(warning: str | None, params, scale: float) -> str | None:
    """Return the warning extended by the parameters outside PLAUSIBLE (α ÷ mean age)."""
    names = ("r", "alpha", "a", "b")
    values = dict(zip(names, params, strict=True))
    values["alpha"] = values["alpha"] / scale
    odd = [n for n in names if np.isfinite(values[n]) and not (n == "a" and values[n] == 0)
           and not PLAUSIBLE[n][0] <= values[n] <= PLAUSIBLE[n][1]]
    if not odd:
        return warning
    note = ("implausible fit: " + ", ".join(f"{n} = {p:.3g}" for n, p in zip(
        names, params, strict=True) if n in odd)
        + " outside the usual range (few customers or repeat purchases to fit)")
    return note if warning is None else f"{warning}; {note}"


def fit_bgnbd(x, t_x, T) -> tuple[np.ndarray, float]:
    """Return the maximum-likelihood (r, alpha, a, b) and the total log-likelihood (see
    fit_bgnbd_full for the warning and convergence)."""
    fit = fit_bgnbd_full(x, t_x, T)
    return np.array(fit.params), fit.loglik


def fit_gamma_gamma(x, m) -> np.ndarray:
    """Return the maximum-likelihood (p, q, v) on customers with x > 0 and m > 0 (spend
    divided by its mean while fitting, v mapped back)."""
    (x, m), w = distinct_rows(x, m)
    mean = float(np.sum(w * m) / np.sum(w))
    scale = mean if mean > 0 else 1.0
    ms = m / scale
    negll = lambda par: -np.sum(w * gg_loglik(par, x, ms))  # noqa: E731
    z, _val, _ok = _minimise(negll, [np.zeros(3), np.log([5.0, 3.0, 2.0]),
                                     np.log([1.0, 10.0, 10.0])],
                             grad=lambda par: -gg_grad(par, x, ms, w))
    p, q, v = np.exp(z)
    return np.array([p, q, v * scale])


# ------------------------------------------------------------------------ predictions


def p_alive(params, x, t_x, T) -> np.ndarray:
    """Return P(alive | x, t_x, T) under BG/NBD (1 for customers without repeat purchases,
    and for everyone in the no-dropout limit)."""
    r, alpha, a, b = params
    x = np.asarray(x, dtype=float)
    if no_dropout(a, b):
        return np.ones_like(x)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = np.where(x > 0, a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x), 0.0)
    return 1.0 / (1.0 + ratio)


def expected_purchases(params, t, x, t_x, T) -> np.ndarray:
    """Return E[Y(t) | x, t_x, T]: expected purchases in the next t units (BG/NBD eq. 10).

    The closed form cancels badly for large a + b and is singular at a = 1; there (and for
    any customer whose closed form falls outside [0, the no-dropout value]) it is computed as
    P(alive) × E[(1 − (1 + p·t/(α + T))^−(r+x)) / p] over p ~ Beta(a, b + x), by 64-point
    Gauss-Legendre quadrature over the Beta quantiles. The no-dropout limit is
    (r + x)/(α + T)·t."""
    r, alpha, a, b = params
    x = np.asarray(x, dtype=float)
    shape = np.broadcast(x, t_x, T).shape
    x, t_x, T = (np.broadcast_to(np.asarray(v, dtype=float), shape) for v in (x, t_x, T))
    if np.isscalar(t) and t == 0:
        return np.zeros(shape)
    limit = (r + x) / (alpha + T) * t
    if no_dropout(a, b):
        return limit
    alive = p_alive(params, x, t_x, T)
    out = np.full(shape, np.nan)
    if a + b < 1e4 and abs(a - 1) > 1e-4:
        z = t / (alpha + T + t)
        with np.errstate(all="ignore"):
            hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, z)
            num = (a + b + x - 1) / (a - 1) * (
                1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp)
            out = num / (1 + np.where(x > 0, a / (b + x - 1) * (
                (alpha + T) / (alpha + t_x)) ** (r + x), 0.0))
    bad = ~(np.isfinite(out) & (out >= 0) & (out <= alive * limit * (1 + 1e-9)))
    if bad.any():
        out = np.where(bad, alive * _mean_over_dropout(r, alpha, a, b, t, x, T), out)
    return out


def _mean_over_dropout(r, alpha, a, b, t, x, T) -> np.ndarray:
    """Return E[(1 − (1 + p·t/(α + T))^−(r+x)) / p] over p ~ Beta(a, b + x) per customer."""
    u = (_QUAD_U + 1) / 2
    # the Beta quantiles depend on x alone, and customers share few repeat counts: computed
    # once per distinct x (betaincinv per customer and point took 2 s per call on 50,000
    # accounts, and the CLV sums 52 calls), then spread back; the same values exactly
    xs, back = np.unique(np.asarray(x, dtype=float), return_inverse=True)
    p = special.betaincinv(a, (b + xs)[:, None], u)[back.reshape(np.shape(x))]
    zt = (t / (alpha + T))[..., None]
    s = (r + x)[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(p * zt > 1e-12, -np.expm1(-s * np.log1p(p * zt)) / p, s * zt)
    return (g * (_QUAD_W / 2)).sum(axis=-1)


def expected_avg_value(params, x, m) -> np.ndarray:
    """Return E[M | x, m]: the Gamma-Gamma conditional expected order value (the population
    mean p·v/(q − 1) for customers without repeat purchases)."""
    p, q, v = params
    x = np.asarray(x, dtype=float)
    m = np.nan_to_num(np.asarray(m, dtype=float))
    return (p * (v + x * m)) / (p * x + q - 1)
