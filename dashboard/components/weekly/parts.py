"""Pieces of the Weekly review page: the week picker (in the URL), the cached review, KPI cards,
section tables and the meeting pack download. The lists come from metrics/review.py and the
pack from render/report/; no SQL here."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from dashboard import auth, context, filters
from dashboard.components.table import columns, for_people
from dashboard.components.tasks import weekly as tk_weekly
from dashboard.components.text import md_escape
from metrics import export, fmt, labels, review
from metrics.periods import floor_period
from metrics.query import Query
from render import report

WEEK_KEY, WEEK_URL = "wk_week", "week"
WEEKS_SHOWN = 52


def week_picker(as_of: date) -> date:
    """Draw the week picker (default: the last complete week at as-of; 'week' in the URL) and
    return the chosen Monday."""
    newest = floor_period(as_of, "week")
    mondays = [newest - timedelta(days=7 * i) for i in range(WEEKS_SHOWN)]
    labels = [review.week_label(m) for m in mondays]
    default = review.week_label(review.last_complete_week(as_of))
    if st.session_state.get(WEEK_KEY) not in labels:
        wanted = st.session_state.get(f"_{WEEK_KEY}") or st.query_params.get(WEEK_URL)
        st.session_state[WEEK_KEY] = wanted if wanted in labels else default

    def label(w: str) -> str:
        m = review.parse_week(w)
        text = f"{w} · {m:%d %b} – {m + timedelta(days=6):%d %b %Y}"
        return text + (" (not complete)" if m + timedelta(days=6) > as_of else "")

    st.selectbox("Week", labels, key=WEEK_KEY, format_func=label,
                 help="ISO weeks, Monday to Sunday. Default: the last complete week.")
    chosen = st.session_state[WEEK_KEY]
    st.session_state[f"_{WEEK_KEY}"] = chosen
    if chosen == default:
        if WEEK_URL in st.query_params:
            del st.query_params[WEEK_URL]
    elif st.query_params.get(WEEK_URL) != chosen:
        st.query_params[WEEK_URL] = chosen
    return review.parse_week(chosen)


@st.cache_data(ttl=3600, max_entries=64, show_spinner="Reviewing the week…")
def _review(q: Query, monday: date, own_book: bool, version: int) -> review.Review | None:
    with context.read_cursor() as cur:
        return review.build(cur, q, monday, own_book=own_book)


def get_review(q: Query, monday: date) -> review.Review | None:
    """Return the cached review of the week starting `monday` for the filters of `q` (limited
    to the session's book, alerts included, for a csm restricted to it)."""
    q = context.restricted(q)  # already so from filters.current_query; never wider
    return _review(q.with_(start=None, end=None), monday, auth.book_owner() is not None,
                   context.data_version())


def kpi_cards(kpis: pd.DataFrame) -> None:
    """One card per KPI: this week, change vs the week before (real or noise), target."""
    rows = kpis.to_dict("records")
    for i, r in enumerate(rows):
        if i % 4 == 0:
            cols = st.columns(4)
        with cols[i % 4], st.container(border=True):
            change = fmt.number(r["change"])  # None when either week has no value (NaN)
            if change is not None and fmt.rounds_to_zero(fmt.change(change, r["unit"])):
                change = 0.0  # too small to show: not drawn as a rise or a fall
            st.metric(r["label"], fmt.value(r["value"], r["unit"]),
                      None if change is None else (
                          "no change" if change == 0 else fmt.change(change, r["unit"])),
                      delta_color="off" if not change else (
                          "normal" if r["direction"] == "up" else "inverse"),
                      delta_arrow="off" if not change else "auto",
                      delta_description="vs previous week")
            notes = []
            if r["significant"] is not None and fmt.number(r["p_value"]) is not None:
                notes.append(f"**real change** (p = {r['p_value']:.3f})" if r["significant"]
                             else f"noise (p = {r['p_value']:.2f})")
            if r["target_met"] is not None:
                notes.append(f"target {fmt.value(r['target'], r['unit'])}: "
                             f"{'met' if r['target_met'] else 'missed'}")
            st.caption(" · ".join(notes) or "previous week "
                       + fmt.value(r["previous"], r["unit"]))


def table(df: pd.DataFrame | None, empty: str, order: list[str] | None = None,
          **config) -> None:
    """Show a section's frame (masked in presentation-safe mode; columns in `order` first, the
    others after them) or an st.info when empty."""
    if df is None or df.empty:
        st.info(empty)
        return
    cols = [c for c in order or [] if c in df] + [c for c in df if c not in (order or [])]
    st.dataframe(for_people(context.shown(df)), hide_index=True, width="stretch",
                 column_config=columns(df, **config),
                 column_order=cols)


def renewals_section(r: review.Review) -> None:
    """Draw the renewals due in the next 30 / 60 / 90 days and a one-click renewal task."""
    st.subheader("Renewals due in the next 30 / 60 / 90 days")
    within = st.segmented_control("Due within", ["30 days", "60 days", "90 days"],
                                  default="90 days", key="wk_within") or "90 days"
    days = int(within.split()[0])
    due = r.renewals[r.renewals["days_to"] <= days] if len(r.renewals) else r.renewals
    if not r.health and len(due):
        due = due.drop(columns=["band"])
        st.caption("Health: not available yet.")
    st.caption(review.renewals_line(r))
    table(due, f"No renewal in the {days} days after {r.renewals_from:%d %b %Y}.",
          ["account_name", "renewal_date", "days_to", "mrr", "band", "csm_owner"],
          mrr=st.column_config.NumberColumn("MRR", format="$%,.0f"))
    tk_weekly.renewal_task(due)


def alerts_section(r: review.Review) -> None:
    """Draw the alerts fired on data of the week and the link to the rules."""
    st.subheader("Alerts fired this week")
    table(r.alerts.drop(columns=["event_id"], errors="ignore"),
          "No alert fired on data of this week.")
    st.page_link("views/goals.py", label="Alert rules and their history: Goals",
                 icon=":material/flag:")


def _lists_xlsx(r: review.Review) -> bytes:
    # numbers as numbers (a spreadsheet sums them); text cells are made formula-safe
    sheets = {"kpis": review.kpi_numbers(r.kpis), "mrr movers": r.mrr_movers,
              "new churns": r.new_churns, "reactivations": r.reactivations,
              "new detractors": r.detractors, "renewals": r.renewals, "alerts": r.alerts}
    if r.band_moves is not None:
        sheets["band moves"] = r.band_moves
    # the list sheets' headers as people read them (the KPI sheet's are already)
    return export.xlsx_book({k: context.shown(v) if k == "kpis" else
                             labels.for_people(context.shown(v)) for k, v in sheets.items()})


MIME = {"html": "text/html", "pdf": "application/pdf",
        "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def pack_download(r: review.Review, q: Query) -> None:
    """Build the meeting pack (or the lists as a workbook) in the chosen format, on demand,
    and offer it for download."""
    c1, c2, c3 = st.columns([2, 1, 2])
    fmt = c1.segmented_control(
        "Meeting pack", [*report.FORMATS, "xlsx"], default="html", key="wk_fmt",
        format_func=lambda f: "XLSX (the lists)" if f == "xlsx" else f.upper(),
        help="HTML, PDF or PowerPoint: the pack as `csm report` writes it. XLSX: every table "
        "of the page, one sheet each, spreadsheet formulas neutralised.") or "html"
    masked = filters.masked()
    if c2.button("Build the pack", key="wk_build", icon=":material/description:"):
        if fmt == "xlsx":
            st.session_state["wk_pack"] = (r.week, fmt, masked, _lists_xlsx(r), [])
        else:
            pack = report.build_pack(r, masked, report.filters_text(q, masked))
            st.session_state["wk_pack"] = (r.week, fmt, masked, report.render(pack, fmt),
                                           pack.notes)
    built = st.session_state.get("wk_pack")
    if built and built[:3] == (r.week, fmt, masked):
        c3.download_button(f"Download {fmt.upper()}", built[3], f"weekly-review-{r.week}."
                           f"{fmt}", MIME[fmt], key="wk_download", type="primary")
        for n in built[4]:
            st.warning(md_escape(n))
