"""'Show the math' lists the numbers behind a card formatted for people, with an exact column
short enough to check by hand (issue 11: it printed 39.743589743589745)."""

from __future__ import annotations

from datetime import date

import pandas as pd

from dashboard.components.kpi_card import math_table


def test_the_numbers_behind_an_nps_card_are_formatted_by_their_units():
    row = pd.Series({"period": date(2026, 11, 1), "partial": False, "responses": 78,
                     "promoters": 45, "passives": 21, "detractors": 12,
                     "nps": 39.743589743589745, "nps_adj": float("nan"), "ci_low": None})
    t = math_table("nps", row)
    assert "partial" not in t.index
    assert t.loc["nps", "value"] == "39.7" and t.loc["nps", "exact"] == "39.7436"
    assert t.loc["responses", "exact"] == "78" and t.loc["period", "value"] == "1 Nov 2026"
    assert t.loc["nps_adj", "value"] == "—" and t.loc["ci_low", "value"] == "—"
    assert t.loc["nps", "label"] == "NPS"
    assert not t.apply(lambda c: c.astype(str).str.contains("nan|None")).any().any()
