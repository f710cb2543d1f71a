"""Satisfaction page, the scores: headline cards (NPS, CSAT, CES for the window with interval,
counts and the change against the previous window), the trend with its significance marks,
the promoter/passive/detractor mix, the league table by group and the score distribution.
No SQL here: frames come from `dashboard.context`."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import context
from dashboard.components.kpi_card import kpi_card
from dashboard.components.satisfaction import state as sat_state
from dashboard.components.text import md_escape
from metrics import benchmarks, fmt, registry
from metrics.kpis import satisfaction
from metrics.query import Query, previous_window
from render import charts

METRICS = {"NPS": "nps", "CSAT": "csat", "CES": "ces"}
# label, unit and headline column of each: the metric specs (registry.column)
NPS_BAND_KEYS = ("nps_band_good", "nps_band_excellent", "nps_band_world_class")




def counts_text(name: str, row: pd.Series) -> str:
    """The counts behind a survey score ("377 promoters · 186 passives · 111 detractors of
    674")."""
    n = int(row["responses"])
    if name == "nps":
        return (f"{int(row['promoters']):,} promoters · {int(row['passives']):,} passives · "
                f"{int(row['detractors']):,} detractors of {n:,}")
    if name == "csat":
        return f"{int(row['satisfied']):,} satisfied of {n:,}"
    return fmt.plural(n, "response")


def interval_text(name: str, row: pd.Series) -> str:
    """Return the 95% interval of a survey score as text ('not enough responses' without one)."""
    unit = registry.column(name).unit
    if fmt.number(row["ci_low"]) is None:
        return "95% CI: not enough responses"
    return (f"95% CI {fmt.value(row['ci_low'], unit)} – "
            f"{fmt.value(row['ci_high'], unit)}")


def short_source(entry: dict) -> str:
    """'Retently, 2025 (weak source)': the source's name and year, for a label on a chart."""
    name = str(entry["source"]).split(",")[0].split(" (")[0].strip()
    weak = " (weak source)" if "weak" in str(entry["source"]).lower() else ""
    return f"{name}, {entry['year']}{weak}"


def benchmark_entries(metric: str) -> list[dict]:
    """Benchmark ranges of `metric` (not the NPS rule-of-thumb bands)."""
    return [b for k, b in benchmarks.load_benchmarks().items()
            if b["metric"] == metric and "lo" in b and k not in NPS_BAND_KEYS]


def benchmark_bands(metric: str) -> list[tuple[float, float, str]]:
    """(lo, hi, label with its source) of each benchmark range of `metric`."""
    return [(float(b["lo"]), float(b["hi"]), f"{b['label']} · {short_source(b)}")
            for b in benchmark_entries(metric)]


def nps_refs(frame: pd.DataFrame) -> tuple[list[tuple[float, str]], str]:
    """Rule-of-thumb NPS band edges near the data (lines) and the caption naming their source."""
    marks = benchmarks.load_benchmarks()
    entries = [marks[k] for k in NPS_BAND_KEYS if k in marks]
    lo = frame["ci_low"].min() if len(frame) else 0
    hi = frame["ci_high"].max() if len(frame) else 0
    refs = [(float(e["lo"]), e["label"]) for e in entries
            if pd.notna(lo) and lo - 15 <= float(e["lo"]) <= hi + 15]
    note = ""
    if entries:
        note = ("NPS bands: " + ", ".join(e["label"].removeprefix("NPS ") for e in entries)
                + f" — {benchmarks.cite(entries[0])}.")
    return refs, note


def window_text(q: Query) -> str:
    """Return the window a whole-window card covers, for its label: '1 Dec 2025 – 30 Nov
    2026' (the Overview's cards show one period; these show the window)."""
    return fmt.span(q.start, q.end) if q.start and q.end else "all time"


def headline(q: Query) -> None:
    """Three cards: NPS, CSAT and CES over the whole window, with interval, counts, the
    change against the previous window of equal length (with its test) and the conventions."""
    qa = q.with_(grain="all")
    cols = st.columns(3)
    for col, name in zip(cols, ("nps", "csat", "ces"), strict=True):
        frame = context.metric(name, qa)
        trend = context.metric(name, q)
        cur = frame.iloc[0] if len(frame) else None
        with col:
            if cur is None or int(cur["responses"]) == 0:
                kpi_card(name, None, None, pd.Series([], dtype=float), period_label="window",
                         label=registry.column(name).label)
                st.caption("No responses in the window.")
                continue
            prev_frame = context.metric(name, previous_window(qa))
            prev = prev_frame.iloc[0] if len(prev_frame) else None
            notes = [interval_text(name, cur), counts_text(name, cur)]
            if bool(cur["partial"]):
                prev = None
                notes.append("the window runs past as-of (partial): not compared")
            elif prev is not None and int(prev["responses"]) == 0:
                prev = None
                notes.append("no responses in the previous window: not compared")
            if name == "nps":
                notes.append(sat_state.basis_text(q))
            elif name == "csat":
                notes.append(sat_state.threshold_text(q))
            test = satisfaction.change_test(name, prev, cur) if prev is not None else None
            complete = trend[~trend["partial"]] if len(trend) else trend
            days = (qa.end - qa.start).days if qa.start and qa.end else None
            kpi_card(name, cur, prev, complete[registry.get(name).headline] if len(complete) else
                     pd.Series([], dtype=float),
                     period_label=f"{days} days" if days else "window",
                     significance=(test[2], test[1]) if test else None,
                     convention=" · ".join(notes),
                     label=f"{registry.column(name).label} · {window_text(qa)}")



def _targets(name: str, q: Query) -> pd.DataFrame | None:
    """Targets of the metric for everyone, or for the one segment filtered (as on Overview)."""
    if name not in ("nps", "csat") or len(q.segment) > 1:
        return None
    return context.targets(name, q.segment[0] if q.segment else None)


def trend(q: Query, grain: str) -> None:
    """The chosen score by period: band, target, benchmark, partial period, significance."""
    choice = st.segmented_control("Score", list(METRICS), default="NPS", key="sat_trend_metric")
    name = METRICS[choice or "NPS"]
    frame = context.metric(name, q)
    if frame.empty or int(frame["responses"].sum()) == 0:
        st.info(f"No {choice} responses in the selected window.")
        return
    changes = satisfaction.with_changes(frame, name)
    refs, note = nps_refs(changes) if name == "nps" else ([], "")
    bands = benchmark_bands(name)
    col = registry.column(name)
    fig = charts.plot_survey_trend(changes, col.name, title=f"{col.label} by {grain}",
                                   unit=col.unit, targets=_targets(name, q), bands=bands,
                                   refs=refs)
    st.plotly_chart(fig, key="sat_trend_chart")
    conv = {"nps": sat_state.basis_text(q), "csat": sat_state.threshold_text(q)}.get(name, "")
    st.caption(" ".join(x for x in [
        "Shaded: 95% interval. ▲/▼: a change against the previous period that is real "
        "(p < 0.05); other changes are noise. The partial period (hollow, dotted) is not "
        "compared." + (f" {conv.capitalize()}." if conv else ""),
        note,
        "Benchmarks are context, not targets: " + "; ".join(
            f"{b['label']} — {benchmarks.cite(b)}" for b in benchmark_entries(name)) + "."
        if bands else "",
    ] if x))
    unit = registry.column(name).unit
    table = pd.DataFrame({
        "period": changes["period"],
        choice: [fmt.value(v, unit) for v in changes[registry.get(name).headline]],
        "95% CI": [("—" if pd.isna(lo) else f"{fmt.value(lo, unit)} – "
                    f"{fmt.value(hi, unit)}")
                   for lo, hi in zip(changes["ci_low"], changes["ci_high"], strict=True)],
        "responses": changes["responses"],
        "change": [_change_text(c, unit) for c in changes["change"]],
        "verdict": [_verdict(r) for r in changes.itertuples(index=False)],
        "small n": changes["small_n"],
    })
    st.dataframe(table, hide_index=True, width="stretch", key="sat_trend_table")
    if name == "nps":
        st.plotly_chart(charts.plot_category_mix(frame, title=f"Promoters, passives and "
                                                 f"detractors by {grain}"), key="sat_mix_chart")


def _change_text(c, unit: str) -> str:
    return "" if pd.isna(c) else fmt.change(c, unit)


def _verdict(r) -> str:
    if bool(r.partial):
        return "partial: not compared"
    if not r.compared:
        return "—"
    return f"real change (p = {r.p_value:.3f})" if r.significant else f"noise (p = {r.p_value:.2f})"


def dimension_options(options: dict[str, list[str]]) -> list[str]:
    """Dimensions a league can group by: segment, touchpoint, the other account dimensions and
    the custom attributes usable as filters."""
    attrs = sorted({a.partition(": ")[0] for a in options.get("attr", [])})
    return ["segment", "touchpoint", "region", "plan", "csm_owner", "lifecycle_stage",
            "industry", *attrs]


def league(q: Query, dims: list[str]) -> None:
    """A league table of one score by the chosen dimension, with intervals and ties."""
    c1, c2 = st.columns([1, 2])
    with c1:
        sat_state.init("sat_by", dims)
        by = st.selectbox("Compare by", dims, key="sat_by",
                          help="Any account dimension, the survey touchpoint, or a custom "
                               "attribute of your accounts file.")
        sat_state.remember("sat_by")
    with c2:
        choice = st.segmented_control("Compare", list(METRICS), default="NPS",
                                      key="sat_league_metric") or "NPS"
    name = METRICS[choice]
    frame = context.metric(name, q.with_(grain="all", by=by))
    frame = frame[frame["responses"] > 0] if len(frame) else frame
    if frame.empty:
        st.info(f"No {choice} responses to compare by {md_escape(by)} in the selected window.")
        return
    table = satisfaction.league_table(frame, name, by)
    col = registry.column(name)
    st.plotly_chart(charts.plot_forest(table, by, col.name, title=f"{col.label} by {by}",
                                       unit=col.unit),
                    key="sat_league_chart")
    unit = registry.column(name).unit
    shown = pd.DataFrame({
        by: table[by].astype(object).where(table[by].notna(), "(none)"),
        "rank": table["rank"],
        choice: [fmt.value(v, unit) for v in table[registry.get(name).headline]],
        "95% CI": [("—" if pd.isna(lo) else f"{fmt.value(lo, unit)} – "
                    f"{fmt.value(hi, unit)}")
                   for lo, hi in zip(table["ci_low"], table["ci_high"], strict=True)],
        "responses": table["responses"],
        "tied with": table["tied_with"],
        "small n": table["small_n"],
    })
    st.dataframe(shown, hide_index=True, width="stretch", key="sat_league_table")
    st.caption("Rank = 1 + the groups whose whole interval is above this one's. Groups whose "
               "95% intervals overlap are tied: the data cannot tell them apart. Grey points "
               "and *small n*: fewer than 30 responses.")


def distribution(q: Query) -> None:
    """The NPS score distribution of the window, 0-10, coloured by category."""
    frame = context.metric("nps_distribution", q.with_(grain="all"))
    if frame.empty or int(frame["responses"].sum()) == 0:
        st.info("No NPS responses in the selected window.")
        return
    st.plotly_chart(charts.plot_score_distribution(
        frame, title=f"NPS score distribution ({fmt.plural(frame['responses'].sum(), 'response')}, "
                     f"{sat_state.basis_text(q)})"), key="sat_distribution_chart")
