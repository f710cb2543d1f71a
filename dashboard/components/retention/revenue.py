"""Retention & revenue page, subscription part: KPI cards, MRR and its movements (clickable),
churn / retention / NRR / GRR / ARPA / LTV / quick-ratio trends, and the same by any group."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from dashboard import context
from dashboard.components.kpi_card import card_target, kpi_card
from dashboard.components.table import show
from metrics import fmt, registry
from metrics.benchmarks import cite, load_benchmarks
from metrics.periods import next_period
from metrics.query import Query, page_query
from render import charts

# (metric, column): label, unit and direction are the column's spec
CARDS = [("mrr", "mrr"), ("mrr", "arpa"), ("nrr", "nrr"), ("grr", "grr"),
         ("quick_ratio", "quick_ratio"), ("logo_churn", "churn_rate"),
         ("revenue_churn", "gross_mrr_churn_rate"), ("revenue_churn", "net_mrr_churn_rate"),
         ("ltv", "ltv")]
BY_MEASURES = {c[1]: c for c in CARDS} | {"retention_rate": ("logo_churn", "retention_rate")}


def targets(name: str, q: Query) -> pd.DataFrame | None:
    """Return the team's targets of metric `name` (company-wide, or the one filtered
    segment's), None for a mix of segments."""
    if len(q.segment) > 1:
        return None
    return context.targets(name, q.segment[0] if q.segment else None)


def cards(q: Query, grain: str) -> None:
    """Draw the KPI cards: the last complete period against the one before."""
    for i, (name, column) in enumerate(CARDS):
        if i % 5 == 0:
            cols = st.columns(5)
        frame = context.metric(name, q)
        done = frame[~frame["partial"]] if len(frame) else frame
        cur = done.iloc[-1] if len(done) else None
        prev = done.iloc[-2] if len(done) > 1 else None
        conv = {"ltv": "gross margin "
                       + fmt.value(q.setting("gross_margin", 1.0), "fraction"),
                "nrr": f"reactivation: {q.setting('nrr_reactivation', 'include')}d"}.get(name, "")
        with cols[i % 5]:
            kpi_card(name, cur, prev, done[column] if len(done) else done, period_label=grain,
                     column=column, target=card_target(q, name, column, cur, grain),
                     convention=conv)


def movements(q: Query, grain: str, moves: pd.DataFrame) -> None:
    """MRR trend, movements per period (click a bar: its accounts) and one period's bridge."""
    mrr = context.metric("mrr", q)
    st.plotly_chart(charts.plot_trend(mrr, "mrr", title=f"MRR by {grain}", unit="USD",
                                      targets=targets("mrr", q)), key="rr_mrr")
    st.caption("Click a bar to list the accounts behind that movement.")
    sel = st.plotly_chart(charts.plot_movements(moves, title=f"MRR movements by {grain}"),
                          key="rr_moves", on_select="rerun", selection_mode="points")
    points = sel.selection.points if sel else []
    periods = list(moves["period"])
    done = moves[~moves["partial"]]
    default = periods.index(done["period"].iloc[-1]) if len(done) else len(periods) - 1
    # A period picked at another grain (a month, then quarters) is not among these: the last
    # complete period again, not an empty bridge.
    if st.session_state.get("rr_bridge") not in periods:
        st.session_state.pop("rr_bridge", None)
    pick = st.selectbox("Bridge for the period", periods, index=default, key="rr_bridge",
                        format_func=lambda p: fmt.period(p, grain))
    row = moves[moves["period"] == pick].iloc[0]
    st.plotly_chart(charts.plot_waterfall(row, title=f"MRR bridge, {fmt.period(pick, grain)}"
                                          + (" (partial)" if row["partial"] else "")),
                    key="rr_waterfall")
    if points and points[0].get("customdata"):
        start, movement = points[0]["customdata"][:2]
        start = date.fromisoformat(str(start)[:10])
        rows = context.detail("movement_accounts", q.with_(start=start,
                              end=next_period(start, grain)), movement=movement)
        st.markdown(f"**{fmt.plural(len(rows), 'account')}** behind **{movement}** in "
                    f"{fmt.period(start, grain)} (total {fmt.value(rows[movement].sum(), 'USD')})")
        show(rows, download="mrr_movement_accounts.csv")


