"""Exports of tables for people: CSV with spreadsheet formulas neutralised (QUALITY.md)."""

from __future__ import annotations

import pandas as pd

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Return text that starts like a formula (= + - @ tab CR) with a leading quote, so a
    spreadsheet shows it as text; numbers and other values are returned unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of `df` whose text cells are neutralised (see `neutralise`)."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].map(neutralise)
    return out


def csv_bytes(df: pd.DataFrame) -> bytes:
    """Return `df` as UTF-8 CSV bytes (with BOM, so Excel reads accents) with formulas inert."""
    return safe_frame(df).to_csv(index=False).encode("utf-8-sig")
