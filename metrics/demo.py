"""Deterministic, realistic demo data for every canonical table (`csm demo`, the Data page).

One simulation drives everything. Each account lives in "tenure months": the month that starts
on its signup day's monthly anniversary (its billing cycle). A latent health drifts from month to
month (most accounts are steady, some decline, some recover) and drives, in the same month,
active users and events per seat, feature breadth, survey scores, ticket volume, expansion and
contraction, and at the next anniversary the chance of churning. So accounts that churn had
declining usage and detractor scores before they left, which a health model can rank.

Public API:
- `SIZES`: the parameters of the small, medium and large data sets.
- `generate(store, size, end, seed, progress) -> {table: rows}`: (re)create the data set.
- `write_csvs(cur, out_dir) -> [Path]` and `demo_zip_bytes(cur) -> bytes`: the data as CSVs.

Same seed and end give identical tables: all randomness comes from `numpy.random.default_rng`
streams seeded from `seed`, every frame is sorted on explicit keys, nothing reads the clock.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from metrics import rollup, schema
from metrics.store import Store, bump_data_version

# ----------------------------------------------------------------------------------------------
# Sizes


@dataclass(frozen=True)
class DemoSize:
    """Parameters of one demo data set size."""

    accounts: int  # accounts that ever signed up in the window
    user_events: float  # mean events per active user-month beyond the first (usage volume)
    tickets: float  # tickets per account-month for a 4-seat account of average health
    nps_every: int  # months between an account's relationship NPS waves
    csat_share: float  # share of resolved tickets answered with a CSAT survey
    ces_share: float  # share of resolved tickets answered with a CES survey
    years: int = 3  # length of the window ending on `end`
    batch: int = 2000  # accounts per usage-event batch (bounds memory)


SIZES: dict[str, DemoSize] = {
    # ≈ 500 accounts, ~200k events, a few thousand tickets and survey answers; seconds to build
    "small": DemoSize(
        accounts=500, user_events=2.2, tickets=0.42, nps_every=6, csat_share=0.3, ces_share=0.06
    ),
    # ≈ 5,000 accounts, ~1M events, ~100k tickets, ~50k survey answers
    "medium": DemoSize(
        accounts=5_000, user_events=0.45, tickets=0.87, nps_every=4, csat_share=0.3, ces_share=0.06
    ),
    # ≈ 50,000 accounts, ~10M events, ~1M tickets, ~500k survey answers
    "large": DemoSize(
        accounts=50_000, user_events=0.45, tickets=0.87, nps_every=4, csat_share=0.3, ces_share=0.06
    ),
}

# ----------------------------------------------------------------------------------------------
# Vocabulary. Index positions matter: arrays below are indexed by these codes.

SEGMENTS = ("SMB", "Mid-Market", "Enterprise")
SEGMENT_P = np.array([0.6, 0.28, 0.12])
REGIONS = ("North America", "EMEA", "APAC", "LATAM")
REGION_P = np.array([0.45, 0.3, 0.15, 0.1])
REGION_UTC_OFFSET = np.array([-5, 1, 8, -3])  # hours; local business hours -> UTC
REGION_HEALTH = np.array([0.0, 0.05, -0.15, -0.1])
REGION_TLDS = (
    ("com",),
    ("co.uk", "de", "fr", "nl", "com"),
    ("com.au", "sg", "com"),
    ("com.br", "mx", "com"),
)
INDUSTRIES = (
    "Software", "Financial Services", "Healthcare", "Retail", "Manufacturing", "Education",
    "Logistics", "Media", "Professional Services",
)  # fmt: skip
INDUSTRY_HEALTH = np.array([0.15, 0.05, 0.0, -0.2, -0.05, -0.1, 0.0, -0.1, 0.1])
PLANS = ("Starter", "Growth", "Pro", "Enterprise")
PLAN_PRICE = np.array([25.0, 45.0, 75.0, 120.0])  # list price per seat per month
# first plan by segment (rows) over PLANS (columns)
PLAN_P = np.array([[0.55, 0.45, 0, 0], [0, 0.4, 0.6, 0], [0, 0, 0.3, 0.7]])
SEATS_MEDIAN = np.array([4.0, 12.0, 35.0])
SEATS_RANGE = np.array([[2, 15], [6, 50], [15, 250]])
ANNUAL_P = np.array([0.25, 0.6, 0.85])  # share of annual contracts by segment
CSMS = (
    "Ava Thompson", "Liam Patel", "Sofia Garcia", "Noah Kim",
    "Emma Schmidt", "Lucas Martin", "Mia Rossi", "Ethan Okafor",
)  # fmt: skip
# which CSMs carry which segment (weights), and how their books fare: a story for "by owner"
CSM_P = np.array(
    [
        [0, 0, 0.05, 0.1, 0.2, 0.25, 0.2, 0.2],
        [0, 0.1, 0.3, 0.3, 0.2, 0.1, 0, 0],
        [0.55, 0.45, 0, 0, 0, 0, 0, 0],
    ]
)
CSM_HEALTH = np.array([0.25, 0.1, 0.0, 0.05, -0.05, 0.0, -0.1, -0.35])
HEALTH_MEAN = np.array([0.9, 1.2, 1.5])  # latent health (logit) at signup, by segment
CHURN_BASE = np.array([0.008, 0.004, 0.002])  # monthly churn hazard at latent health 1.0
CHURN_SLOPE = 2.2  # how strongly low health raises the hazard (per logit unit)

FEATURES = (
    "dashboards", "reports", "search", "exports", "alerts", "sharing",
    "integrations", "automation", "api", "mobile", "admin", "billing",
)  # fmt: skip
FEATURE_POPULARITY = np.array([30, 20, 15, 8, 7, 6, 5, 4, 4, 5, 2, 1], dtype=float)
# health an account needs (on the 0-1 scale) before it uses the feature: breadth follows health
FEATURE_DEPTH = np.array([0, 0.15, 0.05, 0.35, 0.4, 0.35, 0.5, 0.6, 0.65, 0.45, 0.25, 0.0])
FEATURE_DURATION = np.array([180, 240, 25, 45, 30, 40, 120, 90, 5, 100, 150, 60], dtype=float)
ENTERPRISE_FEATURES = np.array([1, 1, 1, 1, 1, 1, 1.8, 1.3, 2.5, 1, 2.0, 1])

CHANNELS = ("email", "chat", "web", "phone")
CHANNEL_P = np.array([[0.35, 0.35, 0.22, 0.08], [0.4, 0.25, 0.2, 0.15], [0.45, 0.15, 0.15, 0.25]])
FIRST_RESPONSE_MEDIAN_H = np.array([12.0, 0.08, 7.0, 0.05])  # by channel
PRIORITIES = ("P1", "P2", "P3", "P4")
PRIORITY_P_HEALTHY = np.array([0.025, 0.13, 0.48, 0.365])
PRIORITY_P_UNHEALTHY = np.array([0.07, 0.24, 0.47, 0.22])
PRIORITY_RESPONSE_FACTOR = np.array([0.15, 0.45, 1.0, 1.4])
RESOLUTION_MEDIAN_H = np.array([5.0, 18.0, 36.0, 72.0])  # by priority, after first response

SURVEY_TYPES = ("nps", "csat", "ces")
SURVEY_SCALE = np.array([11, 5, 7])
TOUCHPOINTS = ("relationship", "onboarding", "support", "renewal")

FIRST_NAMES = (
    "James", "Maria", "Chen", "Priya", "Olivia", "Mateo", "Hannah", "Yuki", "Lars", "Amara",
    "David", "Fatima", "Jonas", "Isabel", "Kwame", "Sara", "Tom", "Lena", "Raj", "Grace",
    "Diego", "Elena", "Omar", "Nina", "Felix", "Aisha", "Paul", "Chloe", "Ivan", "Zoe",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Mueller", "Wang", "Sharma", "Johnson", "Silva", "Novak", "Tanaka", "Berg",
    "Mensah", "Brown", "Haddad", "Weber", "Costa", "Owusu", "Lindqvist", "Clark", "Fischer",
    "Reddy", "Walker", "Lopez", "Ivanova", "Farah", "Jensen", "Moreau", "Bello", "Young",
    "Dubois", "Petrov", "Evans",
)  # fmt: skip
NAME_HEADS = (
    "North", "Blue", "Silver", "Red", "Green", "Iron", "Bright", "Clear", "Stone", "Sun", "Oak",
    "Pine", "Cedar", "High", "Swift", "True", "Gold", "Star", "Cloud", "River", "Lake", "Summit",
    "Harbor", "Granite", "Maple", "Falcon", "Eagle", "Crystal", "Coral", "Amber", "Copper",
    "Frost", "Silk", "Open", "Deep", "Wild", "Bay", "Fair", "Keen", "Prime",
)  # fmt: skip
NAME_TAILS = (
    "wind", "peak", "line", "field", "ridge", "bridge", "gate", "point", "wave", "light",
    "works", "view", "brook", "crest", "forge", "haven", "path", "way", "dale", "spring",
    "rock", "shore", "leaf", "mark", "star",
)  # fmt: skip
NAME_NOUNS = (
    "Traders", "Logistics", "Analytics", "Health", "Foods", "Systems", "Labs", "Solutions",
    "Partners", "Capital", "Media", "Energy", "Retail", "Software", "Dynamics", "Networks",
    "Consulting", "Manufacturing", "Studios", "Financial", "Pharma", "Robotics", "Outfitters",
    "Supply", "Freight", "Markets", "Ventures", "Security", "Learning", "Insurance", "Clinics",
    "Brands", "Motors", "Telecom", "Realty", "Apparel", "Biotech", "Data", "Holdings", "Group",
    "Industries", "Technologies", "Engineering", "Agency", "Architects",
)  # fmt: skip
NAME_ENDINGS = ("Group", "International", "& Co")

# Comment themes with wording per polarity. Keywords (price, onboarding, support, report,
# dashboard, integration, API, slow, easy, bug) stay in the text so rule-based theming finds them.
THEMES = (
    "pricing", "onboarding", "support", "reporting", "integrations", "performance", "ease_of_use",
    "bugs",
)  # fmt: skip
THEME_WEIGHT_NEG = np.array([0.22, 0.10, 0.16, 0.10, 0.12, 0.14, 0.04, 0.12])
THEME_WEIGHT_POS = np.array([0.06, 0.10, 0.22, 0.20, 0.10, 0.06, 0.24, 0.02])
COMMENTS: dict[str, dict[str, tuple[str, ...]]] = {
    "pricing": {
        "neg": (
            "Too expensive for what we actually use.",
            "The price increase at renewal was hard to justify to finance.",
            "Per-seat pricing is too expensive for a small team like ours.",
            "Great tool but the price keeps going up.",
        ),
        "mix": (
            "Does the job, though the pricing feels steep.",
            "Good product, but the price is a concern at renewal time.",
        ),
        "pos": (
            "Good value for the price.",
            "Pricing is fair for what we get.",
            "Worth every cent, the price is reasonable.",
        ),
    },
    "onboarding": {
        "neg": (
            "Onboarding took far too long and we were left on our own.",
            "The onboarding sessions did not cover our use case.",
            "Setup and onboarding were confusing for the team.",
        ),
        "mix": (
            "Onboarding was okay but documentation could be clearer.",
            "It took a while to get onboarded, better now.",
        ),
        "pos": (
            "Onboarding was smooth, we were live in a week.",
            "Our onboarding manager was excellent.",
            "Really helpful onboarding and training.",
        ),
    },
    "support": {
        "neg": (
            "Support is slow to respond, we waited days for an answer.",
            "Had to chase support several times before anyone replied.",
            "Support response times have gotten worse.",
            "The support team closed my ticket without fixing the issue.",
        ),
        "mix": (
            "Support is friendly but response times vary a lot.",
            "Support got there in the end, took a couple of tries.",
        ),
        "pos": (
            "Support is fast and really helpful.",
            "Quick response from support, solved on the first reply.",
            "The support team is great, always friendly and quick.",
            "Excellent support experience.",
        ),
    },
    "reporting": {
        "neg": (
            "Reporting is too limited, we still export to spreadsheets.",
            "The dashboards can't show what our board asks for.",
            "Custom reports are missing basic filters.",
        ),
        "mix": (
            "Dashboards are nice but reporting needs more flexibility.",
            "Reports cover most needs, a few charts are missing.",
        ),
        "pos": (
            "The dashboards give us exactly the view we need.",
            "Love the reporting, saves hours every week.",
            "Reports are clear and easy to share with leadership.",
        ),
    },
    "integrations": {
        "neg": (
            "The Salesforce integration keeps breaking.",
            "Missing integrations with the tools we use.",
            "The API is poorly documented and rate limits are too strict.",
        ),
        "mix": (
            "Integrations work, but the API could expose more data.",
            "Good product, we need a few more integrations.",
        ),
        "pos": (
            "The integrations with our CRM work flawlessly.",
            "Great API, easy to integrate with our stack.",
            "Integration with Slack is a big win for us.",
        ),
    },
    "performance": {
        "neg": (
            "The app is slow, pages take ages to load.",
            "Performance is poor with large accounts, everything is slow.",
            "Frequent timeouts and slow dashboards.",
        ),
        "mix": (
            "Mostly fine, but it gets slow at month end.",
            "Speed is acceptable, could be faster on big reports.",
        ),
        "pos": (
            "Fast and reliable.",
            "Performance has improved a lot, pages load quickly.",
        ),
    },
    "ease_of_use": {
        "neg": (
            "Not easy to use, the interface is cluttered.",
            "Hard to find things, the navigation is confusing.",
        ),
        "mix": (
            "Easy enough once you learn it.",
            "Mostly intuitive, some settings are hidden.",
        ),
        "pos": (
            "Very easy to use, the whole team picked it up quickly.",
            "Intuitive and clean interface.",
            "Simple, easy to use and does what it says.",
            "Our team loves how easy it is.",
        ),
    },
    "bugs": {
        "neg": (
            "Too many bugs after every release.",
            "We hit a bug that lost our saved filters.",
            "Buggy exports, numbers don't match.",
        ),
        "mix": (
            "A few bugs here and there, nothing blocking.",
            "Occasional glitches but the team fixes bugs quickly.",
        ),
        "pos": (
            "Rock solid, we rarely see a bug.",
            "Stable product, bugs get fixed fast.",
        ),
    },
}

# Weekday weights (Monday first): B2B products are used and supported on working days.
USAGE_WEEKDAY = np.array([1.0, 1.05, 1.05, 1.0, 0.85, 0.18, 0.12])
TICKET_WEEKDAY = np.array([1.15, 1.05, 1.0, 1.0, 0.9, 0.15, 0.1])
SIGNUP_WEEKDAY = np.array([1.0, 1.0, 1.0, 1.0, 0.9, 0.1, 0.08])
# Signups by calendar month: budgets open in Q1, deals close in Q4, summer is slow.
SIGNUP_MONTH = np.array([1.3, 1.15, 1.2, 0.95, 0.9, 0.85, 0.75, 0.7, 0.95, 1.1, 1.15, 0.95])
# Local hour-of-day weights: working hours with a lunch dip.
BUSINESS_HOURS = np.array(
    [0.1, 0.05, 0.05, 0.05, 0.05, 0.1, 0.3, 0.8, 1.6, 2.2, 2.4, 2.2,
     1.6, 2.0, 2.3, 2.1, 1.8, 1.2, 0.7, 0.5, 0.4, 0.3, 0.2, 0.15]
)  # fmt: skip

# Random streams: each part of the data draws from its own stream so that changing one part
# (e.g. the ticket model) does not reshuffle the others.
_S_ACCOUNTS, _S_TICKETS, _S_SURVEYS, _S_ORDERS, _S_USAGE, _S_NAMES = 1, 2, 3, 4, 5, 6
_SECONDS_PER_DAY = 86_400

Progress = Callable[[float, str], None]


def _rng(seed: int, *stream: int) -> np.random.Generator:
    """Return the generator of one named stream of `seed`."""
    return np.random.default_rng([seed, *stream])


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


@dataclass
class _Tickets:
    """Tickets as arrays, in ticket_id order, kept for the CSAT/CES surveys that follow them."""

    account: np.ndarray
    health: np.ndarray
    created: np.ndarray  # seconds
    first_response: np.ndarray  # seconds; valid where answered
    answered: np.ndarray
    resolved: np.ndarray  # seconds; valid where closed
    closed: np.ndarray
    contacts: np.ndarray
    reopened: np.ndarray
    channel: np.ndarray
    priority: np.ndarray
    resolution_h: np.ndarray


def _simulate_tickets(w: _World) -> _Tickets:
    """Return the support tickets: more for larger and unhealthier accounts and during
    onboarding, created in working hours, answered fast on chat and phone, slower by email
    (faster over time as the support team grew), some still open at the end."""
    rng = _rng(w.seed, _S_TICKETS)
    acc, k = w.alive_cells()
    a, b = w.cell_start[acc, k], w.cell_stop[acc, k]
    full = w.cell_start[acc, k + 1] - a
    p = w.health[acc, k]
    rate = (
        w.params.tickets
        * np.sqrt(w.seats[acc, k] / 4.0)
        * (0.5 + 1.8 * (1 - p))
        * np.where(k < 2, 1.8, 1.0)
        * (b - a)
        / full
    )
    count = rng.poisson(rate)
    cell = np.repeat(np.arange(len(acc)), count)
    m = len(cell)
    account, health = acc[cell], p[cell]
    day = _DayPicker(w.start_day, w.end_day, TICKET_WEEKDAY).draw(rng, a[cell], b[cell])
    created = day * _SECONDS_PER_DAY + _seconds_in_day(rng, w.region[account], 0.85)

    seg = w.segment[account]
    channel = _pick_rows(rng, CHANNEL_P[seg])
    unhealthy = np.clip((0.6 - health) / 0.4, 0, 1)[:, None]
    priority = _pick_rows(
        rng, (1 - unhealthy) * PRIORITY_P_HEALTHY + unhealthy * PRIORITY_P_UNHEALTHY
    )
    elapsed = (day - w.start_day) / max(1, w.end_day - w.start_day)  # 0 at the start, 1 at the end
    first_h = (
        FIRST_RESPONSE_MEDIAN_H[channel]
        * PRIORITY_RESPONSE_FACTOR[priority]
        * (1.35 - 0.55 * elapsed)
        * rng.lognormal(0, 0.9, m)
    )
    # email and web-form tickets raised at the weekend wait for Monday
    weekend = (_weekday(day) >= 5) & np.isin(channel, [0, 2])
    first_h = first_h + np.where(weekend, rng.uniform(10, 40, m), 0.0)
    resolution_h = first_h + (
        RESOLUTION_MEDIAN_H[priority] * np.where(health < 0.4, 1.4, 1.0) * rng.lognormal(0, 1.0, m)
    )
    limit = (w.end_day + 1) * _SECONDS_PER_DAY  # nothing may happen after the end date
    first_response = created + np.round(first_h * 3600).astype(np.int64)
    resolved = created + np.round(resolution_h * 3600).astype(np.int64)
    answered = first_response < limit
    stale = rng.random(m) < 0.003  # a small forgotten backlog
    closed = (resolved < limit) & ~stale
    answered |= closed

    extra = rng.poisson(0.02 + 0.18 * np.log1p(resolution_h / 24) + 0.3 * (priority <= 1))
    contacts = np.where(
        closed,
        np.minimum(6, 1 + extra),
        np.where(answered, np.minimum(6, 1 + rng.poisson(0.3, m)), 0),
    )
    reopened = closed & (rng.random(m) < 0.035 + 0.09 * (1 - health))
    order = np.lexsort((np.arange(m), account, created))
    t = _Tickets(
        account=account,
        health=health,
        created=created,
        first_response=first_response,
        answered=answered,
        resolved=resolved,
        closed=closed,
        contacts=contacts,
        reopened=reopened,
        channel=channel,
        priority=priority,
        resolution_h=resolution_h,
    )
    for name, value in list(vars(t).items()):
        setattr(t, name, value[order])
    return t


def _tickets_frame(w: _World, t: _Tickets) -> pd.DataFrame:
    """Return the tickets table (ticket_no becomes ticket_id 'T0000001' in SQL). About 1% of
    contacts and reopened are left empty, as exports from help desks do."""
    rng = _rng(w.seed, _S_TICKETS, 1)
    m = len(t.account)
    contacts = pd.array(t.contacts, dtype="Int32")
    contacts[rng.random(m) < 0.01] = pd.NA
    reopened = pd.array(t.reopened, dtype="boolean")
    reopened[rng.random(m) < 0.01] = pd.NA
    return pd.DataFrame(
        {
            "ticket_no": np.arange(1, m + 1),
            "account_id": pd.Categorical.from_codes(t.account, w.account_ids),
            "created_at": _timestamps(t.created),
            "first_response_at": _timestamps(t.first_response, t.answered),
            "resolved_at": _timestamps(t.resolved, t.closed),
            "contacts": contacts,
            "reopened": reopened,
            "channel": pd.Categorical.from_codes(t.channel, CHANNELS),
            "priority": pd.Categorical.from_codes(t.priority, PRIORITIES),
        }
    )


def _surveys_frame(w: _World, t: _Tickets) -> pd.DataFrame:
    """Return survey_responses: relationship NPS waves, onboarding NPS and CES, renewal NPS,
    and CSAT/CES after resolved tickets; scores follow the account's health at the time, and
    about half carry a comment whose theme and tone match the score."""
    rng = _rng(w.seed, _S_SURVEYS)
    parts = [_nps_answers(w, rng), _ticket_answers(w, t, rng)]
    acc = np.concatenate([x[0] for x in parts])
    kind = np.concatenate([x[1] for x in parts])
    touch = np.concatenate([x[2] for x in parts])
    when = np.concatenate([x[3] for x in parts])
    health = np.concatenate([x[4] for x in parts])
    penalty = np.concatenate([x[5] for x in parts])  # slow or reopened tickets
    # nothing after the end date, and no answers from accounts that have left (a CSAT survey
    # for a ticket resolved after churn goes unanswered)
    keep = (when < (w.end_day + 1) * _SECONDS_PER_DAY) & _alive_on(w, acc, when // _SECONDS_PER_DAY)
    acc, kind, touch, when, health, penalty = (
        x[keep] for x in (acc, kind, touch, when, health, penalty)
    )
    order = np.lexsort((np.arange(len(acc)), acc, when))
    acc, kind, touch, when, health, penalty = (
        x[order] for x in (acc, kind, touch, when, health, penalty)
    )

    m = len(acc)
    score = _survey_scores(rng, kind, health, penalty)
    respondent = w.emails[w.contact_first[acc] + (rng.random(m) * w.contacts[acc]).astype(np.int64)]
    comment = _comments(w, rng, acc, kind, touch, score, when)
    return pd.DataFrame(
        {
            "response_no": np.arange(1, m + 1),
            "account_id": pd.Categorical.from_codes(acc, w.account_ids),
            "respondent": respondent,
            "survey_type": pd.Categorical.from_codes(kind, SURVEY_TYPES),
            "score": score.astype(np.int32),
            "scale": SURVEY_SCALE[kind].astype(np.int16),
            "comment": comment,
            "responded_at": _timestamps(when),
            "touchpoint": pd.Categorical.from_codes(touch, TOUCHPOINTS),
        }
    )


def _alive_on(w: _World, acc: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Return whether each account was a paying customer on the day (days after the end
    date count as the last month's)."""
    K = w.alive.shape[1]
    k = (w.cell_start[acc] <= day[:, None]).sum(axis=1) - 1
    return w.alive[acc, np.clip(k, 0, K - 1)] & (k >= 0)