def trends(q: Query, grain: str) -> None:
    """Churn, retention, revenue churn, NRR/GRR, ARPA, LTV and quick ratio by period."""
    bench = load_benchmarks()
    logo = context.metric("logo_churn", q)
    left, right = st.columns(2)
    churn_band = ((bench["churn_monthly_b2b"]["value"], bench["churn_monthly_b2c"]["value"],
                   "monthly churn: B2B 4.9% – B2C 6.8% (Recurly)") if grain == "month" else None)
    left.plotly_chart(charts.plot_trend(logo, "churn_rate", title=f"Logo churn by {grain}",
                                        unit="fraction", targets=targets("logo_churn", q)
                                        if grain == "month" else None, benchmark=churn_band),
                      key="rr_churn")
    # rates near 1 (retention, NRR) or near 0 (revenue churn): zoom on the data, 0.1% ticks
    fig = charts.plot_lines(logo, {"retention_rate": "retention (S − C_start) ÷ S",
                                   "retention_rate_classic": "classic (E − N) ÷ S"},
                            title=f"Customer retention by {grain}", unit="fraction")
    right.plotly_chart(fig.update_yaxes(rangemode="normal", tickformat=".1%"),
                       key="rr_retention")
    rc = context.metric("revenue_churn", q)
    fig = charts.plot_lines(rc, {"gross_mrr_churn_rate": "gross MRR churn",
                                 "net_mrr_churn_rate": "net MRR churn"},
                            title=f"Revenue churn by {grain}", unit="fraction")
    left.plotly_chart(fig.update_yaxes(rangemode="normal", tickformat=".1%"),
                      key="rr_rev_churn")
    nrr = context.metric("nrr", q)
    fig = charts.plot_lines(
        nrr, {"nrr": "NRR", "grr": "GRR"}, title=f"NRR and GRR (trailing 12 months) by {grain}",
        unit="fraction", bands=[(b["lo"], b["hi"], b["label"]) for b in
                                (bench["nrr_median"], bench["grr_median"])])
    right.plotly_chart(fig.update_yaxes(rangemode="normal"), key="rr_nrr")
    left.plotly_chart(charts.plot_trend(context.metric("mrr", q), "arpa",
                                        title=f"ARPA by {grain}", unit="USD"), key="rr_arpa")
    right.plotly_chart(charts.plot_trend(context.metric("ltv", q), "ltv", title=f"LTV by "
                                         f"{grain}", unit="USD"), key="rr_ltv")
    left.plotly_chart(charts.plot_trend(context.metric("quick_ratio", q), "quick_ratio",
                                        title=f"Quick ratio by {grain}", unit="ratio"),
                      key="rr_quick")
    right.caption(f"Benchmarks (display only): NRR/GRR — {cite(bench['nrr_median'])}; monthly "
                  f"churn — {cite(bench['churn_monthly_b2b'])}. LTV = ARPA × gross margin ÷ "
                  "monthly logo churn pooled over the 6 complete months up to the period; "
                  "empty when no churn was observed. Quick ratio = (new + expansion + "
                  "reactivation) ÷ (contraction + churn).")


def by_group(q: Query, grain: str, dims: dict[str, str]) -> None:
    """One line per group of the chosen measure (segment, region, plan, owner, attributes)."""
    c1, c2 = st.columns(2)
    dim = c1.selectbox("Break down by", list(dims), format_func=dims.get, key="rr_by")
    measure = c2.selectbox("Measure", list(BY_MEASURES), key="rr_by_measure",
                           format_func=lambda m: registry.column(*BY_MEASURES[m]).label)
    name, column = BY_MEASURES[measure]
    label, unit = registry.column(name, column).label, registry.column(name, column).unit
    frame = context.metric(name, page_query(q, {"by": dim}))
    if frame.empty:
        st.info("No data for this breakdown in the selected window.")
        return
    st.plotly_chart(charts.plot_group_lines(frame, column, dim, title=f"{label} by "
                                            f"{dims[dim].lower()} and {grain}", unit=unit),
                    key="rr_by_chart")
