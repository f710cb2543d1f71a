"""The accounts, custom attributes, subscriptions, orders and targets tables as frames
(columns named like schema.TABLES; ids built in SQL from numbers)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from metrics import schema
from metrics.demo.constants import (
    _S_ORDERS,
    _SECONDS_PER_DAY,
    CSMS,
    INDUSTRIES,
    PLANS,
    REGIONS,
    SEGMENTS,
    _rng,
)
from metrics.demo.world import _add_months, _dates, _day, _seconds_in_day, _timestamps, _World

# ----------------------------------------------------------------------------------------------
# Tables as frames (columns named like schema.TABLES; ids built in SQL from numbers)


def _accounts_frame(w: _World) -> pd.DataFrame:
    """Return the accounts table: one row per account, in account_id order."""
    churned = w.churn_day >= 0
    until = np.where(churned, w.churn_day, w.end_day)
    tenure = until - w.signup
    stage = np.select([tenure < 90, tenure < 365], [0, 1], 2)
    # next anniversary of the signup after the end date (active accounts only)
    years = np.arange(1, w.params.years + 2)
    anniversaries = _add_months(w.signup[:, None], 12 * years[None, :])
    upcoming = np.where(anniversaries > w.end_day, anniversaries, np.iinfo(np.int64).max)
    renewal = upcoming.min(axis=1)
    last_cell = _last_cell(w)
    return pd.DataFrame(
        {
            "account_id": w.account_ids,
            "name": w.names,
            "segment": pd.Categorical.from_codes(w.segment, SEGMENTS),
            "region": pd.Categorical.from_codes(w.region, REGIONS),
            "industry": pd.Categorical.from_codes(w.industry, INDUSTRIES),
            "plan": pd.Categorical.from_codes(w.plan[np.arange(w.n), last_cell], PLANS),
            "csm_owner": pd.Categorical.from_codes(w.csm, CSMS),
            "lifecycle_stage": pd.Categorical.from_codes(
                stage, ("onboarding", "adoption", "mature")
            ),
            "signup_date": _dates(w.signup),
            "churn_date": _dates(w.churn_day, churned),
            "renewal_date": _dates(renewal, ~churned),
        }
    )


def _last_cell(w: _World) -> np.ndarray:
    """Return each account's last alive tenure month."""
    K = w.alive.shape[1]
    return K - 1 - np.argmax(w.alive[:, ::-1], axis=1)


def _attributes_frame(w: _World) -> pd.DataFrame:
    """Return account_attributes rows: `Contract Type` and `seats` (current or at churn) per
    account, as text. The header "Contract Type" has a space and capitals on purpose."""
    seats = w.seats[np.arange(w.n), _last_cell(w)]
    return pd.DataFrame(
        {
            "account_id": np.repeat(w.account_ids, 2),
            "attribute": np.tile(np.array(["Contract Type", "seats"], dtype=object), w.n),
            "value": np.column_stack(
                [np.where(w.annual, "Annual", "Monthly"), seats.astype(str)]
            ).ravel(),
        }
    )


def _subscriptions_frame(w: _World) -> pd.DataFrame:
    """Return subscription periods: runs of alive tenure months at one MRR and plan. A period
    ends where the MRR changes (expansion, contraction) or at churn; it stays open (null end)
    when the account is still a customer at the end date."""
    alive = w.alive
    n, K = alive.shape
    prev_alive = np.zeros_like(alive)
    prev_alive[:, 1:] = alive[:, :-1]
    changed = np.ones_like(alive)
    changed[:, 1:] = (w.mrr[:, 1:] != w.mrr[:, :-1]) | (w.plan[:, 1:] != w.plan[:, :-1])
    starts = alive & (~prev_alive | changed)
    acc, k = np.nonzero(alive)  # row-major: by account, then month
    is_start = starts[acc, k]
    pos = np.flatnonzero(is_start)
    last_pos = np.concatenate([pos[1:] - 1, [len(acc) - 1]])
    p_acc, p_k, l_k = acc[pos], k[pos], k[last_pos]
    nxt = np.minimum(l_k + 1, K)
    # the month after the period exists (its start is on or before the end date): the period
    # ended on that day, by churn or by a change of MRR
    ended = (l_k + 1 <= K) & (w.cell_start[p_acc, nxt] <= w.end_day)
    return pd.DataFrame(
        {
            "account_id": pd.Categorical.from_codes(p_acc, w.account_ids),
            "start_date": _dates(w.cell_start[p_acc, p_k]),
            "end_date": _dates(w.cell_start[p_acc, nxt], ended),
            "mrr": w.mrr[p_acc, p_k],
            "plan": pd.Categorical.from_codes(w.plan[p_acc, p_k], PLANS),
            # MRR is stored monthly; "year" would make a re-import divide it by 12
            "billing_period": "month",
        }
    )


