"""The one formatter: every surface writes a value the same way, by its unit."""

from datetime import date

from metrics import fmt


def test_values_are_written_for_people_by_unit():
    assert fmt.value(0.1234, "fraction") == "12.3%"
    assert fmt.value(41.25, "points") == "41.2"
    assert fmt.value(-1234.5, "USD") == "-$1,234"
    assert fmt.value(3.25, "hours") == "3.2 h"
    assert fmt.value(25, "customers") == "25"
    assert fmt.value(375.5, "accounts") == "375.5"
    assert fmt.value(200, "tickets") == "200"
    assert fmt.value(4.234, "score") == "4.23"
    assert fmt.value(67.33, "score") == "67.3"
    assert fmt.value(1.05, "rate") == "105.0%"


def test_an_undefined_value_is_a_dash_whatever_its_unit():
    for unit in ("fraction", "points", "USD", "hours", "tickets", "score", "text", "date"):
        assert fmt.value(None, unit) == "—"
        assert fmt.value(float("nan"), unit) == "—"


def test_changes_say_their_unit():
    assert fmt.change(0.021, "fraction") == "+2.1 pp"
    assert fmt.change(-2.14, "points") == "-2.1 pts"
    assert fmt.change(-1200, "USD") == "-$1,200"
    assert fmt.change(3, "tickets") == "+3"
    assert fmt.change(None, "USD") == "—"


def test_a_card_delta_is_relative_for_money_and_counts_and_absolute_for_rates():
    assert fmt.delta(0.2, 0.1, "fraction") == "+10.0 pp"
    assert fmt.delta(110, 100, "USD") == "+10.0%"
    assert fmt.delta(90, 100, "tickets") == "-10.0%"
    assert fmt.delta(5, 0, "tickets") == "+5"
    assert fmt.delta(None, 1, "USD") is None


def test_periods_read_as_their_grain():
    assert fmt.period(date(2026, 11, 23), "week") == "W48 2026"
    assert fmt.period("2026-11-01", "month") == "Nov 2026"
    assert fmt.period(date(2026, 10, 1), "quarter") == "Q4 2026"
    assert fmt.period(date(2026, 1, 1), "year") == "2026"
    assert fmt.period(date(2026, 11, 30), "day") == "30 Nov 2026"


def test_a_half_open_range_names_the_days_it_covers():
    assert fmt.span(date(2026, 11, 23), date(2026, 11, 30)) == "23–29 Nov 2026"
    assert fmt.span(date(2026, 11, 28), date(2026, 12, 5)) == "28 Nov – 4 Dec 2026"
    assert fmt.span(date(2026, 12, 28), date(2027, 1, 4)) == "28 Dec 2026 – 3 Jan 2027"


def test_a_change_that_rounds_to_zero_has_no_sign_and_counts_as_none():
    assert fmt.change(-0.0001, "hours") == "0.0 h" and fmt.change(0.00004, "fraction") == "0.0 pp"
    assert fmt.rounds_to_zero("0.0 pp") and fmt.rounds_to_zero("$0")
    assert not fmt.rounds_to_zero("-0.1 h") and not fmt.rounds_to_zero(None)
    # a score on a fixed scale changes by points of the scale, not by a share
    assert fmt.delta(4.57, 4.87, "score") == "-0.30"


def test_a_count_takes_its_noun_in_the_right_number_with_thousands_separators():
    assert fmt.plural(1, "account") == "1 account"
    assert fmt.plural(0, "account") == "0 accounts"
    assert fmt.plural(2, "account") == "2 accounts"
    assert fmt.plural(1234, "ticket") == "1,234 tickets"
    assert fmt.plural(1.0, "response") == "1 response"  # a whole float is a whole count
    assert fmt.plural(2.5, "user") == "2.5 users"
    assert fmt.plural(1, "reply", "replies") == "1 reply"
    assert fmt.plural(3, "reply", "replies") == "3 replies"
    assert fmt.plural(None, "account") == "— accounts"
    assert fmt.plural(float("nan"), "account") == "— accounts"


def test_no_page_part_formats_money_or_percentages_inline():
    # money and shares are written by fmt.value / fmt.change, so a page never shows "$1,234"
    # on one card and "-$1,234.00" or "12%" against "12.0%" on another
    import re
    from pathlib import Path

    inline = re.compile(r"\$\{[^}]*:[^}]*f\}|\{[^}]*:[+,]?\.\d+%\}")
    root = Path(__file__).resolve().parents[2] / "dashboard"
    found = [f"{p.relative_to(root)}:{i}" for p in root.rglob("*.py")
             for i, line in enumerate(p.read_text().splitlines(), 1) if inline.search(line)]
    assert not found, found
