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

Modules: `constants` (sizes, vocabulary, random streams), `world` (the simulation and its
calendar), `frames` (accounts, attributes, subscriptions, orders, targets), `support` (tickets
and surveys), `usage` (usage events in batches), `write` (into the store; CSV and zip export).
"""

from metrics.demo.constants import (
    COMMENTS,
    REGIONS,
    SEGMENTS,
    SIZES,
    DemoSize,
    Progress,
)
from metrics.demo.write import demo_zip_bytes, generate, write_csvs

__all__ = [
    "COMMENTS", "REGIONS", "SEGMENTS", "SIZES", "DemoSize", "Progress", "demo_zip_bytes",
    "generate", "write_csvs",
]
