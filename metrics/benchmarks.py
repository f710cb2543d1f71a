"""Published benchmarks (metrics/benchmarks.yaml): value or range, source, year and link.

Display only: pages draw them as bands with their source beside them; nothing is tested or
judged against them (METRICS.md "Benchmarks to show").
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

PATH = Path(__file__).resolve().parent / "benchmarks.yaml"


@cache
def load_benchmarks() -> dict:
    """Return {key: entry} from benchmarks.yaml; each entry has metric, label, source, year,
    link and either `value` or `lo`/`hi` (the file's `version` is in every entry)."""
    doc = yaml.safe_load(PATH.read_text(encoding="utf-8")) or {}
    version = doc.get("version")
    out = {}
    for key, entry in (doc.get("benchmarks") or {}).items():
        missing = [f for f in ("metric", "label", "source", "year") if f not in entry]
        if missing or ("value" not in entry and not {"lo", "hi"} <= set(entry)):
            raise ValueError(f"benchmark {key!r} in {PATH.name} lacks {missing or 'value/lo/hi'}")
        out[key] = {**entry, "version": version}
    return out


def cite(entry: dict) -> str:
    """Return 'Source, year (link)' for showing beside a band."""
    link = f" ({entry['link']})" if entry.get("link") else ""
    return f"{entry['source']}, {entry['year']}{link}"
