"""The at-risk lists: "falling" needs a score 30 days ago that was higher; red accounts with no
score then are onboarding, listed apart (7 of the top 10 "falling" were new sign-ups)."""

from __future__ import annotations

import pandas as pd

from metrics.health.risk import at_risk


def test_falling_needs_a_lower_score_than_30_days_ago_and_new_accounts_are_onboarding():
    scored = pd.DataFrame({
        "account_id": ["fell", "new", "flat", "rose", "yellow_fell", "no_data_then"],
        "band": ["red", "red", "red", "red", "yellow", "red"],
        "score": [20.0, 25.0, 30.0, 35.0, 50.0, 10.0],
        "mrr_now": [100.0, 900.0, 50.0, 70.0, 500.0, 300.0]})
    before = pd.DataFrame({"account_id": ["fell", "flat", "rose", "yellow_fell", "no_data_then"],
                           "score": [45.0, 30.0, 20.0, 70.0, float("nan")]})
    falling, onboarding = at_risk(scored, before)
    assert falling["account_id"].tolist() == ["fell"]
    assert falling["change_30d"].tolist() == [-25.0]
    assert onboarding["account_id"].tolist() == ["new", "no_data_then"]  # by MRR
    assert onboarding["score_30d_ago"].isna().all()
