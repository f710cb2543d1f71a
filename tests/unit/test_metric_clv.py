"""clv_model and clv: BG/NBD and Gamma-Gamma fitted on the CDNOW sample against the published
parameters (Fader, Hardie & Lee 2005; Fader & Hardie 2013), and the per-account summary on
hand-built orders (METRICS.md "Predictive customer value")."""

from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metrics import registry
from metrics.kpis import clv, clv_fit
from metrics.query import Query

CDNOW = Path(__file__).resolve().parents[1] / "fixtures" / "cdnow" / "CDNOW_sample.txt"
AS_OF = Query(as_of=date(1997, 9, 30)).with_setting("time_unit", "week")


@pytest.fixture
def cdnow(store):
    """The CDNOW sample (2,357 customers, 6,919 purchases) as orders."""
    df = pd.read_csv(CDNOW, sep=r"\s+", header=None, dtype={"date": str},
                     names=["master", "customer", "date", "cds", "amount"])
    rows = pd.DataFrame({
        "order_id": [str(i) for i in range(len(df))],
        "account_id": df["customer"].astype(str),
        "ordered_at": pd.to_datetime(df["date"], format="%Y%m%d"),
        "amount": df["amount"],
    })
    cur = store.cursor()
    cur.register("cdnow_src", rows)
    cur.execute("INSERT INTO orders (order_id, account_id, ordered_at, amount) "
                "SELECT order_id, account_id, ordered_at, amount FROM cdnow_src")
    cur.unregister("cdnow_src")
    return store


def test_cdnow_summary_as_of_1997_09_30_in_weeks(cdnow):
    s = clv.summary(cdnow.cursor(), AS_OF)
    assert len(s) == 2357
    assert (s.frequency > 0).sum() == 946
    assert s["T"].max() == pytest.approx(272 / 7)  # first purchase 1997-01-01: 38.86 weeks


def test_bgnbd_and_gamma_gamma_reproduce_the_published_cdnow_parameters(cdnow):
    row = registry.compute(cdnow.cursor(), "clv_model", AS_OF).iloc[0]
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426,
                 "p": 6.25, "q": 3.74, "v": 15.44}
    for name, value in published.items():
        assert row[name] == pytest.approx(value, rel=0.005), name
    assert row.loglik == pytest.approx(-9582.4, abs=0.1)  # Fader, Hardie & Lee (2005)
    assert (row.customers, row.repeat_customers) == (2357, 946)


def test_conditional_expectation_matches_the_papers_worked_example():
    # BG/NBD paper: x = 2, t_x = 30.43, T = 38.86 -> 1.226 purchases in the next 39 weeks
    params = (0.243, 4.414, 0.793, 2.426)
    value = clv.expected_purchases(params, 39.0, np.array([2.0]), 30.43, 38.86)[0]
    assert value == pytest.approx(1.226, abs=0.002)
    assert clv.p_alive(params, np.array([0.0]), 0.0, 10.0)[0] == 1.0


def test_clv_per_account_is_the_discounted_sum_of_expected_purchases_times_value(cdnow):
    q = AS_OF.with_setting("horizon", 2).with_setting("discount_rate", 0.1)
    df = clv.clv(cdnow.cursor(), q)
    assert list(df.columns) == list(clv.CLV_COLUMNS)
    assert df.clv.is_monotonic_decreasing
    r = df.iloc[0]
    model = clv.clv_model(cdnow.cursor(), AS_OF).iloc[0]
    bg = (model.r, model.alpha, model.a, model.b)
    x = np.array([float(r.frequency)])
    e1 = clv.expected_purchases(bg, 1.0, x, r.recency, r["T"])[0]
    e2 = clv.expected_purchases(bg, 2.0, x, r.recency, r["T"])[0]
    assert r.expected_purchases == pytest.approx(e2)
    assert r.clv == pytest.approx(r.expected_avg_value * (e1 / 1.1 + (e2 - e1) / 1.1**2),
                                  rel=1e-3)


