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


def xlsx_bytes(df: pd.DataFrame, sheet: str = "data") -> bytes:
    """Return `df` as an XLSX workbook with formulas inert: text is neutralised (see
    `neutralise`) and every text cell is written as a string, never as a formula."""
    return xlsx_book({sheet: df})


def xlsx_book(sheets: dict[str, pd.DataFrame]) -> bytes:
    """Return a workbook with one sheet per frame ({sheet name: frame}; names cut to Excel's
    31 characters), formulas inert as in `xlsx_bytes`."""
    import io

    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, df in sheets.items():
        ws = wb.create_sheet(str(name)[:31] or "data")
        safe = safe_frame(df)
        ws.append([str(c) for c in safe.columns])
        for row in safe.itertuples(index=False, name=None):
            ws.append([_cell(v) for v in row])
        for r in ws.iter_rows(min_row=1):
            for cell in r:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # a string, even when it looks like a formula
    if not wb.sheetnames:
        wb.create_sheet("data")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _cell(v):
    """Return a value openpyxl can write: NaN/NA as empty, timestamps as datetimes."""
    if v is None or v is pd.NaT:
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if hasattr(v, "item") and not isinstance(v, str):
        return v.item()
    return v
