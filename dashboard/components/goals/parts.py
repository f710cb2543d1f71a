"""Pieces of the Goals page: the targets editor with CSV in and out, proposals beside the team's
targets, benchmark references with sources, and the alert rules editor with its history.
Validation and storage live in metrics/goals.py and metrics/alerts.py; no SQL here."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import auth, context
from dashboard.components.table import columns, for_people
from dashboard.components.text import md_escape
from metrics import alerts, fmt, goals
from metrics.benchmarks import load_benchmarks
from metrics.query import Query


def _problems(title: str, problems: list[str]) -> None:
    st.warning(f"**{md_escape(title)}** Nothing was changed.\n\n"
               + "\n".join(f"- {md_escape(p)}" for p in problems[:20]))


@st.cache_data(ttl=3600, max_entries=32, show_spinner=False)
def _targets(version: int) -> pd.DataFrame:
    with context.read_cursor() as cur:
        return goals.read_targets(cur)


@st.cache_data(ttl=3600, max_entries=32, show_spinner="Computing proposals…")
def _proposals(version: int) -> pd.DataFrame:
    with context.read_cursor() as cur:
        return goals.proposals(cur, goals.read_targets(cur))


def proposal_display(table: pd.DataFrame) -> pd.DataFrame:
    """Return the proposals for people: the target's label, 'everyone' for no segment, each
    value in its column's unit ('90.8%', '2.9 h', '$352,521'), the quarter as 'Q1 2027'."""
    rows = []
    for r in table.itertuples(index=False):
        s = goals.spec(r.metric)
        unit = s.unit if s is not None else ""
        rows.append({"target": s.label if s is not None else r.metric,
                     "segment": r.segment or "everyone",
                     "team's latest": fmt.value(r.team_target, unit),
                     "proposed": fmt.value(r.proposed, unit),
                     "for": fmt.period(r.for_quarter, "quarter"),
                     "this quarter so far": fmt.value(r.current, unit),
                     "4-quarter level": fmt.value(r.level, unit),
                     "trend a quarter": fmt.change(r.trend, unit),
                     "quarters": r.quarters, "check": r.flag or ""})
    return pd.DataFrame(rows)


def save_targets(frame: pd.DataFrame) -> list[str]:
    """Save `frame` as the targets (all or nothing); return the problems (empty: saved).
    Stops the run unless the user may save targets (nothing is written)."""
    auth.require("save_targets")
    with context.write_cursor() as cur:
        return goals.save_targets(cur, frame, who=context.who())


def save_rules(frame: pd.DataFrame) -> list[str]:
    """Save `frame` as the alert rules (all or nothing); return the problems (empty: saved).
    Stops the run unless the user may save rules (nothing is written)."""
    auth.require("save_rules")
    with context.write_cursor() as cur:
        return alerts.save_rules(cur, frame, who=context.who())


def evaluate_rules() -> pd.DataFrame:
    """Check every rule now (the evaluations are stored); return them. Stops the run unless
    the user may check the rules (nothing is written)."""
    auth.require("check_rules")
    with context.write_cursor() as cur:
        return alerts.evaluate(cur, trigger="manual")


