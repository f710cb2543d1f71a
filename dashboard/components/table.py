"""Column labels and number formats of a metric's table, read from its column specs."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from metrics import export, fmt, labels, registry
from metrics.spec import ColumnSpec

_FORMATS = {"rate": "percent", "rate_change": "percent", "money": "dollar", "hours": "%.1f h",
            "days": "%d d", "count": "localized", "points": "%.1f", "ratio": "%.2f"}


def for_people(df: pd.DataFrame) -> pd.DataFrame:
    """Return `df` with the missing values of its text columns shown as '—' (Streamlit would
    print 'None'); number, date and boolean columns keep their type and formatting."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object and out[c].map(lambda v: v is None or isinstance(v, str)).all():
            out[c] = out[c].where(out[c].notna(), "—")
    return out


def as_text(df: pd.DataFrame) -> pd.DataFrame:
    """Return `df` with every value as text and every missing one as '—': for previews of rows
    as they will be stored, where a column may still mix kinds and Streamlit would print
    'None' for a missing number."""
    out = df.copy()
    for c in out.columns:
        col = out[c]
        if pd.api.types.is_datetime64_any_dtype(col):
            t = col.dropna()
            whole_days = bool((t == t.dt.normalize()).all())
            col = col.dt.strftime("%Y-%m-%d" if whole_days else "%Y-%m-%d %H:%M:%S")
        out[c] = col.astype(object).where(col.notna(), None).map(
            lambda v: "—" if v is None else str(v))
    return out


def spec_columns(metric: str, frame: pd.DataFrame, **overrides) -> dict:
    """Return `st.dataframe` column_config for the columns of `frame` that metric `metric`
    outputs: each column's label from its spec and a number format by its unit (percent for
    rates, dollars, hours, whole counts); `overrides` replace entries by column name. Values
    stay as they are: only their display changes."""
    out: dict = {}
    for c in registry.get(metric).cols:
        if c.name in frame.columns:
            out[c.name] = _config(c)
    out.update(overrides)
    return out


def readable(metric: str, frame: pd.DataFrame, **overrides) -> tuple[pd.DataFrame, dict]:
    """Return `frame` ready for `st.dataframe` and its column_config (spec_columns): missing
    text as '—' (for_people), and each number column that has missing values turned into its
    values formatted by the column's unit with '—' for the missing ones (a number column
    cannot show a dash; Streamlit would print 'None'). Complete number columns stay numbers,
    so they sort as numbers. `overrides` replace entries by column name, except for the
    columns turned into text."""
    out = for_people(frame)
    texts: dict = {}
    for c in registry.get(metric).cols:
        if c.name in out.columns and c.kind not in ("text", "date", "flag") \
                and out[c.name].dtype != object and out[c.name].isna().any():
            out[c.name] = out[c.name].map(lambda v, u=c.unit: fmt.value(v, u)).astype(object)
            texts[c.name] = st.column_config.TextColumn(c.label, help=c.explain or None)
    return out, spec_columns(metric, out, **{**overrides, **texts})


def _config(c: ColumnSpec, values: pd.Series | None = None) -> dict:
    # With `values`, a format is only given to a column of its type: a number format on text,
    # or a date format on strings, would not show them.
    fmt = _FORMATS.get(c.kind)
    is_date = values is None or pd.api.types.is_datetime64_any_dtype(values) or (
        values.dtype == object and values.map(lambda v: v is None or hasattr(v, "isoformat")).all())
    if c.kind == "date" and is_date:
        return st.column_config.DateColumn(c.label, format="YYYY-MM-DD")
    if fmt and (values is None or pd.api.types.is_numeric_dtype(values)
                and not pd.api.types.is_bool_dtype(values)):
        return st.column_config.NumberColumn(c.label, format=fmt, help=c.explain or None)
    return st.column_config.Column(c.label, help=c.explain or None)


def columns(frame: pd.DataFrame, metric: str | None = None, **overrides) -> dict:
    """Return `st.dataframe` column_config labelling every column of `frame` for people
    (`metrics.labels`: the metric's spec when named, the lists' raw columns, any spec of that
    name, else 'rows_in_file' spelled out), formatted by unit where the values allow it.
    `overrides` replace entries by column name; an override without a label (a format only)
    keeps the column's label, one set to None hides the column. No header is snake_case."""
    out: dict = {}
    for name in frame.columns:
        c = labels.spec(str(name), metric)
        if c is not None:
            out[name] = _config(c, frame[name])
        elif "_" in str(name):
            out[name] = st.column_config.Column(labels.label(name))
    for name, cfg in overrides.items():
        if isinstance(cfg, dict) and not cfg.get("label") and name in out:
            cfg = {**cfg, "label": out[name]["label"]}
        out[name] = cfg
    return out


def show(frame: pd.DataFrame, metric: str | None = None, where=st, config: dict | None = None,
         download: str | None = None, **kwargs):
    """Draw `frame` as a table people read (`where`: st or a column/container): missing text
    as '—', every column labelled (`columns`, `config` overriding), no index unless asked;
    with `download` (a file name), a button under it downloads the rows as CSV (`download_csv`).
    Return what st.dataframe returns (the selection when `on_select` is given)."""
    kwargs.setdefault("hide_index", True)
    kwargs.setdefault("width", "stretch")
    shown = where.dataframe(for_people(frame), column_config=columns(frame, metric,
                                                                     **(config or {})), **kwargs)
    if download:
        download_csv(frame, download, where)
    return shown


def download_csv(frame: pd.DataFrame, file_name: str, where=st) -> None:
    """Offer `frame` as a CSV download through the export's formula neutralisation
    (metrics/export.py: `=`, `+`, `-`, `@` … at the start of a text cell get a quote).

    Streamlit's own table download writes cells as they are (`@SUM(1+1)` runs in a
    spreadsheet), so it is off (`client.disableDataExport` in .streamlit/config.toml) and
    tables people export get this button instead."""
    where.download_button("Download (CSV)", export.csv_bytes(frame), file_name=file_name,
                          mime="text/csv", key=f"csv_{file_name}", on_click="ignore",
                          icon=":material/download:")
