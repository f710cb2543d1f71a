"""The date format proposed for a file whose dates are not ISO 8601: the one candidate every
value parses with (UCI Online Retail's "12/1/2010 8:26"), none when day and month cannot be told
apart, and the preview offers it."""

from __future__ import annotations

from metrics.ingest import dates, preview


def test_one_format_that_reads_every_value_is_proposed():
    got = dates.propose(["12/1/2010 8:26", "12/13/2010 14:05"])
    assert got == {"format": "%m/%d/%Y %H:%M", "sample": "12/1/2010 8:26",
                   "parsed": "2010-12-01 08:26:00"}
    assert dates.propose(["31.12.2024", "01.02.2025"])["format"] == "%d.%m.%Y"


def test_day_and_month_that_cannot_be_told_apart_are_not_guessed():
    got = dates.propose(["3/4/2024", "5/6/2024"])
    assert "format" not in got and {"%m/%d/%Y", "%d/%m/%Y"} <= set(got["ambiguous"])
    assert dates.propose(["not a date"]) == {} and dates.propose([]) == {}


def test_the_preview_proposes_the_format_and_loading_with_it_reads_the_dates(store):
    path = store.uploads / "orders.csv"
    path.write_text("order_id,account_id,ordered_at,amount\n"
                    "536365,A1,12/1/2010 8:26,15.30\n536366,A1,12/13/2010 8:28,22.00\n")
    shown, info = preview(store, "orders", path)
    assert shown["ordered_at"].isna().all()
    # The preview lists the rows' problems (it listed none: DuckDB's lists arrive as arrays).
    assert [(p["row"], p["column"]) for p in info["problems"]] == [(0, "ordered_at"),
                                                                   (1, "ordered_at")]
    assert info["date_format"]["format"] == "%m/%d/%Y %H:%M"
    shown, info = preview(store, "orders", path, date_format=info["date_format"]["format"])
    assert shown["ordered_at"].notna().all() and info["date_format"] == {}
