"""Global filters: date range, segment, region, CSM owner, plan and custom attributes.

They live in the sidebar (drawn once by the entry point), in session state under explicit keys
initialised in one place, and in the URL query parameters, so a link reproduces the view.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from dashboard.components.text import md_escape
from metrics import plausible
from metrics.query import Query

# dimension -> (session-state key, URL parameter, label)
DIMENSIONS = {
    "segment": ("f_segment", "segment", "Segment"),
    "region": ("f_region", "region", "Region"),
    "csm_owner": ("f_owner", "owner", "CSM owner"),
    "plan": ("f_plan", "plan", "Plan"),
}
ATTR_KEY, ATTR_URL = "f_attr", "attr"
DATES_KEY = "f_dates"
# The last complete (first, last) range: while the user has picked only a start date the
# widget holds a 1-tuple, and the pages and the URL keep this range instead of all time.
RANGE_KEY = "_f_range"
MASK_KEY, MASK_URL = "f_mask", "mask"  # presentation-safe mode (metrics/mask.py)
# A link inside the app that sets the dates (the Weekly review's to the Overview) carries
# link=1: its from/to then replace the session's range once (otherwise the URL is read only
# when a session starts, and every run writes the filters back into it).
LINK_URL = "link"
GRAIN_URL = "grain"  # the period a link opens a page on (the Overview's control)


def _parse_date(s: str | None) -> date | None:
    try:
        return date.fromisoformat(s) if s else None
    except ValueError:
        return None


# The warning about a URL's dates that could not be used, and the range shown instead: drawn
# on every run while that range is shown (the URL is read once, on the session's first run).
URL_WARNING_KEY = "_f_url_warning"


def url_range(first: str | None, last: str | None,
              fallback: tuple[date, date]) -> tuple[tuple[date, date] | None, str | None]:
    """Return ((first, last), None) for the dates a URL gives (a missing end taken from
    `fallback`), (None, why) when one is not a date, is outside the plausible range
    (metrics/plausible.py) or `from` is after `to`, and (None, None) when it gives none."""
    if not first and not last:
        return None, None
    ends, whys = [], []
    for name, text, default in (("from", first, fallback[0]), ("to", last, fallback[1])):
        d = _parse_date(text) if text else default
        if d is None:
            # Echoed as digits and date signs only: nothing of the link is read as Markdown.
            shown = re.sub(r"[^0-9T:+-]", "?", str(text)[:40])
            whys.append(f"{name}={shown} is not a date (YYYY-MM-DD) in the plausible range "
                        f"{plausible.describe()}")
        elif plausible.problem(d):
            whys.append(f"{name}={d.isoformat()} is outside the plausible range "
                        f"{plausible.describe()}")
        ends.append(d)
    if whys:
        return None, "; ".join(whys)
    if ends[0] > ends[1]:
        return None, f"{ends[0].isoformat()} is after {ends[1].isoformat()}"
    return (ends[0], ends[1]), None


def _refuse_url_dates(why: str, shown: tuple[date, date]) -> None:
    """Keep the warning that the URL's dates were not used and `shown` was instead."""
    st.session_state[URL_WARNING_KEY] = (
        f"The link's date range was not used: {why}. Showing {shown[0]:%Y-%m-%d} – "
        f"{shown[1]:%Y-%m-%d} instead.", tuple(shown))


def url_warning() -> None:
    """Draw the warning that the URL's dates were not used, while the range shown instead is
    still the one chosen (forget it once the user picks another)."""
    kept = st.session_state.get(URL_WARNING_KEY)
    if not kept:
        return
    if date_range() != kept[1]:
        del st.session_state[URL_WARNING_KEY]
        return
    st.warning(kept[0])  # the URL's text in it is escaped (url_range)


def default_range(as_of: date | None) -> tuple[date, date]:
    """Return the default (first, last) days shown: the 12 calendar months up to as-of."""
    end = as_of or date.today()
    m = end.month - 11
    y = end.year + (m - 1) // 12
    m = (m - 1) % 12 + 1
    return date(y, m, 1), end


PERSON_DIMENSIONS = ("csm_owner",)  # their values are people: pseudonyms in a masked URL
# Older links' names of a filter's URL parameter: the Accounts page's "My accounts" was 'csm'
# before it became the sidebar's owner filter. Read on open, then replaced by the filter's own.
URL_ALIASES = {"csm_owner": "csm"}
OPTIONS_KEY = "_f_options"


def url_people(values: list[str]) -> list[str]:
    """Return people's names as a URL carries them: pseudonyms while presentation-safe mode is
    on (a shared screen never shows a real name in the address bar), else as they are."""
    from metrics.mask import person

    return [person(v) for v in values] if masked() else list(values)


def resolve_people(values: list[str], options: list[str]) -> list[str]:
    """Return the options that URL values stand for: an option as it is, a pseudonym (from a
    masked link) as the option it is the pseudonym of, a real name as its pseudonym when the
    options are pseudonyms (a masked page); unknown values are left out."""
    from metrics.mask import person

    by_alias = {person(o): o for o in options}
    out = []
    for v in values:
        if v in options:
            out.append(v)
        elif v in by_alias:
            out.append(by_alias[v])
        elif person(v) in options:
            out.append(person(v))
    return out


