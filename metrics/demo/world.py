"""The simulation: accounts and their month-by-month life (`_simulate` -> `_World`), and the
calendar helpers it works in (days are int64 days since 1970-01-01; timestamps int64 seconds)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from metrics.demo.constants import (
    _S_ACCOUNTS,
    _S_NAMES,
    ANNUAL_P,
    BUSINESS_HOURS,
    CHURN_BASE,
    CHURN_SLOPE,
    CSM_HEALTH,
    CSM_P,
    FIRST_NAMES,
    HEALTH_MEAN,
    INDUSTRIES,
    INDUSTRY_HEALTH,
    LAST_NAMES,
    NAME_ENDINGS,
    NAME_HEADS,
    NAME_NOUNS,
    NAME_TAILS,
    PLAN_P,
    PLAN_PRICE,
    REGION_HEALTH,
    REGION_P,
    REGION_TLDS,
    REGION_UTC_OFFSET,
    REGIONS,
    SEATS_MEDIAN,
    SEATS_RANGE,
    SEGMENT_P,
    SIGNUP_MONTH,
    SIGNUP_WEEKDAY,
    DemoSize,
    _rng,
)

# ----------------------------------------------------------------------------------------------
# Calendar helpers (days are int64 days since 1970-01-01; timestamps int64 seconds)


def _day(d: date) -> int:
    """Return `d` as days since 1970-01-01."""
    return (d - date(1970, 1, 1)).days


def _add_months(days: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """Return each day moved by whole months, clipped to the month's last day (Jan 31 + 1 = Feb 28);
    broadcasts like numpy."""
    d = np.asarray(days).astype("datetime64[D]")
    m = d.astype("datetime64[M]")
    dom = (d - m.astype("datetime64[D]")).astype(np.int64)
    target = m + np.asarray(months).astype("timedelta64[M]")
    first = target.astype("datetime64[D]")
    last_dom = ((target + 1).astype("datetime64[D]") - first).astype(np.int64) - 1
    return (first + np.minimum(dom, last_dom)).astype(np.int64)


def _weekday(days: np.ndarray) -> np.ndarray:
    """Return the weekday of each day, Monday = 0 (1970-01-01 was a Thursday)."""
    return (days + 3) % 7


def _month_of_year(days: np.ndarray) -> np.ndarray:
    """Return the calendar month of each day, 1-12."""
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12 + 1


class _DayPicker:
    """Draws days in [a, b) with a weight per calendar day (weekday pattern, year-end lull)."""

    def __init__(self, first: int, last: int, weekday_weights: np.ndarray) -> None:
        days = np.arange(first, last + 1)
        w = weekday_weights[_weekday(days)].astype(float)
        dt = days.astype("datetime64[D]")
        month = _month_of_year(days)
        dom = (dt - dt.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
        w[((month == 12) & (dom >= 24)) | ((month == 1) & (dom == 1))] *= 0.35
        self.first = first
        self.cum = np.concatenate([[0.0], np.cumsum(w)])

    def draw(self, rng: np.random.Generator, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Return one day per pair, a <= day < b."""
        lo, hi = self.cum[a - self.first], self.cum[b - self.first]
        u = lo + rng.random(len(a)) * (hi - lo)
        day = np.searchsorted(self.cum, u, side="right") - 1 + self.first
        return np.clip(day, a, b - 1)


def _seconds_in_day(rng: np.random.Generator, region: np.ndarray, business: float) -> np.ndarray:
    """Return a UTC second of the day per row: a share `business` follows local working hours
    in the row's region, the rest is spread over the whole day. The hour wraps within the day
    so a timestamp never leaves its day (nothing moves past the end date)."""
    n = len(region)
    local = rng.choice(24, n, p=BUSINESS_HOURS / BUSINESS_HOURS.sum())
    hour = np.where(
        rng.random(n) < business, (local - REGION_UTC_OFFSET[region]) % 24, rng.integers(0, 24, n)
    )
    return hour * 3600 + rng.integers(0, 3600, n)


