"""The document's summary parts: QUALITY.md's speed goals against the figures measured, and
the machine the benchmark ran on."""

from __future__ import annotations

import os
import platform

from tools.bench.common import pkg_version, r

GOALS = {"import_ratio": 1.5, "cold_s": 1.0, "warm_s": 0.1, "browser_vs_trivial": 3.0,
         "peak_rss_mb": 2048.0}
# a page opened in a new session, by the size the browser ran on (medium: as large)
OPEN_S = {"small": 2.0, "medium": 3.0, "large": 3.0, "xl": 3.0}


def machine() -> dict:
    """Return the machine and versions the benchmark ran on."""
    import duckdb
    import psutil

    return {
        "cpu_count": os.cpu_count(),
        "memory_gb": r(psutil.virtual_memory().total / 2**30, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "streamlit": pkg_version("streamlit"),
        "pandas": pkg_version("pandas"),
    }


def goals(doc: dict, largest: str, smallest: str) -> list[dict]:
    """Return QUALITY.md's speed goals with the figure measured and whether it was met."""
    out = []

    def goal(what, figure, limit, ok, note=""):
        item = {"goal": what, "figure": figure, "limit": limit,
                "met": None if figure is None else bool(ok)}
        if note:
            item["note"] = note
        out.append(item)

    imp = doc.get("import")
    if imp:
        goal(f"import ratio ({imp['size']})", imp["ratio"], GOALS["import_ratio"],
             imp["ratio"] is not None and imp["ratio"] <= GOALS["import_ratio"])
    for page, by_size in doc["pages"].items():
        m = by_size.get(largest, {})
        goal(f"{page} cold_s ({largest})", m.get("cold_s"), GOALS["cold_s"],
             (m.get("cold_s") or 0) <= GOALS["cold_s"])
        goal(f"{page} warm_s ({largest})", m.get("warm_s"), GOALS["warm_s"],
             (m.get("warm_s") or 0) <= GOALS["warm_s"])
        g = doc["growth"].get(page)
        if g and g["time_ratio"] is not None:
            goal(f"{page} growth time_ratio <= row_ratio ({largest}/{smallest})",
                 g["time_ratio"], g["row_ratio"], g["time_ratio"] <= g["row_ratio"])
    b = doc.get("browser")
    if b and b.get("trivial_p95_s"):
        limit = r(GOALS["browser_vs_trivial"] * b["trivial_p95_s"], 3)
        for page, m in b["pages"].items():
            if m.get("p95_s") is None:
                goal(f"browser {page} p95_s <= 3 x trivial_p95_s", None, limit, False,
                     m.get("error", "not measured"))
                continue
            if m.get("open_s") is not None and largest in OPEN_S:
                goal(f"browser {page} open_s in a new session ({largest})", m["open_s"],
                     OPEN_S[largest], m["open_s"] <= OPEN_S[largest])
            shown = m.get("error_boxes") or []
            goal(f"browser {page} p95_s <= 3 x trivial_p95_s", m["p95_s"], limit,
                 m["p95_s"] <= limit and not shown,
                 f"ratio {r(m['p95_s'] / b['trivial_p95_s'], 2)}; cached reruns: "
                 f"p95 {m['cached_p95_s']} s"
                 + (f"; the page showed {len(shown)} error box(es): {shown[0][:200]}"
                    if shown else ""))
    if doc.get("peak_rss_mb") is not None:
        goal(f"server peak RSS ({largest})", doc["peak_rss_mb"], GOALS["peak_rss_mb"],
             doc["peak_rss_mb"] <= GOALS["peak_rss_mb"])
    return out