def test_summary_sums_one_days_amounts_counts_the_as_of_day_and_ignores_later_orders(
        store, insert):
    insert("orders", [
        {"order_id": "1", "account_id": "a", "ordered_at": datetime(2024, 1, 1, 9), "amount": 10},
        {"order_id": "2", "account_id": "a", "ordered_at": datetime(2024, 1, 1, 17), "amount": 5},
        # identical rows (no id) are two orders: 20 + 20 on 2024-01-08
        {"account_id": "a", "ordered_at": datetime(2024, 1, 8), "amount": 20},
        {"account_id": "a", "ordered_at": datetime(2024, 1, 8), "amount": 20},
        {"order_id": "r", "account_id": "a", "ordered_at": datetime(2024, 1, 8, 12),
         "amount": -10},  # a refund nets into its day
        {"order_id": "5", "account_id": "a", "ordered_at": datetime(2024, 1, 15, 23, 59),
         "amount": 60},  # on the as-of day: counts
        {"order_id": "6", "account_id": "a", "ordered_at": datetime(2024, 1, 16), "amount": 99},
        {"order_id": "7", "account_id": "b", "ordered_at": datetime(2024, 1, 14), "amount": 7},
        {"order_id": "8", "account_id": "c", "ordered_at": datetime(2024, 1, 20), "amount": 7},
    ])
    s = clv.summary(store.cursor(), Query(as_of=date(2024, 1, 15)).with_setting(
        "time_unit", "day")).set_index("account_id")
    assert list(s.index) == ["a", "b"]  # c's first order is after as-of
    assert s.loc["a"].tolist() == [2, 14.0, 14.0, 45.0]  # monetary = (30 + 60) / 2
    assert s.loc["b", "frequency"] == 0 and s.loc["b", "T"] == 1.0
    assert np.isnan(s.loc["b", "monetary"])
    weeks = clv.summary(store.cursor(), Query(as_of=date(2024, 1, 15)))
    assert weeks.set_index("account_id").loc["a", "T"] == 2.0  # week is the default unit


def test_settings_are_checked_and_an_empty_database_gives_empty_frames(store):
    with pytest.raises(ValueError, match="time_unit"):
        clv.summary(store.cursor(), Query().with_setting("time_unit", "year"))
    assert clv.clv_model(store.cursor(), Query()).empty
    assert clv.clv(store.cursor(), Query()).empty


def test_simple_clv_is_order_value_times_yearly_orders_times_lifespan(store, insert):
    insert("accounts", [{"account_id": a, "segment": s, "signup_date": date(2023, 1, 1)}
                        for a, s in [("a", "SMB"), ("b", "SMB"), ("c", "Ent")]])
    insert("orders", [
        {"order_id": "1", "account_id": "a", "ordered_at": datetime(2024, 2, 1), "amount": 10},
        {"order_id": "2", "account_id": "a", "ordered_at": datetime(2024, 5, 1), "amount": 30},
        {"order_id": "3", "account_id": "b", "ordered_at": datetime(2024, 6, 1), "amount": 20},
        {"order_id": "4", "account_id": "c", "ordered_at": datetime(2024, 6, 1), "amount": 90},
    ])
    # a window of 366 days (2024 is a leap year): ≈ one year
    q = Query(start=date(2024, 1, 1), end=date(2025, 1, 1), as_of=date(2024, 12, 31),
              by="segment")
    df = registry.compute(store.cursor(), "clv_simple", q).set_index("segment")
    smb = df.loc["SMB"]
    assert (smb.customers, smb.orders, smb.avg_order_value) == (2, 3, 20.0)
    assert smb.orders_per_customer_year == pytest.approx(1.5 * 365.25 / 366)
    assert smb.clv == pytest.approx(20 * 1.5 * 365.25 / 366 * 3)
    two = registry.compute(store.cursor(), "clv_simple",
                           q.with_setting("lifespan_years", 2)).set_index("segment")
    assert two.loc["Ent", "clv"] == pytest.approx(90 * 365.25 / 366 * 2)


# ------------------------------------------------- robust fits (issue 11, item 9)