def _timestamps(seconds: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """Return datetime64[us] values from epoch seconds; NaT where `valid` is False."""
    ts = np.asarray(seconds, dtype=np.int64).astype("datetime64[s]").astype("datetime64[us]")
    if valid is not None:
        ts[~valid] = np.datetime64("NaT")
    return ts


def _dates(days: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """Return datetime64[D] values from day numbers; NaT where `valid` is False."""
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    if valid is not None:
        d[~valid] = np.datetime64("NaT")
    return d


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _pick_rows(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """Return one column index per row of a weight matrix, drawn with the row's weights."""
    cum = np.cumsum(weights, axis=1)
    u = rng.random(len(weights)) * cum[:, -1]
    return np.minimum((u[:, None] >= cum).sum(axis=1), weights.shape[1] - 1)


# ----------------------------------------------------------------------------------------------
# The simulation


@dataclass
class _World:
    """Accounts and their month-by-month life. Matrices are accounts x tenure months (K)."""

    seed: int
    params: DemoSize
    start_day: int  # first day of the window
    end_day: int  # last day of data
    signup: np.ndarray  # day
    segment: np.ndarray  # code into SEGMENTS
    region: np.ndarray
    industry: np.ndarray
    csm: np.ndarray
    annual: np.ndarray  # bool: annual contract (churns only at anniversaries)
    names: np.ndarray  # object: company names
    emails: np.ndarray  # object: all contacts, account after account
    contact_first: np.ndarray  # index into `emails` of each account's first contact
    contacts: np.ndarray  # contacts per account
    cell_start: np.ndarray  # K+1 columns: first day of each tenure month
    cell_stop: np.ndarray  # exclusive last day, cut at end_day + 1
    alive: np.ndarray  # bool: paying customer during the tenure month
    health: np.ndarray  # 0-1: latent health during the tenure month
    seats: np.ndarray
    plan: np.ndarray
    mrr: np.ndarray
    churn_day: np.ndarray  # -1 while a customer (also for reactivated accounts)
    price_change_day: int  # a list-price rise that hurt SMB sentiment for a while
    account_ids: np.ndarray  # object: 'A00001'... in signup order

    @property
    def n(self) -> int:
        return len(self.signup)

    def alive_cells(self, lo: int = 0, hi: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Return (account, tenure month) of every alive month of accounts lo..hi-1."""
        acc, k = np.nonzero(self.alive[lo:hi])
        return acc + lo, k


def _simulate(params: DemoSize, end: date, seed: int) -> _World:
    """Return the simulated accounts: attributes, health, seats, plan and MRR per tenure month,
    churn and reactivation."""
    rng = _rng(seed, _S_ACCOUNTS)
    n = params.accounts
    end_day = _day(end)
    start_day = int(_add_months(np.array(end_day), -12 * params.years)) + 1

    signup = _signup_days(rng, n, start_day, end_day)
    segment = rng.choice(3, n, p=SEGMENT_P)
    region = rng.choice(len(REGIONS), n, p=REGION_P)
    industry = rng.integers(0, len(INDUSTRIES), n)
    csm = _pick_rows(rng, CSM_P[segment])
    annual = rng.random(n) < ANNUAL_P[segment]
    plan0 = _pick_rows(rng, PLAN_P[segment])
    lo, hi = SEATS_RANGE[segment, 0], SEATS_RANGE[segment, 1]
    seats0 = np.clip(np.round(SEATS_MEDIAN[segment] * rng.lognormal(0, 0.5, n)), lo, hi)
    # negotiated discount: larger customers get more off list price
    price_factor = np.where(segment == 0, 1.0, rng.uniform(0.8, 1.02, n))
    names_rng = _rng(seed, _S_NAMES)  # names have their own stream: renaming moves nothing else
    names = _company_names(names_rng, n)
    emails, contact_first, contacts = _contacts(names_rng, names, segment, region)

    K = 12 * params.years + 1
    cell_start = _add_months(signup[:, None], np.arange(K + 1)[None, :])
    exists = cell_start[:, :K] <= end_day
    cell_stop = np.minimum(cell_start[:, 1:], end_day + 1)
    price_change_day = end_day - 450

    # latent health (logit scale): an account level, a trend, and month-to-month noise
    base = (
        HEALTH_MEAN[segment]
        + REGION_HEALTH[region]
        + INDUSTRY_HEALTH[industry]
        + CSM_HEALTH[csm]
        + rng.normal(0, 0.8, n)
    )
    kind = rng.choice(3, n, p=[0.58, 0.28, 0.14])  # steady, declining, recovering
    slope = np.select(
        [kind == 1, kind == 2], [-rng.uniform(0.08, 0.3, n), rng.uniform(0.08, 0.2, n)], 0.0
    )
    onset = np.where(kind == 2, rng.integers(1, 12, n), rng.integers(2, 30, n))
    ceiling = np.where(kind == 2, base + 0.4, 3.5)
    base = np.where(kind == 2, base - 0.9, base)  # recoverers start out poorly
    shock = _price_change_shock(cell_start[:, :K], segment, price_change_day)

    logit = np.zeros((n, K))
    alive = np.zeros((n, K), dtype=bool)
    seats = np.zeros((n, K), dtype=np.int64)
    plan = np.zeros((n, K), dtype=np.int64)
    h = base - 0.3 + rng.normal(0, 0.3, n)  # a rocky start while onboarding
    cur_seats, cur_plan = seats0.astype(np.int64), plan0.copy()
    is_alive = exists[:, 0].copy()
    churn_day = np.full(n, -1, dtype=np.int64)
    react_at = np.full(n, -1, dtype=np.int64)
    reactivated = np.zeros(n, dtype=bool)
    for k in range(K):
        ex = exists[:, k]
        if k > 0:
            target = np.clip(base + slope * np.maximum(0, k - onset), -3.0, ceiling)
            h = h + 0.35 * (target - h) + rng.normal(0, 0.22, n)
            prev = logit[:, k - 1]
            recent = logit[:, max(0, k - 3) : k].mean(axis=1)
            churn_now = (
                is_alive
                & ex
                & (rng.random(n) < _churn_probability(segment, annual, k, prev, recent))
            )
            # a few monthly customers come back after a gap; logo metrics keep them as customers
            comes_back_later = churn_now & ~annual & ~reactivated & (rng.random(n) < 0.1)
            react_at = np.where(comes_back_later, k + rng.integers(2, 9, n), react_at)
            churn_day = np.where(churn_now, cell_start[:, k], churn_day)
            # leaving is decided over months: churners disengage further before they go (this
            # changes what they did, not the decision already drawn)
            logit[churn_now, k - 1] -= 0.7
            if k >= 2:
                logit[churn_now, k - 2] -= 0.35
            back = (react_at == k) & ex & ~is_alive
            stays = is_alive & ex & ~churn_now
            cur_seats, cur_plan = _seat_changes(
                rng, k, stays, annual, _sigmoid(prev), cur_seats, cur_plan
            )
            if back.any():
                churn_day[back], react_at[back], reactivated[back] = -1, -1, True
                h[back], slope[back] = base[back] + 0.6, 0.0
                cur_seats[back] = np.maximum(1, np.round(cur_seats[back] * 0.8))
            is_alive = stays | back
        logit[:, k] = h + shock[:, k]
        alive[:, k] = is_alive & ex
        seats[:, k], plan[:, k] = cur_seats, cur_plan

    mrr = np.round(seats * PLAN_PRICE[plan] * _volume_discount(seats) * price_factor[:, None], 2)
    return _World(
        seed=seed,
        params=params,
        start_day=start_day,
        end_day=end_day,
        signup=signup,
        segment=segment,
        region=region,
        industry=industry,
        csm=csm,
        annual=annual,
        names=names,
        emails=emails,
        contact_first=contact_first,
        contacts=contacts,
        cell_start=cell_start,
        cell_stop=cell_stop,
        alive=alive,
        health=_sigmoid(logit),
        seats=seats,
        plan=plan,
        mrr=mrr,
        churn_day=churn_day,
        price_change_day=price_change_day,
        account_ids=np.array([f"A{i + 1:05d}" for i in range(n)], dtype=object),
    )


def _signup_days(rng: np.random.Generator, n: int, first: int, last: int) -> np.ndarray:
    """Return n sorted signup days: growing over the window, seasonal, mostly on weekdays."""
    days = np.arange(first, last + 1)
    growth = 1.0 + 1.5 * (days - first) / max(1, last - first)
    w = growth * SIGNUP_MONTH[_month_of_year(days) - 1] * SIGNUP_WEEKDAY[_weekday(days)]
    return np.sort(rng.choice(days, n, p=w / w.sum()))


def _company_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """Return n unique company names: ~5% one word ("Bluepeak"), ~80% two ("Bluepeak
    Logistics"), the rest three ("Bluepeak Logistics Group")."""
    words = [h + t for h in NAME_HEADS for t in NAME_TAILS if h.lower() != t]
    n_nouns, n_ends = len(NAME_NOUNS), len(NAME_ENDINGS)
    n1 = min(round(0.05 * n), len(words))
    n3 = round(0.15 * n)
    n2 = n - n1 - n3
    one = [words[i] for i in rng.choice(len(words), n1, replace=False)]
    two = [
        f"{words[i // n_nouns]} {NAME_NOUNS[i % n_nouns]}"
        for i in rng.choice(len(words) * n_nouns, n2, replace=False)
    ]
    three = [
        f"{words[i // n_nouns]} {NAME_NOUNS[i % n_nouns]} {NAME_ENDINGS[e]}"
        for i, e in zip(
            rng.choice(len(words) * n_nouns, n3, replace=False),
            rng.integers(0, n_ends, n3),
            strict=True,
        )
    ]
    names = np.array(one + two + three, dtype=object)
    return names[rng.permutation(n)]


def _contacts(
    rng: np.random.Generator, names: np.ndarray, segment: np.ndarray, region: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (emails of all contacts, index of each account's first contact, contacts per
    account): a few people per account at the company's domain, more at larger customers."""
    n = len(names)
    contacts = np.array([2, 3, 5])[segment] + rng.integers(0, 3, n)
    tld = [
        REGION_TLDS[r][i % len(REGION_TLDS[r])]
        for r, i in zip(region, rng.integers(0, 5, n), strict=True)
    ]
    domains = [
        "".join(ch for ch in name.lower() if ch.isalnum()) + "." + t
        for name, t in zip(names, tld, strict=True)
    ]
    total = int(contacts.sum())
    first = rng.integers(0, len(FIRST_NAMES), total)
    last = rng.integers(0, len(LAST_NAMES), total)
    owner = np.repeat(np.arange(n), contacts)
    emails = np.array(
        [
            f"{FIRST_NAMES[f].lower()}.{LAST_NAMES[s].lower()}@{domains[a]}"
            for f, s, a in zip(first, last, owner, strict=True)
        ],
        dtype=object,
    )
    contact_first = np.concatenate([[0], np.cumsum(contacts)[:-1]])
    return emails, contact_first, contacts


def _price_change_shock(cell_start: np.ndarray, segment: np.ndarray, day: int) -> np.ndarray:
    """Return the health dip of a list-price rise: SMB accounts (and Mid-Market a little) feel it
    for about eight months, fading."""
    since = cell_start - day
    fade = np.where((since >= 0) & (since < 240), 1.0 - since / 240.0, 0.0)
    return -np.array([0.6, 0.25, 0.0])[segment][:, None] * fade


def _churn_probability(
    segment: np.ndarray, annual: np.ndarray, k: int, prev: np.ndarray, recent: np.ndarray
) -> np.ndarray:
    """Return each account's chance of churning at the start of tenure month k.

    Monthly customers can leave any month, driven by last month's health; annual customers only
    at an anniversary, driven by the last quarter's health over a year's worth of risk."""
    monthly = np.minimum(0.25, CHURN_BASE[segment] * np.exp(-CHURN_SLOPE * (prev - 1.0)))
    if k % 12:
        return np.where(annual, 0.0, monthly)
    yearly_hazard = np.minimum(0.25, CHURN_BASE[segment] * np.exp(-CHURN_SLOPE * (recent - 1.0)))
    return np.where(annual, 1.0 - (1.0 - yearly_hazard) ** 12, monthly)


def _seat_changes(
    rng: np.random.Generator,
    k: int,
    stays: np.ndarray,
    annual: np.ndarray,
    health: np.ndarray,
    seats: np.ndarray,
    plan: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Return (seats, plan) after this month's expansions and contractions.

    Healthy accounts expand (more seats, sometimes a bigger plan); unhealthy ones contract
    (fewer seats, sometimes a smaller plan). Annual contracts only contract at renewal."""
    n = len(seats)
    u_exp, u_con, u_plan = rng.random(n), rng.random(n), rng.random(n)
    f_exp, f_con = rng.uniform(1.1, 1.5, n), rng.uniform(0.6, 0.9, n)
    if k < 2:  # nobody re-negotiates during onboarding
        return seats, plan
    contract_rate = 0.08 * (1 - health) ** 2
    contract_rate = np.where(annual, 8 * contract_rate if k % 12 == 0 else 0.0, contract_rate)
    expand = stays & (u_exp < 0.05 * health**3)
    contract = stays & ~expand & (u_con < contract_rate)
    seats = np.where(expand, np.maximum(seats + 1, np.ceil(seats * f_exp)), seats)
    seats = np.where(contract, np.maximum(1, np.minimum(seats - 1, np.floor(seats * f_con))), seats)
    plan = np.where(expand & (u_plan < 0.25), np.minimum(plan + 1, 3), plan)
    plan = np.where(contract & (u_plan < 0.3), np.maximum(plan - 1, 0), plan)
    return seats.astype(np.int64), plan


def _volume_discount(seats: np.ndarray) -> np.ndarray:
    """Return the list-price multiplier for a seat count."""
    return np.select([seats > 200, seats > 50], [0.7, 0.85], 1.0)
