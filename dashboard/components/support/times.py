"""The Support page's benchmarks and its time charts: FCR, first response, resolution and SLA
by period, and the distributions of response and resolution times."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import context
from metrics import fmt
from metrics.benchmarks import cite, load_benchmarks
from metrics.kpis import support
from metrics.query import Query, page_query
from render import charts


def benchmarks() -> tuple[list[tuple[float, float, str]], dict]:
    """Return (the FCR benchmark bands as (low, high, label), the email first-response
    benchmark) from the versioned benchmarks file."""
    bench = load_benchmarks()
    return ([(b["lo"], b["hi"], b["label"]) for k, b in bench.items() if k.startswith("fcr_")],
            bench["email_first_response"])


def cards_caption(q: Query, cur: pd.Series | None, grain: str) -> None:
    """Say which period the cards show, the SLA targets in force and the benchmarks' sources."""
    bench = load_benchmarks()
    targets, other = support.sla_targets(q)
    st.caption(
        f"Cards: the last complete {grain}" + (f" ({fmt.period(cur['period'], grain)})"
                                                 if cur is not None else "")
        + ". SLA first-response targets: "
        + ", ".join(f"{k} {v:g} h" for k, v in targets.items()) + f", others {other:g} h. "
        f"Benchmarks: FCR — {cite(bench['fcr_good'])}; email first response — "
        f"{cite(bench['email_first_response'])}.")


def time_charts(q: Query, frame: pd.DataFrame, grain: str) -> None:
    """Draw FCR, first response, resolution and SLA attainment by period (`frame`: the support
    metric of `q`), then the distributions of the window's response and resolution times."""
    fcr_bands, email = benchmarks()
    left, right = st.columns(2)
    left.plotly_chart(charts.plot_lines(frame, {"fcr_rate": "FCR"}, title=f"First contact "
                      f"resolution by {grain}", unit="fraction", bands=fcr_bands), key="sp_fcr")
    right.plotly_chart(charts.plot_lines(
        frame, {"first_response_median_h": "median", "first_response_p90_h": "p90",
                "first_response_mean_h": "mean"}, title=f"First response time by {grain}",
        unit="hours", refs=[(email["value"], f"email benchmark ≈ {email['value']:g} h "
                             f"({email['source'].split(',')[0]})")]), key="sp_frt")
    left.plotly_chart(charts.plot_lines(
        frame, {"resolution_median_h": "median", "resolution_p90_h": "p90",
                "resolution_mean_h": "mean"}, title=f"Resolution time by {grain}",
        unit="hours"), key="sp_res")
    right.plotly_chart(charts.plot_lines(frame, {"sla_attainment": "SLA attainment"},
                       title=f"SLA attainment by {grain}", unit="fraction"), key="sp_sla")

    dist = context.metric("support_distribution", page_query(q, {"grain": "all"}))
    left.plotly_chart(charts.plot_distribution(dist[dist.measure == "first_response"],
                      title="First response times (tickets in the window)",
                      ref=(email["value"], "email ≈ 12 h")), key="sp_dist_frt")
    right.plotly_chart(charts.plot_distribution(dist[dist.measure == "resolution"],
                       title="Resolution times (tickets in the window)"), key="sp_dist_res")