def _nps_answers(w: _World, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Return (account, survey type, touchpoint, seconds, health, penalty) of survey answers
    sent on a schedule: relationship NPS every few months to several contacts, NPS and CES one
    month after signup, NPS a month before each annual renewal."""
    acc, k = w.alive_cells()
    n = len(acc)
    phase = _rng(w.seed, _S_SURVEYS, 1).integers(0, w.params.nps_every, w.n)[acc]
    wave = (k >= 3) & ((k - phase) % w.params.nps_every == 0)
    wave_answers = np.where(wave, rng.binomial(w.contacts[acc], 0.3), 0)
    onboarding = (k == 1) & (rng.random(n) < 0.45)
    onboarding_ces = (k == 2) & (rng.random(n) < 0.25)
    renewal = w.annual[acc] & (k % 12 == 11) & (rng.random(n) < 0.4)
    counts = [wave_answers, onboarding, onboarding_ces, renewal]
    kinds, touches = [0, 0, 2, 0], [0, 1, 1, 3]
    cells = [np.repeat(np.arange(n), c.astype(np.int64)) for c in counts]
    cell = np.concatenate(cells)
    kind = np.concatenate([np.full(len(c), s) for c, s in zip(cells, kinds, strict=True)])
    touch = np.concatenate([np.full(len(c), s) for c, s in zip(cells, touches, strict=True)])
    a, b = w.cell_start[acc[cell], k[cell]], w.cell_stop[acc[cell], k[cell]]
    # answers come in over the two weeks after the survey goes out
    day = a + (rng.random(len(cell)) * np.minimum(14, b - a)).astype(np.int64)
    seconds = day * _SECONDS_PER_DAY + _seconds_in_day(rng, w.region[acc[cell]], 0.8)
    return (acc[cell], kind, touch, seconds, w.health[acc[cell], k[cell]], np.zeros(len(cell)))


def _ticket_answers(w: _World, t: _Tickets, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Return the same columns as `_nps_answers` for CSAT and CES answers a few hours after a
    resolved ticket (touchpoint support)."""
    m = len(t.account)
    u = rng.random(m)
    csat = t.closed & (u < w.params.csat_share)
    ces = t.closed & (u >= w.params.csat_share) & (u < w.params.csat_share + w.params.ces_share)
    pick = csat | ces
    kind = np.where(csat, 1, 2)[pick]
    delay = np.round(rng.lognormal(np.log(4), 1.0, m) * 3600).astype(np.int64)[pick]
    penalty = (0.4 * (t.resolution_h > 72) + 0.4 * t.reopened)[pick]
    return (
        t.account[pick],
        kind,
        np.full(len(kind), 2),
        t.resolved[pick] + delay,
        t.health[pick],
        penalty,
    )


def _survey_scores(
    rng: np.random.Generator, kind: np.ndarray, health: np.ndarray, penalty: np.ndarray
) -> np.ndarray:
    """Return integer scores in range for each survey type: NPS 0-10, CSAT 1-5, CES 1-7,
    higher for healthier accounts, lower after slow or reopened tickets."""
    noise = rng.normal(0, 1, len(kind))
    angry = rng.integers(0, 4, len(kind))  # some unhappy customers answer 0-3, not 5
    nps = np.clip(np.round(1.7 + 10.0 * health + 1.5 * noise), 0, 10)
    nps = np.where((health < 0.45) & (rng.random(len(kind)) < 0.25), angry, nps)
    csat = np.clip(np.round(3.15 + 2.3 * health - penalty + 0.85 * noise), 1, 5)
    ces = np.clip(np.round(2.4 + 4.2 * health - penalty + 1.1 * noise), 1, 7)
    return np.select([kind == 0, kind == 1], [nps, csat], ces).astype(np.int64)


def _comments(
    w: _World,
    rng: np.random.Generator,
    acc: np.ndarray,
    kind: np.ndarray,
    touch: np.ndarray,
    score: np.ndarray,
    when: np.ndarray,
) -> np.ndarray:
    """Return a comment per answer (None for about half): a theme weighted by tone, touchpoint,
    segment and the price rise, and a wording of that theme in the score's tone."""
    m = len(acc)
    low = np.select([kind == 0, kind == 1], [score <= 6, score <= 2], score <= 3)
    high = np.select([kind == 0, kind == 1], [score >= 9, score >= 4], score >= 6)
    tone = np.where(low, 0, np.where(high, 2, 1))  # neg, mix, pos
    has = rng.random(m) < np.where(low, 0.62, 0.45)
    weights = np.where((tone == 2)[:, None], THEME_WEIGHT_POS, THEME_WEIGHT_NEG).copy()
    weights[touch == 2, 2] *= 4.0  # support answers talk about support
    weights[touch == 1, 1] *= 4.0  # onboarding answers about onboarding
    seg = w.segment[acc]
    weights[seg == 0, 0] *= 1.6  # small customers mind the price
    weights[seg == 2, 4] *= 1.8  # enterprises need integrations
    day = when // _SECONDS_PER_DAY
    after_rise = (day >= w.price_change_day) & (day < w.price_change_day + 240) & (tone == 0)
    weights[after_rise, 0] *= 2.5
    theme = _pick_rows(rng, weights)
    variant = rng.integers(0, 1 << 30, m)
    tones = ("neg", "mix", "pos")
    out = np.full(m, None, dtype=object)
    for i in np.flatnonzero(has):
        options = COMMENTS[THEMES[theme[i]]][tones[tone[i]]]
        out[i] = options[variant[i] % len(options)]
    return out


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


# ----------------------------------------------------------------------------------------------
# Writing

# SQL for columns the frames carry as numbers; identifiers come from schema.TABLES only.
_ID_SQL = {
    "tickets": {"ticket_id": "printf('T%07d', ticket_no)"},
    "survey_responses": {"response_id": "printf('R%06d', response_no)"},
    "orders": {"order_id": "printf('O%06d', order_no)"},
}


def _insert(cur: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> int:
    """Insert a frame into a canonical table in one statement, columns in schema order and cast
    to their canonical types; return the rows inserted."""
    cols = schema.TABLES[table].columns
    exprs = _ID_SQL.get(table, {})
    select = ", ".join(f"CAST({exprs.get(c.name, c.name)} AS {c.type})" for c in cols)
    names = ", ".join(c.name for c in cols)
    cur.register("demo_frame", frame)
    try:
        cur.execute(f"INSERT INTO {table} ({names}) SELECT {select} FROM demo_frame")
    finally:
        cur.unregister("demo_frame")
    return len(frame)


def _insert_attributes(cur: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> int:
    """Insert the custom attribute rows; return how many."""
    cur.register("demo_frame", frame)
    try:
        cur.execute(
            "INSERT INTO account_attributes (account_id, attribute, value) "
            "SELECT CAST(account_id AS VARCHAR), CAST(attribute AS VARCHAR), "
            "CAST(value AS VARCHAR) FROM demo_frame"
        )
    finally:
        cur.unregister("demo_frame")
    return len(frame)


def _now() -> datetime:
    """Return the current UTC time, naive (the loads log stores UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)


def generate(
    store: Store,
    size: str = "small",
    end: date | None = None,
    seed: int = 42,
    progress: Progress | None = None,
) -> dict[str, int]:
    """(Re)create the demo data set in the store's canonical tables; returns rows per table.

    Replaces accounts, subscriptions, survey_responses, tickets, usage_events, orders, targets
    and account_attributes in one transaction (all or nothing), bumps the data version, logs the
    load and checkpoints. `end` (default: yesterday) is the last day of data; `progress`, when
    given, is called as progress(fraction 0-1, message)."""
    if size not in SIZES:
        raise ValueError(f"unknown demo size {size!r}; choose one of {', '.join(SIZES)}")
    end = end or date.today() - timedelta(days=1)
    report = progress or (lambda fraction, message: None)
    started = _now()
    report(0.0, "simulating accounts")
    world = _simulate(SIZES[size], end, seed)

    counts = dict.fromkeys([*schema.TABLES, "account_attributes"], 0)
    cur = store.cursor()
    try:
        cur.execute("BEGIN TRANSACTION")
        try:
            for table in counts:
                cur.execute(f"DELETE FROM {table}")  # names from schema.TABLES only
            for table, frame, done in _table_frames(world):
                if table == "account_attributes":
                    counts[table] += _insert_attributes(cur, frame)
                else:
                    counts[table] += _insert(cur, table, frame)
                report(0.05 + 0.9 * done, f"writing {table} ({counts[table]:,} rows)")
            rollup.refresh(cur)
            bump_data_version(cur)
            _record_load(cur, size, counts, started)
            cur.execute("COMMIT")
        except BaseException:  # Streamlit stops scripts with non-Exception exceptions too
            _rollback(cur)
            raise
        report(0.97, "checkpoint")
        try:
            cur.execute("CHECKPOINT")
        except duckdb.TransactionException:
            # Another session holds a transaction open. The data is committed and durable in
            # the write-ahead log; the checkpoint happens at DuckDB's next automatic one.
            pass
    finally:
        cur.close()
    report(1.0, "done")
    return counts


def _rollback(cur: duckdb.DuckDBPyConnection) -> None:
    """Roll back the cursor's transaction; a failed COMMIT has already ended it."""
    try:
        cur.execute("ROLLBACK")
    except duckdb.TransactionException:
        pass


def _table_frames(w: _World) -> Iterator[tuple[str, pd.DataFrame, float]]:
    """Yield (table, frame, share of the work done) for every table, one frame at a time so
    that only one is held in memory; usage events come in batches of accounts."""
    yield "accounts", _accounts_frame(w), 0.01
    yield "account_attributes", _attributes_frame(w), 0.01
    yield "subscriptions", _subscriptions_frame(w), 0.02
    tickets = _simulate_tickets(w)
    yield "tickets", _tickets_frame(w, tickets), 0.08
    yield "survey_responses", _surveys_frame(w, tickets), 0.12
    del tickets
    yield "orders", _orders_frame(w), 0.13
    yield "targets", _targets_frame(w), 0.13
    for done, frame in _usage_batches(w):
        yield "usage_events", frame, 0.13 + 0.87 * done


def _record_load(
    cur: duckdb.DuckDBPyConnection, size: str, counts: dict[str, int], started: datetime
) -> None:
    """Log the demo load in the loads table (inside the caller's transaction)."""
    rows = sum(counts.values())
    cur.execute(
        "INSERT INTO loads (load_id, table_name, file_name, sha256, mode, rows_in_file, "
        "rows_loaded, rows_rejected, rows_skipped_duplicate, orphans, outcome, message, "
        "loaded_by, started_at, finished_at) "
        "VALUES (nextval('load_id_seq'), 'all', ?, NULL, 'replace', ?, ?, 0, 0, 0, 'loaded', ?, "
        "'csm demo', ?, ?)",
        [f"demo:{size}", rows, rows, f"demo data set {size!r}", started, _now()],
    )


# ----------------------------------------------------------------------------------------------
# CSV export (the "download demo data" button)

_CSV_CHUNK_VECTORS = 100  # DuckDB vectors (2,048 rows each) per chunk written


def _csv_chunks(cur: duckdb.DuckDBPyConnection, table: str) -> Iterator[str]:
    """Yield a table as CSV text, header first: canonical columns (accounts also carry their
    custom attribute columns), values as DuckDB prints them (ISO dates, 'true'/'false'), empty
    for null. Large tables are read in chunks."""
    cols = schema.TABLES[table].column_names
    select = ", ".join(f"CAST({c} AS VARCHAR) AS {c}" for c in cols)  # names from schema
    if table == "accounts":
        yield _accounts_csv(cur, select)
        return
    cur.execute(f"SELECT {select} FROM {table}")
    yield _csv_text(cur.fetch_df_chunk(_CSV_CHUNK_VECTORS), header=True)
    while not (chunk := cur.fetch_df_chunk(_CSV_CHUNK_VECTORS)).empty:
        yield _csv_text(chunk, header=False)


def _csv_text(frame: pd.DataFrame, header: bool) -> str:
    """Return a frame as CSV text (minimal quoting, \\n line ends, empty for null)."""
    buf = io.StringIO()
    frame.to_csv(buf, index=False, header=header, lineterminator="\n")
    return buf.getvalue()


def _accounts_csv(cur: duckdb.DuckDBPyConnection, select: str) -> str:
    """Return the accounts table as CSV with one extra column per custom attribute."""
    accounts = cur.execute(f"SELECT {select} FROM accounts").df()
    attrs = cur.execute(
        "SELECT account_id, attribute, value FROM account_attributes ORDER BY attribute"
    ).df()
    if not attrs.empty:
        wide = attrs.pivot_table(
            index="account_id", columns="attribute", values="value", aggfunc="first", sort=True
        )
        wide.columns = [str(c) for c in wide.columns]
        extra = [c for c in wide.columns if c not in accounts.columns]
        accounts = accounts.merge(wide[extra], left_on="account_id", right_index=True, how="left")
    return _csv_text(accounts, header=True)


def _non_empty_tables(cur: duckdb.DuckDBPyConnection) -> list[str]:
    """Return the canonical tables that hold rows, in schema order."""
    return [t for t in schema.TABLES if cur.execute(f"SELECT count(*) FROM {t}").fetchone()[0] > 0]


def write_csvs(cur: duckdb.DuckDBPyConnection, out_dir: Path) -> list[Path]:
    """Write one CSV per non-empty canonical table into out_dir (created if needed); return the
    paths written, in schema order."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for table in _non_empty_tables(cur):
        path = out_dir / f"{table}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            for text in _csv_chunks(cur, table):
                fh.write(text)
        paths.append(path)
    return paths


def demo_zip_bytes(cur: duckdb.DuckDBPyConnection) -> bytes:
    """Return a zip, built in memory, holding one CSV per non-empty canonical table."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for table in _non_empty_tables(cur):
            # a fixed timestamp keeps the zip identical for identical data
            info = zipfile.ZipInfo(f"{table}.csv", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w") as raw, io.TextIOWrapper(raw, "utf-8", newline="") as fh:
                for text in _csv_chunks(cur, table):
                    fh.write(text)
    return buf.getvalue()
