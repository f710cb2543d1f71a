"""Run the consistency suite and write the table of the cross-surface pairs it checked, with
the value each surface showed (issue 11's closing note).

    python tools/consistency_pairs.py OUT.md

The tests append every pair they assert to $CSM_PAIRS_OUT (tests/app/test_consistency.py
`record`); this script sets it, runs the test files, and turns the lines into a Markdown
table, pairs of the same name merged. The table says how the run ended: a pair recorded by a
test that failed later is listed all the same, so read the result line first."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

TESTS = ["tests/app/test_consistency.py", "tests/app/test_consistency_more.py",
         "tests/app/test_consistency_packs.py"]


def show(v: object) -> str:
    """Return a recorded value for the table: numbers to 4 significant digits (to the cent
    from 1,000), '—' for none."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if isinstance(v, float):
        return f"{v:,.2f}" if abs(v) >= 1000 else f"{v:.4g}"
    return str(v).replace("|", "/")


def table(lines: list[str]) -> list[str]:
    """Return the Markdown rows of the recorded pairs (JSON lines), in the order first seen."""
    pairs: dict[str, dict[str, object]] = {}
    for line in lines:
        rec = json.loads(line)
        pairs.setdefault(rec["pair"], {}).update(rec["values"])
    rows = ["| pair | values found (surface value = surface value ...) |", "|---|---|"]
    rows += [f"| {name} | {' = '.join(f'{k} {show(v)}' for k, v in values.items())} |"
             for name, values in pairs.items()]
    return rows


def main(argv: list[str]) -> int:
    """Run the suite, write the table to argv[0]; return pytest's exit code."""
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    repo = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        rec = Path(tmp) / "pairs.jsonl"
        env = {**os.environ, "CSM_PAIRS_OUT": str(rec)}
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                              *TESTS], cwd=repo, env=env, capture_output=True, text=True)
        result = (run.stdout.strip().splitlines() or ["(no output)"])[-1]
        lines = rec.read_text().splitlines() if rec.exists() else []
    head = ["# Consistency pairs checked (issue 11, item 2)", "",
            f"`{' '.join(['pytest', *TESTS])}`: **{result}**", "",
            "Demo: the small demo to 30 Jun 2026 (review week 2026-W26); edge book: the "
            "hand-made six-account book of tests/app/conftest.py. Values as each surface shows "
            "them; csm metric values raw (fractions, hours) or formatted where the test compares "
            "the formatted text.", ""]
    Path(argv[0]).write_text("\n".join(head + table(lines)) + "\n", encoding="utf-8")
    print(f"{len(lines)} records, {result}")
    return run.returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
