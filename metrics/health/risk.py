"""The at-risk lists of the Health page: red accounts whose score fell, and red accounts that
had no score to fall from (new, or without data 30 days ago: onboarding, not "falling")."""

from __future__ import annotations

import pandas as pd

WINDOW_DAYS = 30


def at_risk(scored: pd.DataFrame, before: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (falling, onboarding), each sorted by MRR at stake (mrr_now), largest first.

    `scored` are the accounts scored on as-of (health_accounts columns), `before` the scores
    WINDOW_DAYS earlier (account_id, score). Falling: red now and lower than a score it had
    then. Onboarding: red now with no score then (not yet an account, or no data for any
    component): a CSM starts those as onboarding work, not as a decline. Both get
    score_30d_ago and change_30d (NaN when there was no score)."""
    prior = before[["account_id", "score"]].rename(columns={"score": "score_30d_ago"})
    risk = scored.merge(prior, on="account_id", how="left")
    risk["change_30d"] = risk["score"] - risk["score_30d_ago"]
    red = risk[risk["band"] == "red"]
    falling = red[red["change_30d"] < 0]
    onboarding = red[red["score_30d_ago"].isna()]
    return (falling.sort_values("mrr_now", ascending=False).reset_index(drop=True),
            onboarding.sort_values("mrr_now", ascending=False).reset_index(drop=True))
