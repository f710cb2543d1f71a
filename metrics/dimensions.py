"""Account scope (global filters) and `--by` dimensions.

Both reach SQL only as bound parameters: the shared fragment `metrics/sql/account_scope.sql`
filters accounts with `$f_*` list parameters and picks the group value with
`CASE $dim WHEN 'segment' THEN ... END`, so no identifier or value is ever formatted into SQL.
A fact-table dimension (tickets channel/priority, survey touchpoint) is picked the same way in
the metric's own query.

Rules:
- Filters restrict accounts: segment, region, csm_owner, plan (accounts columns) and custom
  attributes (`account_attributes`). An empty tuple means no filter. Several values of one filter
  are OR-ed, different filters AND-ed. An account whose value is null never passes a filter.
- Facts whose account is missing from `accounts` (orphans, reported at load) are counted when no
  filter is active, with a null group (or their own id for `by account_id`).
- `by` accepts a canonical account dimension, a fact dimension of the metric's fact table, or a
  custom attribute by its stored name (case-insensitive) or snake_case form; the output column is
  named as given for canonical dimensions and with the stored name for attributes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from metrics.query import Query

# Canonical dimensions read from `accounts` (current value of the account).
ACCOUNT_DIMS: tuple[str, ...] = (
    "segment",
    "region",
    "plan",
    "csm_owner",
    "lifecycle_stage",
    "industry",
    "account_id",
)
# Dimensions that are columns of a fact table: only valid for metrics reading that table.
FACT_DIMS: dict[str, tuple[str, ...]] = {
    "tickets": ("channel", "priority"),
    "survey_responses": ("touchpoint",),
}
FILTER_FIELDS: tuple[str, ...] = ("segment", "region", "csm_owner", "plan")


@dataclass(frozen=True)
class Dimension:
    """A resolved `--by`: the output column name and what the SQL binds as `$dim`."""

    name: str  # output column name ("" when no --by)
    key: str  # bound as $dim: a canonical name, "attribute", or "" for none
    attribute: str | None = None  # stored custom attribute name (key == "attribute")

    @property
    def active(self) -> bool:
        """Return whether the query groups by this dimension."""
        return bool(self.key)


NO_DIMENSION = Dimension(name="", key="")


def snake_case(name: str) -> str:
    """Return the snake_case form of a header: "Contract Type" -> "contract_type",
    "PaymentMethod" -> "payment_method", "customerID" -> "customer_id"."""
    # Word boundaries inside camel case first (a lower letter or digit before an upper one, and
    # an acronym before a capitalised word: "HTTPServer" -> "HTTP_Server"), then lower case.
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name.strip())
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", spaced)
    return re.sub(r"[^0-9a-z]+", "_", spaced.lower()).strip("_")


def attribute_names(cur) -> list[str]:
    """Return the stored custom attribute names, sorted."""
    rows = cur.execute(
        "SELECT DISTINCT attribute FROM account_attributes ORDER BY attribute"
    ).fetchall()
    return [r[0] for r in rows]


def match_attribute(name: str, stored: list[str]) -> str | None:
    """Return the stored attribute matching `name` exactly, case-insensitively or by snake_case.

    Raises ValueError when the looser matches are ambiguous."""
    if name in stored:
        return name
    for key in (str.lower, snake_case):
        hits = [s for s in stored if key(s) == key(name)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise ValueError(f"dimension {name!r} matches several custom attributes: {hits}")
    return None


def valid_dimensions(cur, fact_table: str | None) -> list[str]:
    """Return every `by` value valid for a metric reading `fact_table` (besides accounts)."""
    return list(ACCOUNT_DIMS) + list(FACT_DIMS.get(fact_table or "", ())) + attribute_names(cur)


def resolve_dimension(cur, by: str | None, metric: str, fact_table: str | None) -> Dimension:
    """Resolve `q.by` for `metric`, whose fact table is `fact_table` (None: accounts only).

    Raises ValueError "unknown dimension X for metric Y; choose one of ..." otherwise."""
    if by is None or not str(by).strip():
        return NO_DIMENSION
    raw = str(by).strip()
    low = raw.lower()
    if low in ACCOUNT_DIMS:
        return Dimension(name=low, key=low)
    fact_dims = FACT_DIMS.get(fact_table or "", ())
    if low in fact_dims:
        return Dimension(name=low, key=low)
    stored = attribute_names(cur)
    attr = match_attribute(raw, stored)
    if attr is not None:
        return Dimension(name=attr, key="attribute", attribute=attr)
    choices = list(ACCOUNT_DIMS) + list(fact_dims) + stored
    other = [d for t, dims in FACT_DIMS.items() if t != fact_table for d in dims]
    hint = f" ({low} belongs to another table)" if low in other else ""
    raise ValueError(
        f"unknown dimension {raw!r} for metric {metric}{hint}; choose one of {', '.join(choices)}"
    )


def scope_params(cur, q: Query) -> dict:
    """Return the bound parameters of the account scope filters (`$f_*`, `$filtered`)."""
    params: dict = {f"f_{f}": [str(v) for v in getattr(q, f)] for f in FILTER_FIELDS}
    stored = attribute_names(cur) if q.attributes else []
    names: list[str] = []
    values: list[list[str]] = []
    for name, allowed in q.attributes:
        if not allowed:  # an empty value list is no filter, like the other filters
            continue
        # An attribute unknown to the database keeps its name and so matches no account.
        names.append(match_attribute(str(name), stored) or str(name))
        values.append([str(v) for v in allowed])
    params["f_attr_names"] = names
    params["f_attr_values"] = values
    # The form account_scope.sql reads (portable to Spark: no list indexing): each allowed
    # pair as one text; an attribute filtered twice keeps the values both allow.
    by_attr: dict[str, set[str]] = {}
    for name, vals in zip(names, values, strict=True):
        by_attr[name] = by_attr[name] & set(vals) if name in by_attr else set(vals)
    params["f_attr_allowed"] = sorted(f"{n}\x1f{v}" for n, vs in by_attr.items() for v in vs)
    params["f_attr_count"] = len(by_attr)
    params["filtered"] = bool(names) or any(params[f"f_{f}"] for f in FILTER_FIELDS)
    return params


def dimension_params(dim: Dimension) -> dict:
    """Return the bound parameters that pick the group value (`$dim`, `$dim_attribute`)."""
    return {"dim": dim.key, "dim_attribute": dim.attribute or ""}
