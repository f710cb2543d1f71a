"""Usage events, built in batches of accounts so the large set never holds all events at once."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from metrics.demo.constants import (
    _S_USAGE,
    _SECONDS_PER_DAY,
    ENTERPRISE_FEATURES,
    FEATURE_DEPTH,
    FEATURE_DURATION,
    FEATURE_POPULARITY,
    FEATURES,
    USAGE_WEEKDAY,
    _rng,
)
from metrics.demo.world import _DayPicker, _seconds_in_day, _timestamps, _World


def _usage_batches(w: _World) -> Iterator[tuple[float, pd.DataFrame]]:
    """Yield (share of accounts done, usage_events frame) per batch of accounts, so the large
    set never holds all events at once.

    Each alive month an account has Binomial(seats, f(health)) active users; every active user
    has at least one event that month (so active users ÷ seats reads as the account's health)
    and power users many more. Events fall on working days and hours; features are drawn from
    those the account's health reaches."""
    user_ids = np.array([f"u{j:04d}" for j in range(1, int(w.seats.max()) + 2)], dtype=object)
    day_picker = _DayPicker(w.start_day, w.end_day, USAGE_WEEKDAY)
    # each account's own taste for features (fixed over its life)
    taste = _rng(w.seed, _S_USAGE, 0).normal(0, 0.12, (w.n, len(FEATURES)))
    for batch_no, lo in enumerate(range(0, w.n, w.params.batch)):
        hi = min(w.n, lo + w.params.batch)
        rng = _rng(w.seed, _S_USAGE, batch_no + 1)
        frame = _usage_batch(w, rng, lo, hi, user_ids, day_picker, taste)
        yield hi / w.n, frame


def _usage_batch(
    w: _World,
    rng: np.random.Generator,
    lo: int,
    hi: int,
    user_ids: np.ndarray,
    day_picker: _DayPicker,
    taste: np.ndarray,
) -> pd.DataFrame:
    """Return the usage_events of accounts lo..hi-1, sorted by account, time and user."""
    acc, k = w.alive_cells(lo, hi)
    a, b = w.cell_start[acc, k], w.cell_stop[acc, k]
    frac = (b - a) / (w.cell_start[acc, k + 1] - a)
    p = w.health[acc, k]
    seats = w.seats[acc, k]
    ramp = np.where(k == 0, 0.7, 1.0)  # not everyone is invited in the first month
    users = rng.binomial(seats, np.clip((1.2 * p - 0.15) * np.sqrt(frac) * ramp, 0.02, 1))

    # user-months: user j of U in a cell; low j are the power users
    cell = np.repeat(np.arange(len(acc)), users)
    rank = np.arange(len(cell)) - np.repeat(np.cumsum(users) - users, users)
    power = 2.2 * np.exp(-2.0 * rank / users[cell])
    mean_extra = w.params.user_events * (0.3 + 1.4 * p[cell]) * power * frac[cell]
    events = 1 + rng.poisson(mean_extra)

    ev_user = np.repeat(rank, events)
    ev_cell = np.repeat(cell, events)
    ev_acc = acc[ev_cell]
    m = len(ev_cell)
    day = day_picker.draw(rng, a[ev_cell], b[ev_cell])
    seconds = day * _SECONDS_PER_DAY + _seconds_in_day(rng, w.region[ev_acc], 0.9)

    # features: the account uses those its current health reaches, with its own taste
    reach = (p[:, None] + taste[acc] + 0.05) >= FEATURE_DEPTH[None, :]
    bonus = np.where((w.segment[acc] == 2)[:, None], ENTERPRISE_FEATURES[None, :], 1.0)
    weights = FEATURE_POPULARITY[None, :] * bonus * reach
    weights[:, 0] = np.maximum(weights[:, 0], 1.0)  # everyone looks at dashboards
    cum = np.cumsum(weights, axis=1)
    cum /= cum[:, -1:]
    feature = np.minimum((rng.random(m)[:, None] >= cum[ev_cell]).sum(axis=1), len(FEATURES) - 1)
    duration = np.round(
        FEATURE_DURATION[feature] * (0.7 + 0.6 * p[ev_cell]) * rng.lognormal(0, 0.8, m), 1
    )

    order = np.lexsort((ev_user, seconds, ev_acc))
    return pd.DataFrame(
        {
            "account_id": pd.Categorical.from_codes(ev_acc[order] - lo, w.account_ids[lo:hi]),
            "user_id": pd.Categorical.from_codes(ev_user[order], user_ids),
            "occurred_at": _timestamps(seconds[order]),
            "feature": pd.Categorical.from_codes(feature[order], FEATURES),
            "duration_seconds": duration[order],
        }
    )
