"""Chart builders of the Retention & revenue page: what they draw and what a click carries."""

import math
from datetime import date

import pandas as pd

from render import charts


def test_movement_bars_carry_period_and_movement_and_losses_point_down():
    df = pd.DataFrame({"period": [date(2024, 1, 1), date(2024, 2, 1)], "partial": [False, True],
                       "mrr_start": [100.0, 110.0], "new": [20.0, 0.0], "expansion": [5.0, 0.0],
                       "contraction": [5.0, 0.0], "churn": [10.0, 10.0],
                       "reactivation": [0.0, 0.0], "mrr_end": [110.0, 100.0]})
    fig = charts.plot_movements(df, title="MRR movements by month")
    churn = next(t for t in fig.data if t.name == "churn")
    assert list(churn.y) == [-10.0, -10.0]
    assert [list(c) for c in churn.customdata] == [["2024-01-01", "churn"],
                                                   ["2024-02-01", "churn"]]
    net = next(t for t in fig.data if t.name == "net new MRR")
    assert list(net.y) == [10.0]  # the partial February is a point of its own, not on the line
    partial = next(t for t in fig.data if t.name == "partial period")
    assert list(partial.y) == [-10.0] and partial.marker.symbol == "circle-open"
    bridge = charts.plot_waterfall(df.iloc[0], title="bridge")
    assert list(bridge.data[0].y) == [100.0, 20.0, 5.0, 0.0, -5.0, -10.0, 110.0]


def test_cohort_heatmap_greys_partial_cells_and_every_cell_is_clickable():
    df = pd.DataFrame({"cohort": [date(2024, 1, 1)] * 2 + [date(2024, 2, 1)],
                       "period_number": [0, 1, 0], "cohort_size": [4, 4, 2],
                       "retained": [4, 2, 2], "retention": [1.0, 0.5, 1.0],
                       "revenue_retention": [1.0, 0.4, 1.0], "partial": [False, True, True]})
    fig = charts.plot_cohorts(df, "retention", title="t")
    main, grey, clicks = fig.data
    assert list(main.y) == ["2024-01 (n=4)", "2024-02 (n=2)"]
    assert main.z[0][0] == 1.0 and math.isnan(main.z[0][1])  # the partial cell is not blue
    assert grey.z[0][1] == 0.5 and math.isnan(grey.z[0][0])
    assert [list(c) for c in clicks.customdata] == [["2024-01-01", 0], ["2024-01-01", 1],
                                                    ["2024-02-01", 0]]
