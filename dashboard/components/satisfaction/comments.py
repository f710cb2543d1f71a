"""Satisfaction page, what customers say: comment themes with their impact on NPS (click a
theme to read its comments) and the comment explorer (search, category, segment, period).
Runs as a fragment: typing a search reruns this panel only. No SQL here."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import context
from dashboard.components.table import columns
from dashboard.components.text import md_escape
from metrics import export, fmt, themes
from metrics.periods import next_period
from metrics.query import Query
from render import charts

CATEGORIES = {"Promoters": "promoter", "Passives": "passive", "Detractors": "detractor"}


def _period_choices(q: Query, grain: str) -> dict[str, tuple]:
    """'whole window' and each period of the window -> (start, end) (end exclusive)."""
    out: dict[str, tuple] = {"whole window": (None, None)}
    frame = context.metric("nps", q)
    for p, partial in zip(frame["period"], frame["partial"], strict=True):
        label = fmt.period(p, grain) + (" (partial)" if partial else "")
        out[label] = (p, next_period(p, grain))
    return out


def _theme_clicked(event, names: tuple[str, ...]) -> None:
    """A click on a bar of the impact chart selects that theme (before the pills are drawn)."""
    points = (event or {}).get("selection", {}).get("points", []) if event else []
    clicked = next((p.get("customdata") for p in points if p.get("customdata") in names), None)
    if clicked and clicked != st.session_state.get("_sat_theme_click"):
        st.session_state["sat_theme"] = clicked
    st.session_state["_sat_theme_click"] = clicked


def _theme_summary(tf: pd.DataFrame, ts: themes.ThemeSet, theme: str) -> None:
    row = tf[tf["theme"] == theme]
    spec = next(t for t in ts.themes if t.name == theme)
    if row.empty:
        return
    r = row.iloc[0]
    impact = fmt.change(r["impact"], "points")
    st.markdown(f"**Theme: {md_escape(theme)}** — {fmt.plural(r['responses'], 'response')} "
                f"({fmt.value(r['share'], 'fraction')} of all) · NPS of the theme "
                f"{fmt.value(r['nps'], 'points')} · impact on NPS {impact}")
    rules = ", ".join([*spec.keywords, *spec.patterns])
    st.caption(f"{md_escape(spec.description)}. Rules: {md_escape(rules)}."
               if spec.description else f"Rules: {md_escape(rules)}.")


@st.fragment
def themes_and_comments(q: Query, grain: str, segments: list[str]) -> None:
    """Themes (table, impact chart) and the comment explorer for the window of `q`."""
    ts = themes.load_themes()
    qa = q.with_(grain="all").with_setting("themes_version", ts.fingerprint)
    tf = context.metric("nps_themes", qa)
    st.subheader("Themes")
    st.caption(f"Keyword rules from `metrics/themes.yaml` (version {md_escape(ts.version)}, "
               f"fingerprint {ts.fingerprint}), matched on this machine. Impact = NPS of all − "
               "NPS without the theme's responses: negative means the theme pulls NPS down. A "
               "comment can belong to several themes.")
    if tf.empty or int(tf["responses"].sum()) == 0:
        st.info("No NPS comment in the selected window matches a theme.")
    else:
        left, right = st.columns([1, 1])
        with left:
            event = st.plotly_chart(charts.plot_theme_impact(tf, title="Impact on NPS by "
                                                             "theme (click a bar)"),
                                    key="sat_theme_chart", on_select="rerun",
                                    selection_mode="points")
            _theme_clicked(event, ts.names)
        with right:
            st.dataframe(pd.DataFrame({
                "theme": tf["theme"], "responses": tf["responses"],
                "share": [fmt.value(v, "fraction") for v in tf["share"]],
                "NPS": [fmt.value(v, "points") for v in tf["nps"]],
                "impact": [fmt.change(v, "points") for v in tf["impact"]],
            }), hide_index=True, width="stretch", key="sat_theme_table")
    theme = st.pills("Read the comments of a theme", list(ts.names), key="sat_theme")

    st.subheader("Comments")
    c1, c2 = st.columns([1, 1])
    search = c1.text_input("Search the comments", key="sat_search",
                           placeholder="a word, or an account name")
    cats = c2.pills("Category", list(CATEGORIES), selection_mode="multi", key="sat_cat")
    c3, c4 = st.columns([1, 1])
    segs = c3.multiselect("Segment", segments, key="sat_seg", placeholder="All")
    periods = _period_choices(q, grain)
    period = c4.selectbox("Period", list(periods), key="sat_period")
    start, end = periods.get(period, (None, None))
    qc = q.with_(grain="all")
    if start is not None:
        qc = qc.with_(start=start, end=end)
    if segs:
        qc = qc.with_(segment=tuple(segs))
    for name, value in (("comment_search", search.strip()),
                        ("comment_categories", tuple(CATEGORIES[c] for c in cats or ())),
                        ("comment_theme", theme or ""),
                        ("themes_version", ts.fingerprint)):
        if value:
            qc = qc.with_setting(name, value)
    df = context.metric("nps_comments", qc)
    if theme and not tf.empty:
        _theme_summary(tf, ts, theme)
    if df.empty:
        st.info("No comment matches these filters.")
        return
    total = int(df["matching"].iloc[0])
    st.caption(f"{fmt.plural(total, 'comment')} match; showing the {len(df):,} newest."
               if total > len(df) else f"{fmt.plural(total, 'comment')} match.")
    st.plotly_chart(charts.plot_comment_points(df, title="Comments by date and score (hover to "
                                               "read)"), key="sat_comment_chart")
    shown = df[["responded_at", "account_name", "account_id", "score", "category", "themes",
                "comment", "segment", "touchpoint", "respondent"]]
    st.dataframe(shown, hide_index=True, width="stretch", key="sat_comment_table",
                 column_config=columns(shown, **{
                     "responded_at": st.column_config.DatetimeColumn("answered",
                                                                     format="YYYY-MM-DD"),
                     "account_name": "account",
                     "comment": st.column_config.TextColumn("comment", width="large"),
                 }))
    st.download_button("Download these comments (CSV)", export.csv_bytes(shown),
                       file_name="nps_comments.csv", mime="text/csv", key="sat_comment_csv",
                       icon=":material/download:")