@pytest.mark.parametrize("unit", ["day", "week", "month"])
def test_cdnow_reaches_the_published_optimum_in_days_weeks_and_months(cdnow, unit):
    # the same model in another unit: r, a, b unchanged, alpha scales with the unit, and the
    # log-likelihood moves by the constant Σx·log(unit length) (each repeat purchase time is a
    # density in the unit)
    days = clv.TIME_UNITS[unit]
    q = AS_OF.with_setting("time_unit", unit)
    row = registry.compute(cdnow.cursor(), "clv_model", q).iloc[0]
    for name, value in {"r": 0.243, "a": 0.793, "b": 2.426}.items():
        assert row[name] == pytest.approx(value, rel=0.005), name
    assert row.alpha == pytest.approx(4.414 * 7 / days, rel=0.005)
    repeats = clv.summary(cdnow.cursor(), q)["frequency"].sum()
    assert repeats == 2457
    assert row.loglik == pytest.approx(-9582.4 + repeats * np.log(days / 7), abs=0.1)
    assert bool(row.converged) and row.warning is None


def _steady_orders(n: int = 60, seed: int = 7) -> tuple[list[dict], date]:
    """Orders of customers who keep buying at their own steady Poisson pace, each with a
    purchase on the as-of day: nobody is seen to stop (the no-dropout boundary)."""
    rng = np.random.default_rng(seed)
    as_of = date(2025, 6, 30)
    rows = []
    for i in range(n):
        age = int(rng.integers(60, 360))
        gap = float(rng.choice([3, 7, 10, 14]))
        days = {int(round(d)) for d in np.cumsum(rng.exponential(gap, 200)) if d < age}
        for d in sorted(days | {0, age}):
            rows.append({"order_id": f"{i}-{d}", "account_id": f"c{i:02d}", "amount": 20.0 + i,
                         "ordered_at": datetime.combine(as_of, datetime.min.time())
                         - pd.Timedelta(days=age - d)})
    return rows, as_of


