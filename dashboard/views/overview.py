"""Overview: the headline KPIs with their change, significance and targets, and a trend."""

import streamlit as st

from dashboard import context, filters
from dashboard.components.kpi_card import kpi_card
from metrics import goals, registry, stats
from render import charts

# (metric, column shown, label, unit of that column, is up good?)
CARDS = [
    ("logo_churn", "customers_end", "Active accounts", "accounts", "up"),
    ("mrr", "mrr", "MRR", "USD", "up"),
    ("logo_churn", "churn_rate", "Logo churn rate", "fraction", "down"),
    ("nps", "nps", "NPS", "points", "up"),
    ("csat", "csat", "CSAT", "fraction", "up"),
    ("support", "first_response_median_h", "Median first response", "hours", "down"),
    ("support", "fcr_rate", "First contact resolution", "fraction", "up"),
    ("nrr", "nrr", "NRR (12 months)", "fraction", "up"),
    ("grr", "grr", "GRR (12 months)", "fraction", "up"),
]

# What a card shows when it is not its metric's headline column.
EXPLAIN = {
    "customers_end": "accounts that are customers on the period's last day (or as-of): "
                     "signup_date ≤ day and churn_date empty or after it. It is the E of the "
                     "logo churn identity S + N − C = E below.",
    "fcr_rate": "resolved tickets created in the period with at most one contact and not "
                "reopened ÷ resolved tickets; tickets with no contacts or reopened value are "
                "left out (fcr_excluded).",
}

st.title("Overview")
grain = st.segmented_control("Period", ["week", "month", "quarter"], default="month",
                             key="ov_grain") or "month"
q = filters.current_query(grain=grain)

if context.as_of_default() is None:
    st.info("No data yet. Load your CSV exports on the **Data** page, or create the demo data "
            "set with `csm demo`.")
    st.stop()


def significance(name, cur, prev):
    """Return (significant, p) of the change for survey metrics, else None."""
    if cur is None or prev is None:
        return None
    if name == "nps":
        _z, p, sig = stats.nps_change_test(prev.promoters, prev.passives, prev.detractors,
                                           cur.promoters, cur.passives, cur.detractors)
        return bool(sig), float(p)
    if name == "csat":
        _z, p, sig = stats.two_proportion_test(prev.satisfied, prev.responses,
                                               cur.satisfied, cur.responses)
        return bool(sig), float(p)
    return None


def target_of(name, column, period):
    """Return the team's target for the period holding `period`, or None."""
    if column != registry.REGISTRY[name].headline or not show_targets:
        return None
    t = context.named_query("targets_for_metric", metric=name, segment=target_segment)
    return goals.target_on(t, name, period, grain)


# Targets are per segment: the company-wide one without a segment filter, the segment's own
# with exactly one segment selected, none for a mix of segments.
target_segment = q.segment[0] if len(q.segment) == 1 else None
show_targets = len(q.segment) <= 1

partial_note = None
for i, (name, column, label, unit, direction) in enumerate(CARDS):
    if i % 3 == 0:
        cols = st.columns(3)  # one row of three, so cards of a row line up
    frame = context.metric(name, q)
    complete = frame[~frame["partial"]] if len(frame) else frame
    cur = complete.iloc[-1] if len(complete) else None
    prev = complete.iloc[-2] if len(complete) > 1 else None
    if len(frame) and frame["partial"].iloc[-1]:
        partial_note = frame["period"].iloc[-1]
    conv = ""
    if name == "nps":
        conv = f"basis: {q.setting('nps_basis', 'all')} responses"
    elif name == "csat":
        conv = "satisfied = 4–5 of 5 (8–10 of 10)"
    with cols[i % 3]:
        kpi_card(name, cur, prev, complete[column] if len(complete) else complete,
                 period_label=grain, significance=significance(name, cur, prev),
                 target=target_of(name, column, cur["period"]) if cur is not None else None,
                 convention=conv, column=column, unit=unit, direction=direction,
                 explain=EXPLAIN.get(column),
                 label=f"{label} · {cur['period']:%Y-%m-%d}" if cur is not None else label)

if partial_note is not None:
    st.caption(f"The {grain} starting {partial_note:%Y-%m-%d} is not complete yet: the cards "
               "show the last complete one; the chart draws the partial one hollow.")


def health_mix_card():
    """The health mix card: accounts per band as of the window's last day (current health
    model), the red count against 30 days earlier."""
    from datetime import timedelta

    from dashboard.components import health_data
    from metrics import health

    try:
        model = health.load_model(health.model_path())
    except health.ModelError:
        return
    as_of = min(q.end - timedelta(days=1), context.as_of_default()) if q.end \
        else context.as_of_default()
    now = health_data.scored_at(q, model, as_of)
    if now.empty or now["score"].isna().all():
        return
    before = health_data.scored_at(q, model, as_of - timedelta(days=30))
    n = now["band"].value_counts()
    red_before = int((before["band"] == "red").sum()) if len(before) else None
    st.metric(f"Health mix green / yellow / red · {as_of:%Y-%m-%d}",
              f"{n.get('green', 0)} / {n.get('yellow', 0)} / {n.get('red', 0)}", border=True,
              delta_color="inverse",
              delta=None if red_before is None else f"{int(n.get('red', 0)) - red_before:+d} red "
              "vs 30 days earlier",
              help=f"Active accounts green / yellow / red under health model "
                   f"v{model['version']} (Health page). Scores use the data before the day.")


with st.columns(3)[0]:
    health_mix_card()

st.subheader("Trend")
choice = st.selectbox("Metric", [c[2] for c in CARDS], key="ov_trend")
name, column, label, unit, _direction = next(c for c in CARDS if c[2] == choice)
frame = context.metric(name, q)
if frame.empty:
    st.info("No data in the selected window.")
else:
    ci = ("ci_low", "ci_high") if name in ("nps", "csat") else None
    targets = (context.named_query("targets_for_metric", metric=name, segment=target_segment)
               if show_targets and goals.target_applies(name, grain) else None)
    fig = charts.plot_trend(frame, column, title=f"{label} by {grain}", unit=unit, ci=ci,
                            targets=targets if column == registry.REGISTRY[name].headline
                            else None)
    st.plotly_chart(fig, key="ov_trend_chart")