def targets_editor(segments: list[str]) -> None:
    """The editable targets table, saved all or nothing, with CSV download and upload; read
    only (table and download) for a user who may not save targets."""
    stored = _targets(context.data_version())
    if not auth.can("save_targets"):
        st.dataframe(stored, hide_index=True, width="stretch", key="goal_table",
                     column_config=columns(stored))
        st.download_button("Download CSV", goals.targets_csv(stored), "targets.csv",
                           "text/csv", key="goal_download")
        st.caption(auth.refusal("save_targets"))
        return
    names = sorted(goals.target_specs())
    edited = st.data_editor(
        stored, num_rows="dynamic", hide_index=True, width="stretch", key="goal_editor",
        column_config={
            "metric": st.column_config.SelectboxColumn("metric", options=names, required=True,
                                                       help="A metric or one of its columns"),
            "segment": st.column_config.SelectboxColumn(
                "segment", options=segments, help="Empty = everyone"),
            "period_start": st.column_config.DateColumn("from", required=True,
                                                        help="First day of the period"),
            "period_end": st.column_config.DateColumn("to (exclusive)", required=True),
            "target": st.column_config.NumberColumn(
                "target", required=True, help="Rates as fractions (0.85 = 85%), NPS in "
                "points, times in hours, money in USD"),
            "note": st.column_config.TextColumn("note"),
        })
    _live, problems = goals.normalise(edited)
    if problems:
        st.warning("**Not saved as it stands:**\n" + "\n".join(f"- {md_escape(p)}" for p in
                                                              problems[:20]))
    c1, c2, c3 = st.columns([1, 1, 2])
    if c1.button("Save targets", type="primary", key="goal_save"):
        problems = save_targets(edited)
        if problems:
            _problems("The targets were not saved.", problems)
        else:
            st.toast("Targets saved.")
            st.rerun()
    c2.download_button("Download CSV", goals.targets_csv(stored), "targets.csv", "text/csv",
                       key="goal_download")
    up = c3.file_uploader("Load targets from a CSV (replaces them)", type=["csv"],
                          key="goal_upload", help="Columns: " + ", ".join(goals.COLUMNS))
    if up is not None:
        frame, problems = goals.targets_from_csv(up.getvalue())
        if problems:
            _problems(f"{up.name} cannot be loaded.", problems)
        else:
            st.caption(f"{fmt.plural(len(frame), 'target')} in {md_escape(up.name)}.")
            if st.button("Replace the targets with this file", key="goal_replace"):
                problems = save_targets(frame)
                if problems:
                    _problems("The targets were not saved.", problems)
                else:
                    st.toast(f"Targets replaced from {md_escape(up.name)}.")


def proposals() -> None:
    """The proposal from the baseline history beside the team's latest target."""
    table = _proposals(context.data_version())
    if table.empty:
        st.info("No targets yet: add one above to see a proposal beside it.")
        return
    st.dataframe(proposal_display(table), hide_index=True, width="stretch",
                 column_config={"check": st.column_config.TextColumn(width="large")})
    flagged = table[table["flag"].astype(bool)] if "flag" in table else table.iloc[:0]
    if len(flagged):
        st.warning(f"{fmt.plural(len(flagged), 'proposal')} to look at again: "
                   + "; ".join(f"{md_escape(m)}: {md_escape(f)}" for m, f in
                               zip(flagged["metric"], flagged["flag"], strict=True)) + ".")
    st.caption("Proposed = the least-squares line through the last 4 complete quarters, "
               "extended to the next quarter that has not begun (past the running one); when "
               "the trend goes the wrong way, the last level (hold the line). Rates stay "
               "within 0–1.")


def benchmarks() -> None:
    """Every benchmark reference with its value, source and year."""
    rows = []
    for key, b in load_benchmarks().items():
        value = f"{b['value']:g}" if "value" in b else f"{b['lo']:g} – {b['hi']:g}"
        rows.append({"metric": b["metric"], "benchmark": b["label"], "value": value,
                     "source": b["source"], "year": str(b["year"]), "link": b.get("link"),
                     "key": key})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    version = next(iter(load_benchmarks().values()))["version"]
    st.caption(f"From metrics/benchmarks.yaml (version {version}): context, not targets; "
               "nothing is judged against them.")