def url_attributes(items: list[str]) -> list[str]:
    """Return custom-attribute filter values ('Name: value') as a URL carries them: the value
    pseudonymised while presentation-safe mode is on, like people (`url_people`)."""
    from metrics.mask import attribute_item

    return [attribute_item(v) for v in items] if masked() else list(items)


def resolve_attributes(values: list[str], options: list[str]) -> list[str]:
    """Return the 'Name: value' options that URL values stand for: an option as it is, or the
    option whose masked form a value is (a masked link); unknown values are left out."""
    from metrics.mask import attribute_item

    by_alias = {attribute_item(o): o for o in options}
    return [v if v in options else by_alias[v] for v in values
            if v in options or v in by_alias]


def attribute_label(item: str) -> str:
    """Return a custom-attribute filter value as the sidebar shows it: pseudonymised in
    presentation-safe mode."""
    from metrics.mask import attribute_item

    return attribute_item(item) if masked() else str(item)


def init_state(options: dict[str, list[str]], as_of: date | None) -> None:
    """Initialise the filter keys once per session, from the URL when it has them."""
    if st.session_state.get("_filters_ready"):
        return
    qp = st.query_params
    for dim, (key, url, _label) in DIMENSIONS.items():
        opts = options.get(dim, [])
        given = qp.get_all(url) or qp.get_all(URL_ALIASES.get(dim, url))[:1]
        st.session_state[key] = (resolve_people(given, opts)
                                 if dim in PERSON_DIMENSIONS else
                                 [v for v in given if v in opts])
    attr_opts = options.get("attr", [])
    st.session_state[ATTR_KEY] = resolve_attributes(qp.get_all(ATTR_URL), attr_opts)
    lo, hi = default_range(as_of)
    given, why = url_range(qp.get("from"), qp.get("to"), (lo, hi))
    st.session_state[DATES_KEY] = given or (lo, hi)
    if why:
        _refuse_url_dates(why, (lo, hi))
    st.session_state[RANGE_KEY] = st.session_state[DATES_KEY]
    st.session_state[MASK_KEY] = qp.get(MASK_URL, "") in ("1", "true", "on")
    st.session_state["_filters_ready"] = True


def follow_link() -> None:
    """Adopt the from/to days of a link that sets them (`link=1` in the URL) into the date
    filter, once, and drop the marker; nothing otherwise. Call before the sidebar is drawn."""
    qp = st.query_params
    if qp.get(LINK_URL) != "1":
        return
    current = date_range()
    if qp.get("from") and qp.get("to") and current:
        given, why = url_range(qp.get("from"), qp.get("to"), current)
        if given:
            st.session_state[DATES_KEY] = st.session_state[RANGE_KEY] = given
        elif why:
            _refuse_url_dates(why, current)
    del st.query_params[LINK_URL]


def url_grain(choices: list[str], default: str) -> str:
    """Return the grain the URL asks for (`grain=`) when it is one of `choices`, else
    `default`: the default of a page's period control."""
    g = st.query_params.get(GRAIN_URL)
    return g if g in choices else default


def date_range() -> tuple[date, date] | None:
    """Return the (first, last) days the pages show: the widget's range when both ends are
    chosen, else the last complete range (kept while only a start date is picked); None
    before the filters are initialised."""
    dates = st.session_state.get(DATES_KEY)
    if isinstance(dates, (tuple, list)) and len(dates) == 2 and all(dates):
        first, last = sorted(dates)
        st.session_state[RANGE_KEY] = (first, last)
    kept = st.session_state.get(RANGE_KEY)
    return tuple(kept) if kept else None  # type: ignore[return-value]


FINER = {"year": "quarter", "quarter": "month", "month": "week", "week": "day"}


def fit_grain(grain: str) -> str:
    """Return the grain a page shows: `grain`, or the next finer one (month → week → day)
    while the date range holds fewer than two complete periods of it, so the cards have a
    previous period to compare with; a caption under the control says why it changed."""
    from dashboard import context
    from metrics.periods import ONE_DAY, periods

    dates, as_of = date_range(), context.as_of_default()
    if not dates or not isinstance(as_of, date):
        return grain
    shown = grain
    while shown in FINER:
        frame = periods(dates[0], dates[1] + ONE_DAY, shown, as_of)
        if int((~frame["partial"]).sum()) >= 2:
            break
        shown = FINER[shown]
    if shown != grain:
        st.caption(f"The date range holds fewer than two complete {grain}s: shown by {shown}, "
                   f"so each {shown} has a previous one to compare with.")
    return shown


def picking() -> bool:
    """Return whether the date range widget holds only a start date (the user is picking)."""
    dates = st.session_state.get(DATES_KEY)
    return not (isinstance(dates, (tuple, list)) and len(dates) == 2)


