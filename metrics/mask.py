"""Presentation-safe mode: stable pseudonyms for account names, people and emails in frames that
are shown or exported (screen sharing, meeting packs). The data on disk is never changed.

The same input always gives the same pseudonym ("Account 4F2A9C"): a hash of the kind and the
value, so two pages, two sessions and the meeting pack agree with each other.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pandas as pd

# column name -> kind of pseudonym. Columns not listed here are left alone, except that email
# addresses inside any text column (comments) are replaced.
ACCOUNT_COLUMNS = ("name", "account_name", "company")
PERSON_COLUMNS = ("respondent", "csm_owner", "owner", "loaded_by", "contact", "user_name")
# free-text columns in which account names are looked for (only these: a long list of names
# is a large pattern, not worth running over every code or id column)
FREE_TEXT_COLUMNS = ("comment", "comments", "message", "note", "text", "body", "title", "what",
                     "detail", "close_reason")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def pseudonym(value: Any, kind: str = "Account") -> Any:
    """Return '<kind> XXXXXX' (6 hex digits of sha256 of kind and value), stable for the same
    input; None and empty values stay as they are."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return value
    text = str(value)
    if not text.strip():
        return value
    digest = hashlib.sha256(f"{kind}\x1f{text}".encode()).hexdigest()[:6].upper()
    return f"{kind} {digest}"


def person(value: Any) -> Any:
    """Return the pseudonym of a person (an email address is a person too)."""
    return pseudonym(value, "Person")


def attribute(name: str, value: Any) -> Any:
    """Return the pseudonym of a custom attribute's value ('Value 3FA2B1'), stable for the same
    attribute and value (the same value of two attributes differs); None stays None."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return value
    return pseudonym(f"{name}\x1f{value}", "Value")


def attribute_item(item: str) -> str:
    """Return a filter's 'Name: value' with the value pseudonymised ('Contract Type: Value
    3FA2B1'): the attribute's name is a column of the user's file and stays readable."""
    name, sep, value = str(item).partition(": ")
    return f"{name}{sep}{attribute(name, value)}" if sep else str(attribute("", item))


def mask_text(text):
    """Return `text` with every email address replaced by the person's pseudonym."""
    if not isinstance(text, str):
        return text
    return _EMAIL.sub(lambda m: person(m.group(0)), text)


def _kind(column: str) -> str | None:
    c = column.lower()
    if c in ACCOUNT_COLUMNS or c.endswith("account_name"):
        return "Account"
    if c in PERSON_COLUMNS or "email" in c:
        return "Person"
    return None


def mask_frame(df: pd.DataFrame, names: dict[str, str] | None = None) -> pd.DataFrame:
    """Return a copy of `df` with account names, people and emails replaced by pseudonyms.

    Columns are recognised by name (ACCOUNT_COLUMNS, PERSON_COLUMNS, any column with "email");
    email addresses inside other text columns are replaced too, and so are the frame's own
    account names and `names` ({real account name: anything}) where they appear inside free
    text."""
    if df is None or not isinstance(df, pd.DataFrame) or df.empty and not len(df.columns):
        return df
    out = df.copy()
    pattern = None
    # the frame's own account names are hidden inside its free text too (a comment naming
    # the customer's company)
    own = {v for c in out.columns if _kind(str(c)) == "Account" for v in out[c].dropna()}
    known = {**dict.fromkeys(own), **(names or {})}
    if known:
        real = sorted((n for n in known if isinstance(n, str) and len(n) > 2), key=len,
                      reverse=True)
        if real:
            pattern = re.compile("|".join(re.escape(n) for n in real))
    for col in out.columns:
        kind = _kind(str(col))
        if kind is not None:
            out[col] = out[col].map(lambda v, k=kind: pseudonym(v, k))
        elif out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(mask_text)
            if pattern is not None and str(col).lower() in FREE_TEXT_COLUMNS:
                out[col] = out[col].map(
                    lambda v: pattern.sub(lambda m: pseudonym(m.group(0)), v)
                    if isinstance(v, str) else v)
    return out


def maybe(df: pd.DataFrame, on: bool, names: dict[str, str] | None = None) -> pd.DataFrame:
    """Return `mask_frame(df)` when `on`, else `df` unchanged."""
    return mask_frame(df, names) if on else df