def _orders_frame(w: _World) -> pd.DataFrame:
    """Return one-off purchases: implementation services when larger customers sign up, repeat
    add-on purchases by about a fifth of accounts while they are customers, a few refunds
    (negative amounts)."""
    rng = _rng(w.seed, _S_ORDERS)
    n = w.n
    impl = (rng.random(n) < np.array([0.05, 0.35, 0.7])[w.segment]) & w.alive[:, 0]
    impl_acc = np.flatnonzero(impl)
    impl_day = np.minimum(w.signup[impl_acc] + rng.integers(0, 30, len(impl_acc)), w.end_day)
    impl_amount = np.round(
        np.array([800.0, 3000.0, 12000.0])[w.segment[impl_acc]]
        * rng.lognormal(0, 0.4, len(impl_acc)),
        -1,
    )

    buyer = rng.random(n) < 0.2
    rate = rng.gamma(0.8, 0.35, n)  # add-on orders per month: heterogeneous, as BG/NBD assumes
    spend = 120.0 * np.array([1.0, 2.5, 6.0])[w.segment] * rng.lognormal(0, 0.5, n)
    acc, k = w.alive_cells()
    a, b = w.cell_start[acc, k], w.cell_stop[acc, k]
    frac = (b - a) / (w.cell_start[acc, k + 1] - a)
    count = np.where(buyer[acc], rng.poisson(rate[acc] * frac), 0)
    cell = np.repeat(np.arange(len(acc)), count)
    addon_acc = acc[cell]
    addon_day = a[cell] + (rng.random(len(cell)) * (b - a)[cell]).astype(np.int64)
    addon_amount = np.round(spend[addon_acc] * rng.gamma(6.0, 1 / 6.0, len(cell)), 2)

    refund = rng.random(len(cell)) < 0.015
    refund_day = addon_day[refund] + rng.integers(1, 20, int(refund.sum()))
    ok = refund_day <= w.end_day
    account = np.concatenate([impl_acc, addon_acc, addon_acc[refund][ok]])
    day = np.concatenate([impl_day, addon_day, refund_day[ok]])
    amount = np.concatenate([impl_amount, addon_amount, -addon_amount[refund][ok]])
    seconds = day * _SECONDS_PER_DAY + _seconds_in_day(rng, w.region[account], 0.9)
    order = np.lexsort((np.arange(len(account)), account, seconds))
    return pd.DataFrame(
        {
            "order_no": np.arange(1, len(account) + 1),
            "account_id": pd.Categorical.from_codes(account[order], w.account_ids),
            "ordered_at": _timestamps(seconds[order]),
            "amount": np.round(amount[order], 2),
        }
    )


def _mrr_on(w: _World, day: int) -> float:
    """Return the total MRR on a day (subscriptions start <= day < end)."""
    inside = w.alive & (w.cell_start[:, :-1] <= day) & (day < w.cell_start[:, 1:])
    return float(w.mrr[inside].sum())


def _targets_frame(w: _World) -> pd.DataFrame:
    """Return the team's goals for the four quarters up to the one holding the end date:
    NPS (overall and Enterprise), CSAT, monthly logo churn, median first response hours, and
    MRR growing each quarter as fast as over the half year before (at most 15%). Periods are
    half-open, so the current quarter's period_end is after the end date (targets look ahead)."""
    end = date(1970, 1, 1) + timedelta(days=w.end_day)
    quarter = end.year * 12 + (end.month - 1) // 3 * 3  # months since year 0
    starts = [quarter - 3 * j for j in (3, 2, 1, 0, -1)]
    bounds = [date(m // 12, m % 12 + 1, 1) for m in starts]
    base_day = _day(bounds[0]) - 1
    base = _mrr_on(w, base_day)
    # suggest MRR growth from the baseline: the quarterly growth of the half year before,
    # capped at a plausible plan, so that some quarters beat the target and some miss it
    before = _mrr_on(w, base_day - 182)
    growth = (base / before) ** 0.5 - 1 if before > 0 else 0.05
    growth = float(np.clip(growth, 0.02, 0.15))
    rows = []
    for j, (start, stop) in enumerate(zip(bounds[:-1], bounds[1:], strict=False)):
        rows += [
            ("nps", None, start, stop, 40.0, "company NPS goal"),
            ("nps", "Enterprise", start, stop, 45.0, "strategic accounts"),
            ("csat", None, start, stop, 0.85, "support CSAT, share of 4-5 answers"),
            ("logo_churn", None, start, stop, 0.02, "monthly logo churn at most 2%"),
            ("first_response_median_h", None, start, stop, 8.0, "median first response"),
            ("followup_share", None, start, stop, 0.8, "detractors contacted within 7 days"),
            (
                "mrr",
                None,
                start,
                stop,
                round(base * (1 + growth) ** (j + 1), -2),
                f"{growth:.0%} growth a quarter",
            ),
        ]
    return pd.DataFrame(rows, columns=schema.TABLES["targets"].column_names)
