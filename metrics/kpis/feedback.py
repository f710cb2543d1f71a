"""What NPS respondents say: `nps_themes`, `nps_distribution`, `nps_comments` (METRICS.md,
"Loyalty and satisfaction").

All three read the NPS responses that count under `nps_basis` (the same ones `nps` counts), so a
theme's "NPS of all" is the `nps` of the same period and group. Themes come from the rules file
`metrics/themes.yaml` (`metrics.themes`), matched in DuckDB; no network, no model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from metrics import stats, themes
from metrics.kpis import empty_frame, finish, prepare, run_sql
from metrics.kpis.satisfaction import nps_basis
from metrics.query import Query
from metrics.spec import MetricSpec, SettingSpec, col, dtypes

NPS_THEMES_COLS = (
    col("theme", "object", "Theme", "text", None),
    col("responses", "int64", "Responses", "responses", "up"),
    col("share", "float64", "Share", "fraction", None, "theme responses ÷ all responses"),
    col("nps", "float64", "NPS of the theme", "points", "up"),
    col("impact", "float64", "Impact on NPS", "points", None,
        "NPS of all − NPS of all without the theme's responses"),
)
NPS_THEMES_COLUMNS = dtypes(NPS_THEMES_COLS)
NPS_DISTRIBUTION_COLS = (
    col("score", "int64", "Score", "score", None, "0–10"),
    col("category", "object", "Category", "text", None, "promoter, passive or detractor"),
    col("responses", "int64", "Responses", "responses", "up"),
    col("share", "float64", "Share", "fraction", None, "responses with the score ÷ all responses"),
)
NPS_DISTRIBUTION_COLUMNS = dtypes(NPS_DISTRIBUTION_COLS)
NPS_COMMENTS_COLS = (
    col("response_id", "object", "Response id", "text", None),
    col("responded_at", "datetime64[us]", "Answered", "date", None),
    col("account_id", "object", "Account id", "text", None),
    col("account_name", "object", "Account", "text", None),
    col("segment", "object", "Segment", "text", None),
    col("respondent", "object", "Respondent", "text", None),
    col("score", "int64", "Score", "score", None, "0–10"),
    col("category", "object", "Category", "text", None, "promoter, passive or detractor"),
    col("touchpoint", "object", "Touchpoint", "text", None),
    col("comment", "object", "Comment", "text", None),
    col("themes", "object", "Themes", "text", None),
    col("matching", "int64", "Matching comments", "responses", None,
        "comments passing the filters"),
)
NPS_COMMENTS_COLUMNS = dtypes(NPS_COMMENTS_COLS)
CATEGORIES = ("promoter", "passive", "detractor")
COMMENT_LIMIT_DEFAULT = 500


def category_of(score) -> np.ndarray:
    """Return the NPS category of each score: promoter 9-10, passive 7-8, detractor 0-6."""
    s = np.asarray(score, dtype=float)
    return np.select([s >= 9, s >= 7], ["promoter", "passive"], "detractor").astype(object)


def _nulls(df: pd.DataFrame, columns) -> pd.DataFrame:
    """Missing values of text columns as None (what the CLI prints as null)."""
    for c in columns:
        df[c] = df[c].astype(object).where(df[c].notna(), None)
    return df


def _nps_frame(cur, q: Query, metric: str, extra: dict | None = None):
    dim, frame = prepare(cur, q, metric, ("survey_responses",), "survey_responses")
    if frame is None:
        return dim, None
    params = {**frame.params, "survey_type": "nps", "nps_basis": nps_basis(q), **(extra or {})}
    return dim, run_sql(cur, metric, params)


def theme_set(q: Query) -> themes.ThemeSet:
    """Return the themes in force: the file of setting `themes_file`, else metrics/themes.yaml.

    (The dashboard also puts the file's fingerprint in the query's settings as `themes_version`,
    so an edited file invalidates cached results; the metric does not read it.)"""
    return themes.load_themes(q.setting("themes_file"))


def nps_themes(cur, q: Query) -> pd.DataFrame:
    """Comment themes of NPS responses per period: count, share, NPS and impact on NPS.

    Themes and their keyword/pattern rules come from `metrics/themes.yaml` (see the file for how
    to edit it), matched locally in SQL; a response belongs to every theme whose rule matches
    part of its comment; responses without a comment belong to none. Over the responses that
    count under `nps_basis` (as for `nps`), per theme: responses = responses in the theme;
    share = responses ÷ all responses of the period (and group); nps = 100 (P − D) ÷ responses
    of the theme; impact = NPS of all − NPS of all without the theme's responses (negative: the
    theme pulls NPS down). Every theme is output for every period, 0 responses giving null nps
    and impact 0; a period without responses gives null share and impact.

    Columns: period, partial, [by], theme, responses, share, nps, impact.
    """
    ts = theme_set(q)
    dim, raw = _nps_frame(cur, q, "nps_themes", ts.params())
    if raw is None or raw.empty:
        return empty_frame(NPS_THEMES_COLUMNS, dim)
    n, p, m, d = (raw[c].to_numpy(dtype=float)
                  for c in ("responses", "promoters", "passives", "detractors"))
    tn, tp, td = (raw[c].to_numpy(dtype=float)
                  for c in ("total_responses", "total_promoters", "total_detractors"))
    with np.errstate(divide="ignore", invalid="ignore"):
        raw["share"] = np.where(tn > 0, n / np.where(tn > 0, tn, 1), np.nan)
    raw["nps"] = stats.nps_score(p, m, d)
    nps_all = stats.nps_score(tp, tn - tp - td, td)
    rest_p, rest_d, rest_n = tp - p, td - d, tn - n
    nps_without = stats.nps_score(rest_p, rest_n - rest_p - rest_d, rest_d)
    raw["impact"] = np.asarray(nps_all) - np.asarray(nps_without)
    return finish(raw, NPS_THEMES_COLUMNS, dim)


def nps_distribution(cur, q: Query) -> pd.DataFrame:
    """How many NPS responses gave each score 0-10, per period, and the category of the score.

    Over the responses that count under `nps_basis`. Every score 0-10 is output, 0 when nobody
    gave it; share = responses ÷ all responses of the period (and group), null when there are
    none. Category: detractor 0-6, passive 7-8, promoter 9-10.

    Columns: period, partial, [by], score, category, responses, share.
    """
    dim, raw = _nps_frame(cur, q, "nps_distribution")
    if raw is None or raw.empty:
        return empty_frame(NPS_DISTRIBUTION_COLUMNS, dim)
    keys = ["period", "grp"]
    total = raw.groupby(keys, dropna=False)["responses"].transform("sum").to_numpy(dtype=float)
    n = raw["responses"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        raw["share"] = np.where(total > 0, n / np.where(total > 0, total, 1), np.nan)
    raw["category"] = category_of(raw["score"])
    return finish(raw, NPS_DISTRIBUTION_COLUMNS, dim)


def comment_filters(q: Query) -> dict:
    """Return the comment explorer's filters from the query's settings, validated:
    comment_search (text, '' = any), comment_categories (subset of promoter/passive/detractor,
    empty = all), comment_theme ('' = any), comment_limit (rows, default 500)."""
    cats = q.setting("comment_categories", ()) or ()
    if isinstance(cats, str):
        cats = (cats,)
    cats = tuple(str(c).strip().lower() for c in cats)
    bad = [c for c in cats if c not in CATEGORIES]
    if bad:
        raise ValueError(f"comment_categories must be among {', '.join(CATEGORIES)}, not {bad}")
    try:
        limit = int(q.setting("comment_limit", COMMENT_LIMIT_DEFAULT))
    except (TypeError, ValueError):
        raise ValueError("comment_limit must be a whole number") from None
    if limit < 1:
        raise ValueError("comment_limit must be at least 1")
    return {
        "search": str(q.setting("comment_search", "") or "").strip(),
        "categories": list(cats),
        "theme": str(q.setting("comment_theme", "") or ""),
        "limit": limit,
    }


def nps_comments(cur, q: Query) -> pd.DataFrame:
    """The comments of NPS responses in the window, newest first, for the comment explorer.

    Responses that count under `nps_basis` and have a comment, with the account's name and
    segment, the score and its category (promoter 9-10, passive 7-8, detractor 0-6), the
    touchpoint and the comment's themes ("; "-separated, in the themes file's order). Settings
    filter them: comment_search (case-insensitive text in the comment or the account name),
    comment_categories, comment_theme; at most comment_limit rows (default 500), newest first;
    `matching` is the number of comments passing the filters (the same on every row). One period:
    the whole window (the grain is ignored).

    Columns: period, partial, [by], response_id, responded_at, account_id, account_name,
    segment, respondent, score, category, touchpoint, comment, themes, matching.
    """
    ts = theme_set(q)
    f = comment_filters(q)
    dim, raw = _nps_frame(cur, q.with_(grain="all"), "nps_comments", {**ts.params(), **f})
    if raw is None or raw.empty:
        return empty_frame(NPS_COMMENTS_COLUMNS, dim)
    out = finish(raw, NPS_COMMENTS_COLUMNS, dim)
    return _nulls(out, [c for c, t in NPS_COMMENTS_COLUMNS.items() if t == "object"])


# The metrics of this module, described once (metrics.spec); the registry collects them.
SPECS = (
    MetricSpec(
        name="nps_themes",
        label="NPS comment themes",
        definition=(
            "Per comment theme (keyword rules in metrics/themes.yaml): NPS responses in the theme, "
            "their share, their NPS and the theme's impact on NPS."
        ),
        formula=(
            "share = theme responses ÷ all responses; nps = 100 × (P − D) ÷ n of the theme's "
            "responses; impact = NPS of all − NPS of all without the theme's responses"
        ),
        fn=nps_themes,
        cols=NPS_THEMES_COLS,
        headline="impact",
        query="nps_themes",
        setting_specs=(
            SettingSpec("nps_basis", "choice", "all",
                        "all responses, or the latest answer per respondent in the window",
                        ("all", "latest")),
        ),
        in_review=False,
    ),
    MetricSpec(
        name="nps_distribution",
        label="NPS score distribution",
        definition="How many NPS responses gave each score from 0 to 10, with its category.",
        formula=(
            "share = responses with the score ÷ all responses; detractor 0–6, passive "
            "7–8, promoter "
            "9–10"
        ),
        fn=nps_distribution,
        cols=NPS_DISTRIBUTION_COLS,
        headline="share",
        query="nps_distribution",
        setting_specs=(
            SettingSpec("nps_basis", "choice", "all",
                        "all responses, or the latest answer per respondent in the window",
                        ("all", "latest")),
        ),
        in_review=False,
    ),
    MetricSpec(
        name="nps_comments",
        label="NPS comments",
        definition=(
            "The comments of NPS responses in the window, newest first, with account, score, "
            "category and themes."
        ),
        formula=(
            "filters: comment_search (text in comment or account name), comment_categories, "
            "comment_theme; at most comment_limit rows; matching = comments passing the filters"
        ),
        fn=nps_comments,
        cols=NPS_COMMENTS_COLS,
        headline="matching",
        query="nps_comments",
        setting_specs=(
            SettingSpec("nps_basis", "choice", "all",
                        "all responses, or the latest answer per respondent in the window",
                        ("all", "latest")),
            SettingSpec("comment_limit", "int", 500,
                        "at most this many comments listed"),
        ),
        periods=False,
    ),
)
