"""The demo data set's sizes, vocabulary and random streams (index positions matter: the
simulation's arrays are indexed by these codes)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

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
