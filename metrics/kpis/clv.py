"""Predictive customer value for order-based businesses: BG/NBD (Fader, Hardie & Lee 2005) and
Gamma-Gamma (Fader & Hardie 2013) fitted by maximum likelihood with scipy (`clv_model`), and each
account's probability of being alive, expected purchases, expected order value and discounted
CLV (`clv`). METRICS.md "Predictive customer value"."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import numpy as np
import pandas as pd

from metrics import dimensions, fmt, periods
from metrics.kpis import clv_fit, run_sql
from metrics.kpis.clv_fit import (  # noqa: F401  (the models, re-exported for callers)
    bgnbd_loglik,
    expected_avg_value,
    expected_purchases,
    fit_bgnbd,
    fit_bgnbd_full,
    fit_gamma_gamma,
    gg_loglik,
    p_alive,
)
from metrics.query import Query
from metrics.spec import MetricSpec, SettingSpec, col, dtypes

TIME_UNITS = {"day": 1.0, "week": 7.0, "month": 30.4375}
HORIZON_DEFAULT = 52.0  # time units (a year of weeks)
ANNUAL_DISCOUNT_DEFAULT = 0.10  # when --discount-rate is not given: 10% a year, per unit
WARNING = col("warning", "object", "Warning", "text", None,
              "why the BG/NBD fit needs care (the no-dropout boundary, parameters outside "
              "their plausible range); null when the fit is fine")
CLV_MODEL_COLS = (
    col("r", "float64", "r", "number", None, "BG/NBD purchase-rate shape"),
    col("alpha", "float64", "α", "number", None, "BG/NBD purchase-rate scale"),
    col("a", "float64", "a", "number", None, "BG/NBD dropout parameter a"),
    col("b", "float64", "b", "number", None, "BG/NBD dropout parameter b"),
    col("loglik", "float64", "Log-likelihood", "number", None,
        "log-likelihood of the fitted BG/NBD model"),
    col("p", "float64", "p", "number", None, "Gamma-Gamma shape p"),
    col("q", "float64", "q", "number", None, "Gamma-Gamma shape q"),
    col("v", "float64", "v", "number", None, "Gamma-Gamma scale v"),
    col("customers", "int64", "Customers", "accounts", None, "accounts in the fit"),
    col("repeat_customers", "int64", "Repeat customers", "accounts", "up"),
    col("converged", "bool", "Converged", "flag", None,
        "the BG/NBD optimiser reached its tolerance"),
    WARNING,
)
CLV_MODEL_COLUMNS = dtypes(CLV_MODEL_COLS)
CLV_COLS = (
    col("account_id", "object", "Account id", "text", None),
    col("frequency", "int64", "Frequency", "number", None, "repeat purchase days"),
    col("recency", "float64", "Recency", "number", None,
        "last − first purchase day, in time units"),
    col("T", "float64", "Customer age (T)", "number", None,
        "as-of − first purchase day, in time units"),
    col("monetary", "float64", "Monetary value", "USD", None,
        "mean amount of the repeat purchase days"),
    col("p_alive", "float64", "P(alive)", "fraction", "up"),
    col("expected_purchases", "float64", "Expected purchases", "orders", "up", "over the horizon"),
    col("expected_avg_value", "float64", "Expected order value", "USD", "up",
        "Gamma-Gamma conditional mean spend"),
    col("clv", "float64", "CLV", "USD", "up"),
    WARNING,
)
CLV_COLUMNS = dtypes(CLV_COLS)


def time_unit(q: Query) -> tuple[str, float]:
    """Return the `time_unit` setting and its length in days (day 1, week 7, month 30.4375)."""
    unit = str(q.setting("time_unit", "week")).strip().lower()
    if unit not in TIME_UNITS:
        raise ValueError(f"time_unit must be one of {', '.join(TIME_UNITS)}, not {unit!r}")
    return unit, TIME_UNITS[unit]


def summary(cur, q: Query) -> pd.DataFrame:
    """Return the per-account summary as of the query's as-of: account_id, frequency, recency,
    T (in time units, not rounded) and monetary (null without repeat purchases)."""
    _unit, days = time_unit(q)
    as_of = periods.resolve_as_of(cur, q, ("orders",))
    if as_of is None:
        return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in CLV_COLUMNS.items()
                             if c in ("account_id", "frequency", "recency", "T", "monetary")})
    params = {"as_of": as_of, "as_of_end": periods.day_start(as_of + timedelta(days=1)),
              **dimensions.scope_params(cur, q),
              **dimensions.dimension_params(dimensions.NO_DIMENSION)}
    raw = run_sql(cur, "clv_summary", params)
    return pd.DataFrame({
        "account_id": raw["account_id"].astype(object),
        "frequency": raw["frequency"].astype("int64"),
        "recency": raw["recency_days"].astype("float64") / days,
        "T": raw["t_days"].astype("float64") / days,
        "monetary": pd.to_numeric(raw["monetary"], errors="coerce").astype("float64"),
    })


# --------------------------------------------------------------------------- metrics


_FITS: dict[str, dict] = {}  # summary digest -> fit: clv_model and clv share one fit


def _fit_all(s: pd.DataFrame) -> dict:
    """Return the BG/NBD and Gamma-Gamma fits of a summary (memoised on its content)."""
    if s.empty:
        return {}
    cols = s[["frequency", "recency", "T", "monetary"]].to_numpy(dtype=float)
    key = hashlib.sha256(np.ascontiguousarray(cols).tobytes()).hexdigest()
    if key not in _FITS:
        if len(_FITS) >= 16:
            _FITS.pop(next(iter(_FITS)))
        _FITS[key] = _fit_uncached(s)
    return _FITS[key]


def _fit_uncached(s: pd.DataFrame) -> dict:
    bg = fit_bgnbd_full(s["frequency"], s["recency"], s["T"])
    rep = s[(s["frequency"] > 0) & (s["monetary"] > 0)]
    gg = fit_gamma_gamma(rep["frequency"], rep["monetary"]) if len(rep) >= 3 else None
    return {"bg": bg.params, "loglik": bg.loglik, "converged": bg.converged,
            "warning": bg.warning, "gg": gg, "customers": len(s), "repeat": len(rep)}


def clv_model(cur, q: Query) -> pd.DataFrame:
    """BG/NBD and Gamma-Gamma parameters fitted on the orders as of `--as-of`.

    Summary per account (see `summary`): frequency = repeat purchase days, recency = last −
    first purchase day, T = as-of − first purchase day, in `--time-unit`s (day, week = 7 days,
    month = 30.4375 days), not rounded. BG/NBD (r, alpha, a, b) by maximum likelihood on all
    accounts; Gamma-Gamma (p, q, v) on those with frequency > 0 and monetary > 0 (null with
    fewer than 3). --grain, --by and the window are ignored.

    The fit scales times by the mean customer age and keeps the best of several starting
    points (clv_fit). When the dropout parameters add nothing to the likelihood, the model is
    its no-dropout limit: a = 0, b null (b → ∞), with a `warning`; `warning` also names
    parameters outside their plausible range. converged: the optimiser reached its tolerance.

    Columns: r, alpha, a, b, loglik, p, q, v, customers, repeat_customers, converged,
    warning.
    """
    s = summary(cur, q)
    fit = _fit_all(s)
    if not fit:
        return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in CLV_MODEL_COLUMNS.items()})
    r, alpha, a, b = fit["bg"]
    p, qq, v = fit["gg"] if fit["gg"] is not None else (np.nan,) * 3
    return pd.DataFrame([{"r": r, "alpha": alpha, "a": a, "b": b, "loglik": fit["loglik"],
                          "p": p, "q": qq, "v": v, "customers": fit["customers"],
                          "repeat_customers": fit["repeat"], "converged": fit["converged"],
                          "warning": fit["warning"]}]).astype(CLV_MODEL_COLUMNS)


# The fitted parameters as people read them: symbol, model, meaning (clv_model's columns).
PARAMETERS = (
    ("r", "r", "Purchases (BG/NBD)",
     "purchase-rate heterogeneity: shape of the gamma spread of customers' purchase rates "
     "(small r: rates differ a lot between customers)"),
    ("alpha", "α", "Purchases (BG/NBD)",
     "purchase-rate heterogeneity: scale of that spread, in time units (mean rate r ÷ α "
     "purchases a unit)"),
    ("a", "a", "Dropout (BG/NBD)",
     "dropout: with b, the beta spread of the chance a customer stops after a purchase "
     "(mean a ÷ (a + b))"),
    ("b", "b", "Dropout (BG/NBD)",
     "dropout: with a, the beta spread of the chance a customer stops after a purchase"),
    ("p", "p", "Spend (Gamma-Gamma)",
     "spend: shape of the spread of one customer's order values around their mean"),
    ("q", "q", "Spend (Gamma-Gamma)",
     "spend: shape of the spread of customers' mean order values (needs q > 1)"),
    ("v", "v", "Spend (Gamma-Gamma)",
     "spend: scale of customers' mean order values, in dollars (population mean p·v ÷ (q − 1))"),
)
PARAMETER_LABELS = {"parameter": "Parameter", "model": "Model", "value": "Value",
                    "meaning": "Meaning", "plausibility": "Plausibility"}


def _plausibility(name: str, value: float, no_drop: bool, mean_age: float | None) -> str:
    """Return a note on whether a fitted parameter is in its usual range (clv_fit.PLAUSIBLE;
    α divided by the mean customer age)."""
    if name in ("a", "b") and no_drop:
        return "no-dropout limit: b → ∞, a shown as 0 (nobody is seen to stop)"
    if not np.isfinite(value):
        return ("not fitted: fewer than 3 customers with repeat purchases" if name in "pqv"
                else "not fitted")
    if name == "q":
        return ("q > 1: the mean order value is finite" if value > 1 else
                "q ≤ 1: the mean order value is unbounded; predicted order values are unreliable")
    if name not in clv_fit.PLAUSIBLE:
        return "no usual range"
    lo, hi = clv_fit.PLAUSIBLE[name]
    seen = value / mean_age if name == "alpha" and mean_age else value
    what = "α ÷ mean customer age" if name == "alpha" else name
    if lo <= seen <= hi:
        return f"within the usual range ({what} in {lo:g}–{hi:g})"
    return (f"outside the usual range ({what} in {lo:g}–{hi:g}): few customers or repeat "
            f"purchases pin it down")


def parameters(model: pd.Series, mean_age: float | None = None) -> pd.DataFrame:
    """Return the fitted parameters of a clv_model row for people: one row per parameter (r,
    α, a, b, p, q, v) with its model, value (4 significant figures, '—' when empty), meaning
    and a plausibility note; `mean_age` (mean customer age T, in the model's unit) scales α's
    range. Columns: parameter, model, value, meaning, plausibility (all text)."""
    no_drop = clv_fit.no_dropout(float(model["a"]), float(model["b"]))
    rows = []
    for name, symbol, part, meaning in PARAMETERS:
        v = fmt.number(model[name])
        rows.append({"parameter": symbol, "model": part, "value": fmt.significant(v),
                     "meaning": meaning, "plausibility": _plausibility(
                         name, np.nan if v is None else v, no_drop, mean_age)})
    return pd.DataFrame(rows, columns=list(PARAMETER_LABELS), dtype=object)


def fit_notes(model: pd.Series) -> list[str]:
    """Return what a reader of a clv_model row must know before trusting it: its warning (the
    no-dropout boundary, implausible parameters) and a note when the optimiser did not
    converge; empty when the fit is fine."""
    notes = [str(model["warning"])] if isinstance(model["warning"], str) else []
    if not bool(model["converged"]):
        notes.append("the BG/NBD optimiser stopped before reaching its tolerance: the "
                     "parameters may not be the best fit, so read the predictions with care")
    return notes


def discount_rate(q: Query, unit_days: float) -> float:
    """Return the discount rate per time unit: `discount_rate` when set, else 10% a year
    converted to the unit."""
    value = q.setting("discount_rate")
    if value is None:
        return (1 + ANNUAL_DISCOUNT_DEFAULT) ** (unit_days / 365.25) - 1
    value = float(value)
    if value < 0:
        raise ValueError(f"discount_rate must be ≥ 0, not {value!r}")
    return value


def clv(cur, q: Query) -> pd.DataFrame:
    """Per account: the summary, P(alive), expected purchases over `--horizon` units, the
    expected order value (Gamma-Gamma conditional mean) and the discounted CLV.

    clv = Σ_{t=1..H} (E[Y(t)] − E[Y(t−1)]) × expected_avg_value ÷ (1 + discount)^t, with H =
    `horizon` units (default 52) and discount per unit (`discount_rate`; default 10% a year
    converted to the unit). Sorted by clv, largest first. `warning`: clv_model's, on every
    row (at the no-dropout boundary P(alive) = 1 and expected purchases are the NBD limit's).

    Columns: account_id, frequency, recency, T, monetary, p_alive, expected_purchases,
    expected_avg_value, clv, warning.
    """
    _unit, days = time_unit(q)
    horizon = int(round(float(q.setting("horizon", HORIZON_DEFAULT))))
    if horizon < 1:
        raise ValueError("horizon must be at least 1 time unit")
    rate = discount_rate(q, days)
    s = summary(cur, q)
    fit = _fit_all(s)
    if not fit:
        return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in CLV_COLUMNS.items()})
    bg = fit["bg"]
    x, tx, T, m = (s[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T",
                                                          "monetary"))
    # Every prediction is a function of a customer's summary alone: computed once per distinct
    # summary (large demo: 6,023 of 15,410 customers; the horizon sum evaluates a
    # hypergeometric function 52 times a customer), then spread back; the same values exactly.
    key = np.column_stack([x, tx, T, np.isnan(m), np.nan_to_num(m, nan=0.0)])
    _, first, back = np.unique(key, axis=0, return_index=True, return_inverse=True)
    back = back.reshape(-1)
    x, tx, T, m = x[first], tx[first], T[first], m[first]
    out = s.copy()
    out["p_alive"] = p_alive(bg, x, tx, T)[back]
    out["expected_purchases"] = expected_purchases(bg, float(horizon), x, tx, T)[back]
    if fit["gg"] is None:
        out["expected_avg_value"] = np.nan
        out["clv"] = np.nan
    else:
        value = expected_avg_value(fit["gg"], x, m)
        out["expected_avg_value"] = value[back]
        total = np.zeros(len(x))
        prev = np.zeros(len(x))
        for t in range(1, horizon + 1):
            cum = expected_purchases(bg, float(t), x, tx, T)
            total += (cum - prev) * value / (1 + rate) ** t
            prev = cum
        out["clv"] = total[back]
    out["warning"] = fit["warning"]
    out = out.sort_values("clv", ascending=False, na_position="last")
    return out[list(CLV_COLUMNS)].astype(CLV_COLUMNS).reset_index(drop=True)


LIFESPAN_YEARS_DEFAULT = 3.0
CLV_SIMPLE_COLS = (
    col("customers", "int64", "Ordering customers", "accounts", "up"),
    col("orders", "int64", "Orders", "orders", "up"),
    col("revenue", "float64", "Revenue", "USD", "up"),
    col("avg_order_value", "float64", "Average order value", "USD", "up"),
    col("orders_per_customer_year", "float64", "Orders per customer-year", "number", "up"),
    col("lifespan_years", "float64", "Lifespan (years)", "number", None,
        "expected lifespan in years (a setting)"),
    col("clv", "float64", "CLV", "USD", "up"),
)
CLV_SIMPLE_COLUMNS = dtypes(CLV_SIMPLE_COLS)


def clv_simple(cur, q: Query) -> pd.DataFrame:
    """The classic order-based CLV per group over the window (METRICS.md "ltv", order form).

    avg_order_value = revenue / orders; orders_per_customer_year = orders / ordering customers
    / (window days up to as-of / 365.25); clv = avg_order_value × orders_per_customer_year ×
    `lifespan_years` (default 3). One row per `--by` group (one row without it); --grain is
    ignored.

    Columns: [by], customers, orders, revenue, avg_order_value, orders_per_customer_year,
    lifespan_years, clv.
    """
    from metrics.kpis import prepare_window

    years = float(q.setting("lifespan_years", LIFESPAN_YEARS_DEFAULT))
    if years <= 0:
        raise ValueError(f"lifespan_years must be > 0, not {years!r}")
    dim, win = prepare_window(cur, q, "clv_simple", ("orders",), None)
    lead = [dim.name] if dim.active else []
    if win is None:
        return pd.DataFrame({c: pd.Series([], dtype=CLV_SIMPLE_COLUMNS.get(c, "object"))
                             for c in lead + list(CLV_SIMPLE_COLUMNS)})
    raw = run_sql(cur, "clv_simple", win.params)
    out = pd.DataFrame()
    if dim.active:
        out[dim.name] = raw["grp"].astype(object).where(raw["grp"].notna(), None)
    days = (win.params["cur_end"] - win.start).days
    out["customers"] = raw["customers"].astype("int64")
    out["orders"] = raw["orders"].astype("int64")
    out["revenue"] = raw["revenue"].astype("float64")
    out["avg_order_value"] = out["revenue"] / out["orders"].where(out["orders"] > 0)
    per_year = days / 365.25 if days > 0 else np.nan
    out["orders_per_customer_year"] = (out["orders"] / out["customers"].where(
        out["customers"] > 0) / per_year).astype("float64")
    out["lifespan_years"] = years
    out["clv"] = (out["avg_order_value"] * out["orders_per_customer_year"] * years).astype(
        "float64")
    return out.reset_index(drop=True)


# The metrics of this module, described once (metrics.spec); the registry collects them.
SPECS = (
    MetricSpec(
        name="clv_model",
        label="Customer value model",
        definition=(
            "BG/NBD purchase and Gamma-Gamma spend models fitted by maximum likelihood on the "
            "orders as of a date."
        ),
        formula=(
            "per account: frequency = repeat purchase days, recency = last − first purchase day, T "
            "= as-of − first purchase day (in time units); BG/NBD (r, α, a, b) and Gamma-Gamma (p, "
            "q, v on frequency > 0) maximise the log-likelihood (scipy)"
        ),
        fn=clv_model,
        cols=CLV_MODEL_COLS,
        headline="loglik",
        query="clv_summary",
        denominator="customers",
        setting_specs=(
            SettingSpec("time_unit", "choice", "week",
                        "time unit of the model (1, 7 or 30.4375 days)", ("day", "week", "month")),
        ),
        periods=False,
    ),
    MetricSpec(
        name="clv",
        label="Predicted customer value",
        definition=(
            "Per account: probability of being alive, expected purchases and order value over the "
            "horizon, and the discounted customer lifetime value."
        ),
        formula=(
            "clv = Σ_{t=1..H} (E[Y(t)] − E[Y(t−1)]) × E[M | x, m] ÷ (1 + d)^t; P(alive) "
            "and E[Y(t)] "
            "from BG/NBD, E[M] = p(v + x·m) ÷ (p·x + q − 1) from Gamma-Gamma"
        ),
        fn=clv,
        cols=CLV_COLS,
        headline="clv",
        query="clv_summary",
        setting_specs=(
            SettingSpec("time_unit", "choice", "week",
                        "time unit of the model (1, 7 or 30.4375 days)", ("day", "week", "month")),
            SettingSpec("horizon", "float", 52.0,
                        "horizon in time units"),
            SettingSpec("discount_rate", "float", None,
                        "discount rate per time unit (none: no discount)"),
        ),
        periods=False,
    ),
    MetricSpec(
        name="clv_simple",
        label="Simple CLV (orders)",
        definition=(
            "Classic order-based customer lifetime value per group: average order value times "
            "orders per customer per year times the expected lifespan."
        ),
        formula=(
            "clv = (revenue ÷ orders) × (orders ÷ ordering customers ÷ window years) × "
            "lifespan_years (default 3); window up to as-of"
        ),
        fn=clv_simple,
        cols=CLV_SIMPLE_COLS,
        headline="clv",
        query="clv_simple",
        denominator="customers",
        setting_specs=(
            SettingSpec("lifespan_years", "float", 3.0,
                        "expected customer lifespan in years"),
        ),
        periods=False,
    ),
)
