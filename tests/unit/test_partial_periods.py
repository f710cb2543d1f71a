"""Partial periods and period axes (issue 11 items 3-4): which periods are partial for an as-of
and a grain, how much of them has happened, and how every time-series chart draws them — the
complete periods as the line, a partial one as a hollow point of its own, never joined on; date
axes without a time of day; count axes with whole-number ticks."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from metrics import demo, registry
from metrics import periods as P
from metrics.query import Query
from render import charts

AS_OF = date(2026, 12, 1)  # a Tuesday, the first day of December


def partial_periods(start: date, end: date, grain: str, as_of: date = AS_OF) -> list[date]:
    frame = P.periods(start, end, grain, as_of)
    return list(frame.loc[frame["partial"], "period"])


@pytest.mark.parametrize(("grain", "start", "expected"), [
    ("day", date(2026, 11, 29), []),  # as-of itself is a whole day: complete
    ("week", date(2026, 11, 16), [date(2026, 11, 30)]),  # Mon 30 Nov – Sun 6 Dec
    ("month", date(2026, 10, 1), [date(2026, 12, 1)]),
    ("quarter", date(2026, 4, 1), [date(2026, 10, 1)]),
    ("year", date(2025, 1, 1), [date(2026, 1, 1)]),
])
def test_only_the_period_holding_as_of_that_has_not_ended_is_partial(grain, start, expected):
    assert partial_periods(start, AS_OF + P.ONE_DAY, grain) == expected


def test_a_month_ending_on_as_of_is_complete_and_the_next_one_has_not_started():
    assert partial_periods(date(2026, 10, 1), date(2026, 12, 1), "month",
                           as_of=date(2026, 11, 30)) == []


def test_coverage_counts_the_days_of_a_partial_period_up_to_as_of():
    frame = P.coverage(P.periods(date(2026, 10, 1), AS_OF + P.ONE_DAY, "month", AS_OF),
                       "month", AS_OF)
    assert list(zip(frame["period"], frame["days_so_far"], frame["period_days"],
                    strict=True)) == [
        (date(2026, 10, 1), 31, 31), (date(2026, 11, 1), 30, 30), (date(2026, 12, 1), 1, 31)]
    weeks = P.coverage(P.periods(date(2026, 11, 23), AS_OF + P.ONE_DAY, "week", AS_OF),
                       "week", AS_OF)
    assert list(weeks["days_so_far"]) == [7, 2]  # Monday 30 Nov and Tuesday 1 Dec
    quarter = P.coverage(P.periods(date(2026, 10, 1), AS_OF + P.ONE_DAY, "quarter", AS_OF),
                         "quarter", AS_OF)
    assert (quarter["days_so_far"].iloc[0], quarter["period_days"].iloc[0]) == (62, 92)


def test_coverage_leaves_a_frame_of_the_whole_window_as_it_is():
    frame = P.periods(date(2026, 1, 1), AS_OF, "all", AS_OF)
    assert list(P.coverage(frame, "all", AS_OF).columns) == list(frame.columns)


def frame(values: list[float], partial_last: bool = True) -> pd.DataFrame:
    """Monthly periods from Sep 2026, the last one partial (1 of 31 days) when asked."""
    months = [date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)]
    df = pd.DataFrame({"period": months[:len(values)], "value": values,
                       "other": [v / 2 for v in values]})
    df["partial"] = [partial_last and i == len(values) - 1 for i in range(len(values))]
    return P.coverage(df, "month", AS_OF)


def traces(fig, **match):
    return [t for t in fig.data if all(getattr(t, k) == v for k, v in match.items())]


def test_plot_trend_draws_the_partial_period_as_a_separate_hollow_point():
    fig = charts.plot_trend(frame([3198, 3240, 3248, 545]), "value", title="MAU", unit="users")
    line, = traces(fig, mode="lines+markers")
    assert list(line.x) == [date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)]
    assert 545 not in list(line.y)  # the cliff is not drawn as a fall of the line
    point, = traces(fig, mode="markers")
    assert list(point.x) == [date(2026, 12, 1)] and list(point.y) == [545]
    assert point.marker.symbol == "circle-open"
    assert point.name == "partial period" and list(point.customdata) == ["so far: 1 of 31 days"]
    assert any(a.text == "so far: 1 of 31 days" for a in fig.layout.annotations)
    # nothing joins the last complete month to the partial one
    joined = [t for t in fig.data if "lines" in (t.mode or "") and t.x is not None
              and date(2026, 12, 1) in list(t.x)]
    assert joined == []


def test_a_frame_without_a_partial_period_is_one_line():
    fig = charts.plot_trend(frame([1.0, 2.0, 3.0], partial_last=False), "value", title="x",
                            unit="number")
    assert [t.mode for t in fig.data] == ["lines+markers"] and len(fig.data[0].x) == 3


def test_plot_lines_keeps_every_series_off_its_partial_point_with_one_legend_entry():
    fig = charts.plot_lines(frame([2.0, 3.0, 2.5, 0.1]), {"value": "median", "other": "p90"},
                            title="First response", unit="hours")
    lines = traces(fig, mode="lines+markers")
    points = traces(fig, mode="markers")
    assert [len(t.x) for t in lines] == [3, 3] and [len(t.x) for t in points] == [1, 1]
    assert [bool(t.showlegend) for t in points] == [True, False]
    assert {t.legendgroup for t in points} == {"partial"}


def test_plot_group_lines_draws_each_groups_partial_point_apart():
    d = pd.concat([frame([10, 12, 11, 2]).assign(segment="SMB"),
                   frame([5, 6, 7, 1]).assign(segment="Enterprise")])
    fig = charts.plot_group_lines(d, "value", "segment", title="Users", unit="users")
    assert all(date(2026, 12, 1) not in list(t.x) for t in traces(fig, mode="lines+markers"))
    assert sorted(p.y[0] for p in traces(fig, mode="markers")) == [1, 2]


def test_one_period_gets_a_date_axis_labelled_as_the_period_not_as_milliseconds():
    fig = charts.plot_trend(frame([373], partial_last=False), "value", title="Active accounts",
                            unit="accounts")
    x = fig.layout.xaxis
    assert x.type == "date" and list(x.ticktext) == ["Sep 2026"]
    assert "%H" not in x.tickformat and "%L" not in x.tickformat
    lo, hi = (pd.Timestamp(v) for v in x.range)
    assert lo < pd.Timestamp(2026, 9, 1) < hi and (hi - lo).days == 30  # September


def test_a_count_axis_has_whole_number_ticks_even_over_a_narrow_range():
    fig = charts.plot_trend(frame([373, 375], partial_last=False), "value",
                            title="Active accounts", unit="accounts")
    y = fig.layout.yaxis
    assert y.tickformat == ",d" and y.dtick == 1
    assert all(float(v).is_integer() for v in y.range)
    wide = charts.plot_trend(frame([100, 380], partial_last=False), "value", title="x",
                             unit="accounts")
    assert wide.layout.yaxis.tickformat == ",d" and wide.layout.yaxis.dtick is None


def test_ticket_volume_bars_count_in_whole_tickets_and_name_the_partial_period():
    d = frame([222, 253, 276, 8]).rename(columns={"value": "tickets"}).assign(open_tickets=1)
    fig = charts.plot_volume(d, title="Tickets")
    assert fig.layout.yaxis.tickformat == ",d"
    assert list(fig.data[0].text) == ["", "", "", "so far: 1 of 31 days"]


@pytest.fixture(scope="module")
def demo_cursor(tmp_path_factory):
    from metrics.store import Store

    store = Store(tmp_path_factory.mktemp("partial") / "csm.duckdb")
    demo.generate(store, size="small", end=AS_OF)
    cur = store.cursor()
    yield cur
    cur.close()
    store.close()


def test_on_the_demo_the_current_months_users_are_a_hollow_point_not_a_cliff(demo_cursor):
    q = Query(grain="month", start=date(2026, 6, 1))
    usage = P.coverage(registry.compute(demo_cursor, "usage", q), "month", AS_OF)
    assert list(usage.loc[usage["partial"], "period"]) == [date(2026, 12, 1)]
    fig = charts.plot_lines(usage, {"active_users": "MAU"}, title="Active users", unit="users")
    line, = traces(fig, mode="lines+markers")
    point, = traces(fig, mode="markers")
    assert list(line.x)[-1] == date(2026, 11, 1) and list(point.x) == [date(2026, 12, 1)]
    december = usage.set_index("period").loc[date(2026, 12, 1)]
    assert point.y[0] == december["active_users"] and december["days_so_far"] == 1
