"""The Support page's benchmarks and its time charts: FCR, first response, resolution and SLA
by period, and the distributions of response and resolution times."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import context
from dashboard.components.support.trends import trends
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
    _, email = benchmarks()
    left, right = st.columns(2)
    trends(q, frame, grain, left, right)

    dist = context.metric("support_distribution", page_query(q, {"grain": "all"}))
    left.plotly_chart(charts.plot_distribution(dist[dist.measure == "first_response"],
                      title="First response times (tickets in the window)",
                      ref=(email["value"], "email ≈ 12 h")), key="sp_dist_frt")
    right.plotly_chart(charts.plot_distribution(dist[dist.measure == "resolution"],
                       title="Resolution times (tickets in the window)"), key="sp_dist_res")
