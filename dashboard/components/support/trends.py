"""Support's trend charts: FCR, first response, resolution and SLA by period, with the
benchmarks and the team's targets (Goals) as dashed steps."""

from __future__ import annotations

import pandas as pd

from dashboard.components.kpi_card import chart_targets
from metrics.benchmarks import load_benchmarks
from metrics.query import Query
from render import charts


def trends(q: Query, frame: pd.DataFrame, grain: str, left, right) -> None:
    """Draw the four trends of the `support` frame into the columns `left` and `right`: FCR
    and median first response carry their targets when the team has set them."""
    bench = load_benchmarks()
    fcr_bands = [(b["lo"], b["hi"], b["label"]) for k, b in bench.items()
                 if k.startswith("fcr_")]
    email = bench["email_first_response"]
    left.plotly_chart(charts.plot_lines(
        frame, {"fcr_rate": "FCR"}, title=f"First contact resolution by {grain}",
        unit="fraction", bands=fcr_bands, targets=chart_targets(q, "fcr_rate", grain),
        target_name="FCR target"), key="sp_fcr")
    right.plotly_chart(charts.plot_lines(
        frame, {"first_response_median_h": "median", "first_response_p90_h": "p90",
                "first_response_mean_h": "mean"}, title=f"First response time by {grain}",
        unit="hours", refs=[(email["value"], f"email benchmark ≈ {email['value']:g} h "
                             f"({email['source'].split(',')[0]})")],
        targets=chart_targets(q, "first_response_median_h", grain),
        target_name="median target"), key="sp_frt")
    left.plotly_chart(charts.plot_lines(
        frame, {"resolution_median_h": "median", "resolution_p90_h": "p90",
                "resolution_mean_h": "mean"}, title=f"Resolution time by {grain}",
        unit="hours"), key="sp_res")
    right.plotly_chart(charts.plot_lines(frame, {"sla_attainment": "SLA attainment"},
                       title=f"SLA attainment by {grain}", unit="fraction"), key="sp_sla")