def test_a_no_dropout_optimum_gives_the_nbd_limit_with_a_warning_not_absurd_numbers(
        store, insert):
    rows, as_of = _steady_orders()
    insert("orders", rows)
    q = Query(as_of=as_of).with_setting("time_unit", "week").with_setting("horizon", 52)
    m = registry.compute(store.cursor(), "clv_model", q).iloc[0]
    assert "no-dropout boundary" in m.warning
    assert m.a == 0 and np.isnan(m.b) and bool(m.converged)
    assert 0.01 < m.r < 100 and 0.01 < m.alpha < 1000
    df = registry.compute(store.cursor(), "clv", q)
    assert (df.warning == m.warning).all()
    assert (df.p_alive == 1).all()
    limit = (m.r + df.frequency) / (m.alpha + df["T"]) * 52
    assert np.isfinite(df.expected_purchases).all() and np.isfinite(df.clv).all()
    assert np.allclose(df.expected_purchases, limit, rtol=0.01)
    # the fit a plain optimiser stops at on such data (b huge, a/b tiny) predicts the same
    # finite numbers: the closed form's cancellation is avoided
    x, tx, T = (df[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    near = clv.expected_purchases((m.r, m.alpha, 0.5, 1e12), 52.0, x, tx, T)
    assert np.allclose(near, limit, rtol=0.01)
    assert np.allclose(clv.expected_purchases((m.r, m.alpha, 1.0, 3.0), 52.0, x, tx, T),
                       clv.expected_purchases((m.r, m.alpha, 1.0001, 3.0), 52.0, x, tx, T),
                       rtol=1e-3)  # a = 1, where the closed form divides by a − 1


def test_the_small_demo_gives_a_plausible_fit_or_a_warning(store):
    from metrics import demo

    demo.generate(store, size="small", end=date(2026, 6, 30))
    for unit in ("day", "week", "month"):
        q = Query(as_of=date(2026, 6, 30)).with_setting("time_unit", unit)
        m = registry.compute(store.cursor(), "clv_model", q).iloc[0]
        if m.warning is None:
            assert bool(m.converged)
            for name in ("r", "a", "b"):
                lo, hi = clv_fit.PLAUSIBLE[name]
                assert lo <= m[name] <= hi, (unit, name)
        assert not ((m.a > 1e6 or m.b > 1e6) and m.warning is None)
        df = registry.compute(store.cursor(), "clv", q)
        assert np.isfinite(df.expected_purchases).all() and (df.p_alive <= 1).all()


def test_csm_metric_prints_the_fits_warning_once_on_stderr(tmp_path):
    import json
    import subprocess
    import sys

    from metrics.store import Store

    rows, as_of = _steady_orders()
    db = tmp_path / "csm.duckdb"
    s = Store(db)
    cur = s.cursor()
    frame = pd.DataFrame(rows)
    cur.register("src", frame)
    cur.execute("INSERT INTO orders (order_id, account_id, ordered_at, amount) "
                "SELECT order_id, account_id, ordered_at, amount FROM src")
    cur.close()
    s.close()
    for name in ("clv_model", "clv"):
        r = subprocess.run([sys.executable, "-m", "csm.cli", "metric", name, "--db", str(db),
                            "--as-of", as_of.isoformat()], capture_output=True, text=True,
                           timeout=300)
        assert r.returncode == 0, r.stderr
        out = json.loads(r.stdout)
        assert all("no-dropout boundary" in row["warning"] for row in out)
        lines = [ln for ln in r.stderr.splitlines() if ln.startswith("csm: warning: ")]
        assert len(lines) == 1 and "no-dropout boundary" in lines[0], r.stderr
    assert out[0]["p_alive"] == 1


def test_the_parameter_table_names_meanings_and_plausibility_for_people(cdnow):
    model = clv.clv_model(cdnow.cursor(), AS_OF).iloc[0]
    mean_age = clv.summary(cdnow.cursor(), AS_OF)["T"].mean()
    table = clv.parameters(model, mean_age).set_index("parameter")
    assert list(table.index) == ["r", "α", "a", "b", "p", "q", "v"]
    assert table.loc["r", "value"] == "0.2426" and table.loc["v", "value"] == "15.44"
    assert table.loc[["r", "α", "a", "b"], "plausibility"].str.startswith("within").all()
    assert table.loc["q", "plausibility"].startswith("q > 1")
    assert clv.fit_notes(model) == []
    odd = model.copy()
    odd["converged"], odd["q"], odd["b"] = False, 0.8, 5e5
    notes = clv.fit_notes(odd)
    assert len(notes) == 1 and "tolerance" in notes[0]
    table = clv.parameters(odd, mean_age).set_index("parameter")
    assert table.loc["b", "plausibility"].startswith("outside the usual range")
    assert table.loc["q", "plausibility"].startswith("q ≤ 1")
    none = odd.copy()
    none["p"] = none["q"] = none["v"] = np.nan
    table = clv.parameters(none, mean_age).set_index("parameter")
    assert (table.loc[["p", "q", "v"], "value"] == "—").all()
    assert table.loc["p", "plausibility"].startswith("not fitted")


# ---------------------------------------- independent checks of the fits (issue 11, item 9)


def test_the_cdnow_fit_is_at_least_as_likely_as_every_point_of_a_grid_around_it(cdnow):
    # a coarse grid of each parameter × 0.25 … 4 around the fitted optimum: no point of it may
    # have a higher log-likelihood than the fit (it would be a better fit the optimiser missed)
    row = clv.clv_model(cdnow.cursor(), AS_OF).iloc[0]
    s = clv.summary(cdnow.cursor(), AS_OF)
    x, tx, T = (s[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    best = (row.r, row.alpha, row.a, row.b)
    fitted = float(np.sum(clv.bgnbd_loglik(best, x, tx, T)))
    assert fitted == pytest.approx(row.loglik, abs=1e-6)
    factors = (0.25, 0.5, 0.9, 0.99, 1.0, 1.01, 1.1, 2.0, 4.0)
    grid = np.array(np.meshgrid(*[factors] * 4)).reshape(4, -1).T * np.array(best)
    lls = np.array([np.sum(clv.bgnbd_loglik(tuple(p), x, tx, T)) for p in grid])
    assert len(lls) == 9 ** 4 and np.isfinite(lls).all()
    worst = int(np.argmax(lls))
    assert lls[worst] <= fitted + 1e-6, (grid[worst], lls[worst], fitted)
    assert (lls < fitted - 1e-3).sum() == len(lls) - 1  # only the optimum itself ties


def _nbd_summary(rows: list[dict], as_of: date) -> pd.DataFrame:
    """Frequency (repeat purchase days), T (weeks from the first purchase day to the as-of
    day) per customer, straight from the order rows."""
    df = pd.DataFrame(rows)
    df["day"] = pd.to_datetime(df["ordered_at"]).dt.normalize()
    per = df.groupby("account_id")["day"].agg(["nunique", "min"])
    return pd.DataFrame({"x": (per["nunique"] - 1).astype(float),
                         "T": (pd.Timestamp(as_of) - per["min"]).dt.days / 7.0})


def test_the_boundary_predictions_match_an_independent_nbd_fit(store, insert):
    from scipy import optimize, special

    rows, as_of = _steady_orders()
    insert("orders", rows)
    ind = _nbd_summary(rows, as_of)
    x, T = ind["x"].to_numpy(), ind["T"].to_numpy()

    def negll(z):  # NBD: Poisson purchases with gamma(r, α) rates, nobody drops out
        r, alpha = np.exp(z)
        return -np.sum(special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
                       - (r + x) * np.log(alpha + T))

    res = optimize.minimize(negll, np.log([1.0, 1.0]), method="Nelder-Mead",
                            options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000})
    assert res.success
    r, alpha = np.exp(res.x)
    q = Query(as_of=as_of).with_setting("time_unit", "week").with_setting("horizon", 52)
    model = registry.compute(store.cursor(), "clv_model", q).iloc[0]
    assert "no-dropout boundary" in model.warning
    assert model.loglik == pytest.approx(-res.fun, abs=1e-3)
    df = registry.compute(store.cursor(), "clv", q).set_index("account_id").loc[ind.index]
    expected = (r + x) / (alpha + T) * 52  # E[Y(52 weeks)] under the NBD
    assert np.allclose(df["frequency"], x) and np.allclose(df["T"], T)
    assert np.allclose(df["expected_purchases"], expected, rtol=0.01)
    assert (df["p_alive"] == 1).all()


def test_the_fits_sum_over_distinct_summaries_weighted_by_their_counts(cdnow):
    """A likelihood over customers equals the count-weighted one over their distinct
    summaries, and the gradients the fits use (BG/NBD, Gamma-Gamma) equal the likelihoods'
    finite differences."""
    s = clv.summary(cdnow.cursor(), AS_OF)
    (x, tx, T), w = clv_fit.distinct_rows(s["frequency"], s["recency"], s["T"])
    assert len(x) < len(s) and w.sum() == len(s)
    for p in [(0.243, 4.414, 0.793, 2.426), (2.0, 0.5, 0.01, 500.0), (0.05, 30.0, 5.0, 0.7)]:
        full = clv_fit.bgnbd_loglik(p, s["frequency"], s["recency"], s["T"]).sum()
        assert np.sum(w * clv_fit.bgnbd_loglik(p, x, tx, T)) == pytest.approx(full, rel=1e-12)
        grad = clv_fit.bgnbd_grad(p, x, tx, T, w)
        for i in range(4):
            h = 1e-6 * p[i]
            hi, lo = list(p), list(p)
            hi[i] += h
            lo[i] -= h
            num = (np.sum(w * clv_fit.bgnbd_loglik(hi, x, tx, T))
                   - np.sum(w * clv_fit.bgnbd_loglik(lo, x, tx, T))) / (2 * h)
            assert grad[i] == pytest.approx(num, rel=1e-5, abs=1e-4)
    rep = s[(s["frequency"] > 0) & (s["monetary"] > 0)]
    (x, m), w = clv_fit.distinct_rows(rep["frequency"], rep["monetary"])
    for p in [(6.25, 3.74, 15.44), (1.0, 10.0, 10.0), (0.3, 2.0, 400.0)]:
        grad = clv_fit.gg_grad(p, x, m, w)
        for i in range(3):
            h = 1e-6 * p[i]
            hi, lo = list(p), list(p)
            hi[i] += h
            lo[i] -= h
            num = (np.sum(w * clv_fit.gg_loglik(hi, x, m))
                   - np.sum(w * clv_fit.gg_loglik(lo, x, m))) / (2 * h)
            assert grad[i] == pytest.approx(num, rel=1e-5, abs=1e-4)
    # a customer counted twice weighs as much as two rows of them
    twice = pd.concat([s, s.iloc[:1]])
    assert clv_fit.distinct_rows(twice["frequency"], twice["recency"], twice["T"])[1].max() \
        >= 2