def rules_editor(segments: list[str]) -> None:
    """The alert rules table, saved all or nothing, and the on-demand check; read only for a
    user who may not save rules."""
    with context.read_cursor() as cur:
        rules = alerts.read_rules(cur)
    if not auth.can("save_rules"):
        shown = rules.drop(columns=["created_at"])
        st.dataframe(shown, hide_index=True, width="stretch", key="rule_table",
                     column_config=columns(shown, name="Rule"))
        st.caption(auth.refusal("save_rules"))
        return
    kinds = [k for k in alerts.KINDS if k != "health_red" or alerts.health_available()]
    if not alerts.health_available():
        st.info("Health scores are not available yet: \"account turned red\" rules can be "
                "added once they are.")
    metrics_ = sorted(n for n, s in goals.target_specs().items()
                      if goals.registry.REGISTRY[s.metric].periods)
    edited = st.data_editor(
        rules.drop(columns=["created_at"]), num_rows="dynamic", hide_index=True,
        width="stretch", key="rule_editor", disabled=["rule_id"],
        column_config={
            "rule_id": st.column_config.NumberColumn("id"),
            "name": st.column_config.TextColumn("name", help="Empty: made from the rule"),
            "kind": st.column_config.SelectboxColumn(
                "kind", options=kinds, required=True,
                help="; ".join(f"{k}: {v}" for k, v in alerts.KINDS.items())),
            "metric": st.column_config.SelectboxColumn("metric", options=metrics_),
            "segment": st.column_config.SelectboxColumn("segment", options=segments,
                                                        help="Empty = everyone"),
            "op": st.column_config.SelectboxColumn("fires when", options=list(alerts.OPS)),
            "threshold": st.column_config.NumberColumn("value"),
            "mrr_min": st.column_config.NumberColumn("MRR above", help="health_red only"),
            "window_days": st.column_config.NumberColumn("days", help="Trailing window "
                                                         "(default 30; 7 for health_red)"),
            "cooldown_hours": st.column_config.NumberColumn(
                "cooldown h", help="Not repeated within this many hours (default 24)"),
            "enabled": st.column_config.CheckboxColumn("on", default=True),
            "creates_tasks": st.column_config.CheckboxColumn(
                "tasks", default=False, help="health_red only: open a risk task on each "
                "account it names (one while open; none within the cooldown after a closing)"),
        })
    live = [p for i, r in enumerate(edited.to_dict("records"), start=1)
            if any(pd.notna(r.get(c)) for c in ("kind", "metric", "threshold", "mrr_min"))
            for p in (f"rule {i}, {e}" for e in alerts.normalise_rule(r)[1])]
    if live:
        st.warning("**Not saved as it stands:**\n"
                   + "\n".join(f"- {md_escape(p)}" for p in live[:20]))
    c1, c2 = st.columns([1, 3])
    if c1.button("Save rules", type="primary", key="rule_save"):
        problems = save_rules(edited)
        if problems:
            _problems("The rules were not saved.", problems)
        else:
            st.toast("Rules saved.")
            st.rerun()
    if auth.can("check_rules") and c2.button("Check the rules now", key="rule_check",
                                             icon=":material/notifications:"):
        ev = evaluate_rules()
        fired = int((ev["fired"] & ~ev["suppressed"]).sum()) if len(ev) else 0
        st.toast(f"{fmt.plural(len(ev), 'rule')} checked, {fired:,} fired." if len(ev)
                 else "No rules.")


def rules_history() -> None:
    """The evaluations of the rules, newest first; for a csm restricted to their own book, only
    those naming its accounts (limited in the query: alerts.history)."""
    book = auth.book_owner() is not None
    if book:
        st.caption("Only the evaluations naming accounts of your book; rules over a whole "
                   "segment or the team are not shown.")
    with context.read_cursor() as cur:
        h = alerts.history(cur, limit=200, scope=context.restricted(Query()) if book else None)
    if h.empty:
        st.info("No evaluations yet: the rules are checked after every import, or with "
                "\"Check the rules now\".")
        return
    shown = context.shown(h.drop(columns=["event_id"]))
    st.dataframe(for_people(shown), hide_index=True, width="stretch", column_config=columns(
                 shown, **{
                     "fired": st.column_config.CheckboxColumn("fired"),
                     "suppressed": st.column_config.CheckboxColumn(
                         "held (cooldown)", help="Fired again within the cooldown: not "
                         "repeated"),
                     "accounts": st.column_config.TextColumn("accounts concerned")}))
