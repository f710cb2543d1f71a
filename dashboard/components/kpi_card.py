"""The KPI card: value, change against the previous period with a significance mark, target,
sparkline, and a "show the math" expander fed from the metric registry. No SQL here."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from metrics import fmt, registry
from metrics.kpis import load_sql


def kpi_card(
    name: str, current: pd.Series | None, previous: pd.Series | None, series: pd.Series,
    *, period_label: str, significance: tuple[bool, float] | None = None,
    target: float | None = None, convention: str = "", column: str | None = None,
    label: str | None = None, unit: str | None = None, direction: str | None = None,
    explain: str | None = None,
) -> None:
    """Draw one KPI card for metric `name` (the headline column unless `column` is given).

    `current`/`previous` are rows of the metric frame (complete periods); `series` feeds the
    sparkline; `significance` is (significant, p_value) of the change when a test applies."""
    spec = registry.REGISTRY[name]
    col = column or spec.headline
    cs = spec.column(col)  # the column's own spec: unit, direction, label, explanation
    unit = unit or cs.unit
    if explain is None and col != spec.headline:
        explain = cs.explain or None
    value = current[col] if current is not None else None
    prev = previous[col] if previous is not None else None
    delta = fmt.delta(value, prev, unit)
    good_when_up = (direction or cs.direction or "up") == "up"
    unchanged = fmt.number(value) is not None and (fmt.number(value) == fmt.number(prev)
                                                   or fmt.rounds_to_zero(delta))
    # what the value (and the one before) rests on: too little of it and the change is not
    # coloured as good or bad — 100% of 1 decided renewal is not a rise
    base, base_prev = registry.basis(name, col, current), registry.basis(name, col, previous)
    few = bool(base and base[1]) or bool(base_prev and base_prev[1])
    with st.container(border=True):
        st.metric(
            label or cs.label, fmt.value(value, unit),
            "no change" if unchanged else delta,
            delta_color="off" if unchanged or few else ("normal" if good_when_up else "inverse"),
            delta_arrow="off" if unchanged else "auto",
            chart_data=[fmt.number(v) or 0.0 for v in series.tolist()] or None,
            # a card of another column than the headline says what that column counts (the
            # Customers card is not the definition of logo churn)
            help=(explain[:1].upper() + explain[1:]) if explain else spec.definition,
            delta_description=f"vs previous {period_label}",
        )
        notes = []
        if significance is not None and delta is not None:
            sig, p = significance
            p_txt = f"p = {p:.3f}" if p is not None and not math.isnan(p) else "p n/a"
            notes.append(("**real change**" if sig else "noise (not significant)") + f", {p_txt}")
        if base:
            text = base[0]
            if base_prev and base_prev[1] and not base[1]:
                text += f" (previous {period_label}: {base_prev[0]})"
            notes.append(text + (" · ⚠ too few to read a change" if few else ""))
        if target is not None and fmt.number(value) is not None:
            on = (fmt.number(value) >= target) if good_when_up else (fmt.number(value) <= target)
            notes.append(f"target {fmt.value(target, unit)}: {'met' if on else 'missed'}")
        if convention:
            notes.append(convention)
        if base is None and current is not None and "small_n" in current and bool(
                current["small_n"]):  # with a basis, the card already says how few
            notes.append("⚠ fewer than 30 responses")
        if notes:
            st.caption(" · ".join(notes))
        if st.button("Show the math", key=f"math_{name}_{col}", icon=":material/functions:",
                     type="tertiary"):
            math_dialog(name, current, col, label or cs.label, explain)


def card_target(q, name: str, column: str, row: pd.Series | None, grain: str) -> float | None:
    """Return the team's target for a card of metric `name`, column `column`, in the period of
    `row` (None without a row): the target named after the metric when the column is its
    headline, else after the column; the single selected segment's (everyone's without a
    segment filter; none for several segments); only where it applies at `grain`."""
    from dashboard import context
    from metrics import goals

    key = name if column == registry.get(name).headline else column
    if row is None or len(q.segment) > 1 or goals.spec(key) is None:
        return None
    t = context.targets(key, q.segment[0] if q.segment else None)
    return goals.target_on(t, key, row["period"], grain)


def chart_targets(q, key: str, grain: str) -> pd.DataFrame | None:
    """Return the team's targets of target name `key` to draw on a trend at `grain`: the
    single selected segment's (everyone's without a segment filter), None for several segments
    or where the target does not apply at `grain` (a monthly rate on a weekly chart)."""
    from dashboard import context
    from metrics import goals

    if len(q.segment) > 1 or goals.spec(key) is None or not goals.target_applies(key, grain):
        return None
    return context.targets(key, q.segment[0] if q.segment else None)


@st.dialog("Show the math", width="large")
def math_dialog(name: str, row: pd.Series | None, col: str, title: str,
                explain: str | None) -> None:
    """A dialog with the formula, the numbers and the SQL behind one card."""
    st.subheader(title)
    if explain:
        st.markdown(f"**{col}** — {explain}")
    show_math(name, row, col)


def _exact(v) -> str:
    """Return a number for checking by hand: whole numbers as such, others to 6 significant
    digits ('39.7436', not 39.743589743589745); '—' for none."""
    x = fmt.number(v)
    if x is None:
        return fmt.DASH if not isinstance(v, str) else v
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:.6g}"


def math_table(name: str, row: pd.Series) -> pd.DataFrame:
    """Return the numbers behind a card for people, indexed by column name: label, value
    (formatted by the column's unit) and exact (6 significant digits)."""
    spec = registry.REGISTRY[name]
    rows = []
    for k in row.index:
        if k in ("partial", "period_days", "days_so_far"):  # drawing aids, not numbers
            continue
        cs = spec.column(k) if k in spec.columns else None
        v = row[k]
        shown = fmt.period(v, "day") if k == "period" else (
            fmt.value(v, cs.unit) if cs is not None and fmt.number(v) is not None else
            (fmt.DASH if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)))
        rows.append({"column": k, "label": cs.label if cs is not None else k, "value": shown,
                     "exact": _exact(v) if k != "period" else shown})
    return pd.DataFrame(rows, columns=["column", "label", "value", "exact"]).set_index("column")


def show_math(name: str, row: pd.Series | None, col: str) -> None:
    """Write the formula, the numbers behind the value and the SQL of metric `name`."""
    spec = registry.REGISTRY[name]
    st.markdown(f"**{spec.label}** — {spec.definition}")
    st.code(spec.formula, language="text")
    if row is not None and col == spec.headline and spec.numerator and spec.denominator:
        st.markdown(f"{col} = {spec.numerator} ÷ {spec.denominator} = "
                    f"{_exact(row[spec.numerator])} ÷ {_exact(row[spec.denominator])}"
                    + (f"; rows left out ({spec.excluded}): {_exact(row[spec.excluded])}"
                       if spec.excluded and spec.excluded in row else ""))
    if row is not None:
        st.dataframe(math_table(name, row), width="stretch")
    # Each query once, with its fragments expanded in place; the caption names the files.
    st.caption("SQL: " + ", ".join(f"metrics/sql/{f}.sql" for f in spec.sql))
    for query in (spec.query, *spec.extra_queries):
        st.code(load_sql(query), language="sql")