def masked() -> bool:
    """Return whether presentation-safe mode is on (names, people and emails pseudonymised)."""
    return bool(st.session_state.get(MASK_KEY))


def options_from(frame: pd.DataFrame) -> dict[str, list[str]]:
    """Return filter options from the `filter_values` query: {dimension: values, attr: [...]}.

    Custom attribute options read "Name: value"."""
    out: dict[str, list[str]] = {d: [] for d in DIMENSIONS}
    out["attr"] = []
    for dim, value in frame.itertuples(index=False, name=None):
        if dim.startswith("attr:"):
            out["attr"].append(f"{dim[5:]}: {value}")
        else:
            out.setdefault(dim, []).append(value)
    return out


def sidebar(options: dict[str, list[str]]) -> None:
    """Draw the filter widgets in the sidebar (a value a page set with `set_next` first)."""
    st.session_state[OPTIONS_KEY] = options
    for _dim, (key, _u, _l) in DIMENSIONS.items():
        if f"_next_{key}" in st.session_state:
            st.session_state[key] = st.session_state.pop(f"_next_{key}")
    with st.sidebar:
        lo, hi = plausible.bounds()
        st.date_input("Date range", key=DATES_KEY, min_value=lo, max_value=hi,
                      help="First and last day (inclusive).")
        kept = date_range()
        if picking() and kept:
            st.caption(f"Choose an end date. Until then the pages show {kept[0]:%Y-%m-%d} – "
                       f"{kept[1]:%Y-%m-%d}.")
        for dim, (key, _url, label) in DIMENSIONS.items():
            if dim == "csm_owner" and _book() is not None:
                st.caption(f"CSM owner: your book only ({md_escape(person_label(_book() or ''))})")
                continue
            if options.get(dim):
                # People are shown by pseudonym in presentation-safe mode; values stay real.
                fmt = person_label if dim == "csm_owner" else str
                st.multiselect(label, options[dim], key=key, placeholder="All", format_func=fmt)
        if options.get("attr"):
            st.multiselect("Custom attributes", options["attr"], key=ATTR_KEY,
                           placeholder="All", help="Account attributes from your CSV columns.",
                           format_func=attribute_label)
        st.toggle("Presentation-safe mode", key=MASK_KEY,
                  help="Shows account names, people and emails as stable pseudonyms "
                  "(same account, same pseudonym) for screen sharing and exported packs. "
                  "The data itself is not changed.")


def choices(dim: str) -> list[str]:
    """Return the options of a sidebar filter (real values, as the widget holds them)."""
    return list(st.session_state.get(OPTIONS_KEY, {}).get(dim, []))


def set_next(dim: str, values: list[str]) -> None:
    """Set a sidebar filter from a page on the next run (a widget's value cannot change once
    it is drawn in a run): call st.rerun() after it."""
    st.session_state[f"_next_{DIMENSIONS[dim][0]}"] = list(values)


def _book() -> str | None:
    from dashboard import auth

    return auth.book_owner()


def person_label(value: str) -> str:
    """Return a person's name, or its pseudonym in presentation-safe mode."""
    from metrics.mask import person

    return person(value) if masked() else str(value)


def sync_url() -> None:
    """Write the current filters into the URL query parameters."""
    params: dict[str, str | list[str]] = {}
    dates = date_range()
    if dates:
        params["from"], params["to"] = dates[0].isoformat(), dates[1].isoformat()
    for dim, (key, url, _l) in DIMENSIONS.items():
        if st.session_state.get(key):
            values = list(st.session_state[key])
            params[url] = url_people(values) if dim in PERSON_DIMENSIONS else values
    if st.session_state.get(ATTR_KEY):
        params[ATTR_URL] = url_attributes(list(st.session_state[ATTR_KEY]))
    if st.session_state.get(MASK_KEY):
        params[MASK_URL] = "1"
    for k in [k for k in st.query_params if k in {"from", "to", ATTR_URL, MASK_URL,
                                                  *URL_ALIASES.values()} |
              {u for _k, u, _l in DIMENSIONS.values()} and k not in params]:
        del st.query_params[k]
    for k, v in params.items():
        if (st.query_params.get_all(k) if isinstance(v, list) else st.query_params.get(k)) != v:
            st.query_params[k] = v


def current_query(**changes) -> Query:
    """Return the Query of the current filters (window end exclusive), with `changes` applied."""
    dates = date_range()
    start = end = None
    if dates:
        start, end = dates[0], dates[1] + timedelta(days=1)
    attrs: dict[str, list[str]] = {}
    for item in st.session_state.get(ATTR_KEY, []):
        name, _, value = item.partition(": ")
        attrs.setdefault(name, []).append(value)
    q = Query(
        start=start, end=end,
        attributes=tuple((k, tuple(v)) for k, v in sorted(attrs.items())),
        **{dim: tuple(st.session_state.get(key, [])) for dim, (key, _u, _l) in DIMENSIONS.items()},
    )
    q = q.with_(**changes) if changes else q
    from dashboard import context

    return context.restricted(q)  # a csm limited to their book: whatever the widgets say
