"""The metric reference (docs/metrics.md), generated from the metric specs.

`python -m metrics.reference` writes the file; a test checks that the committed file is what
the specs generate, so the reference can never drift from the code.
"""

from __future__ import annotations

import sys
from pathlib import Path

from metrics import registry
from metrics.spec import UNITS, MetricSpec

OUT = Path(__file__).resolve().parent.parent / "docs" / "metrics.md"

_HEAD = """# Metric reference

Generated from the metric specs (`SPECS` in each module under `metrics/`) by
`python -m metrics.reference`; do not edit by hand. `csm metric NAME` prints these columns
(after `period` and `partial` for metrics with periods, and the `--by` column when asked);
[docs/data.md](data.md) describes windows, filters and the command line.

Conventions for every metric: periods are half-open `[start, end)`; weeks are ISO weeks
(Monday); days are UTC days; durations are calendar hours. A period that extends past as-of is
flagged `partial` and never compared as if complete. A zero denominator gives null.
"""


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _direction(d: str | None) -> str:
    return {"up": "higher is better", "down": "lower is better"}.get(d or "", "")


def metric_section(s: MetricSpec) -> str:
    """Return the Markdown section of one metric: definition, formula, columns, settings, SQL."""
    lines = [f'<a id="{s.name}"></a>', "", f"## `{s.name}` — {s.label}", "", s.definition, "",
             f"- Headline: `{s.headline}` ({s.unit}, {_direction(s.direction)})"]
    if s.numerator or s.denominator:
        lines.append(f"- Ratio: `{s.numerator or '…'}` ÷ `{s.denominator or '…'}`")
    if s.excluded:
        lines.append(f"- Rows left out are counted in `{s.excluded}`")
    lines.append(f"- Periods: {'yes (`--grain`)' if s.periods else 'no (one window)'}")
    lines.append("- SQL: " + ", ".join(f"`metrics/sql/{f}.sql`" for f in s.sql))
    lines += ["", "Formula:", "", "```text", s.formula, "```", "",
              "| column | label | unit | direction | meaning |", "|---|---|---|---|---|"]
    for c in s.cols:
        note = c.explain
        if c.target_grain:
            note = f"{note}; targets are {c.target_grain}ly values".lstrip("; ")
        lines.append(f"| `{c.name}` | {_cell(c.label)} | {c.unit} | "
                     f"{_direction(c.direction)} | {_cell(note)} |")
    if s.setting_specs:
        lines += ["", "| setting | flag | default | choices | meaning |", "|---|---|---|---|---|"]
        for st in s.setting_specs:
            default = st.default
            if st.name == "health_model":  # a path on the machine that generated the file
                default = "metrics/health_model.yaml"
            lines.append(f"| `{st.name}` | `{st.flag}` | `{_cell(default)}` | "
                         f"{_cell(', '.join(st.choices or ()))} | {_cell(st.help)} |")
    return "\n".join(lines) + "\n"


def units_section() -> str:
    """Return the table of units: what each means and its valid range."""
    lines = ["## Units", "", "| unit | kind | valid range |", "|---|---|---|"]
    for name, (kind, lo, hi) in UNITS.items():
        span = ("any" if lo is None and hi is None else
                f"{'−∞' if lo is None else f'{lo:g}'} to {'∞' if hi is None else f'{hi:g}'}")
        lines.append(f"| `{name}` | {kind} | {span} |")
    return "\n".join(lines) + "\n"


def generate() -> str:
    """Return the whole reference as Markdown: conventions, an index, each metric, units."""
    names = sorted(registry.REGISTRY)
    index = ["## Metrics", ""] + [f"- [`{n}`](#{n}) — {registry.REGISTRY[n].label}"
                                  for n in names]
    parts = [_HEAD, "\n".join(index) + "\n"]
    parts += [metric_section(registry.REGISTRY[n]) for n in names]
    parts.append(units_section())
    return "\n".join(parts)


def main() -> int:
    """Write docs/metrics.md; return 0."""
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(generate(), encoding="utf-8")
    print(f"wrote {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
