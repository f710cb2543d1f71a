"""Closed-loop feedback: `followup_share`, the share of the answers needing a follow-up (NPS
detractors, CSAT of 2 or less) that someone contacted within 7 days (metrics/actions/followup.py
records the contacts)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from metrics.kpis import empty_frame, finish, prepare, run_sql
from metrics.query import Query
from metrics.spec import MetricSpec, SettingSpec, col, dtypes

FOLLOWUP_DAYS_DEFAULT = 7

FOLLOWUP_SHARE_COLS = (
    col("due_answers", "int64", "Answers due a follow-up", "responses", None,
        "detractors and low CSAT answers contacted in time or whose days have passed"),
    col("followed_up", "int64", "Followed up in time", "responses", "up",
        "contacted within followup_days days of the answer"),
    col("pending_answers", "int64", "Still within their days", "responses", None,
        "not contacted yet, answered less than followup_days days before as-of"),
    col("followup_share", "float64", "Followed up within 7 days", "fraction", "up",
        "followed_up ÷ due_answers"),
)
FOLLOWUP_SHARE_COLUMNS = dtypes(FOLLOWUP_SHARE_COLS)


def followup_days(q: Query) -> int:
    """Return `followup_days`: the days after an answer within which a contact counts (7)."""
    raw = q.setting("followup_days", FOLLOWUP_DAYS_DEFAULT)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValueError(f"followup_days must be a whole number of days, not {raw!r}") from None
    if value < 1 or value != float(raw):
        raise ValueError(f"followup_days must be a whole number of days >= 1, not {raw!r}")
    return value


def followup_share(cur, q: Query) -> pd.DataFrame:
    """Share of the answers needing a follow-up that were followed up in time, per period.

    Answers needing one: NPS 0-6 and CSAT ≤ 2 (≤ 4 on the 1-10 scale), by the period of the
    answer. followed_up = contacted (feedback_followups.contacted_at) within `followup_days`
    (default 7) days of the answer; due_answers = followed_up + the answers whose days ended by
    as-of; pending_answers = the rest (answered less than followup_days days before as-of, not
    contacted yet: not judged yet); followup_share = followed_up ÷ due_answers, null when
    nothing is due.

    Columns: period, partial, [by], due_answers, followed_up, pending_answers, followup_share.
    """
    dim, frame = prepare(cur, q, "followup_share", ("survey_responses",), "survey_responses")
    if frame is None:
        return empty_frame(FOLLOWUP_SHARE_COLUMNS, dim)
    raw = run_sql(cur, "followup_share", {**frame.params, "followup_days": followup_days(q)})
    if raw.empty:
        return empty_frame(FOLLOWUP_SHARE_COLUMNS, dim)
    num, den = raw["followed_up"].to_numpy(float), raw["due_answers"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        raw["followup_share"] = np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
    return finish(raw, FOLLOWUP_SHARE_COLUMNS, dim)


SPECS = (
    MetricSpec(
        name="followup_share",
        label="Detractors followed up",
        definition=(
            "Share of NPS detractors and CSAT answers of 2 or less that someone contacted "
            "within 7 days of the answer (closed-loop feedback)."
        ),
        formula=(
            "share = answers contacted within followup_days (7) days ÷ (those + answers whose "
            "followup_days days ended by as-of without a contact)"
        ),
        fn=followup_share,
        cols=FOLLOWUP_SHARE_COLS,
        headline="followup_share",
        query="followup_share",
        numerator="followed_up",
        denominator="due_answers",
        excluded="pending_answers",
        # a share of a few answers a week would only repeat the Tasks page's card as noise
        in_review=False,
        setting_specs=(
            SettingSpec("followup_days", "int", 7,
                        "days after an answer within which a contact counts as in time"),
        ),
    ),
)
