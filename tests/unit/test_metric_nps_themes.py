"""nps_themes and the themes file: rules, precedence, hand-worked counts, NPS and impact, and
the SQL matcher agreeing with the Python one on every demo comment."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from metrics import demo, registry, themes
from metrics.kpis import feedback, satisfaction
from metrics.query import Query

JAN = Query(start=date(2024, 1, 1), end=date(2024, 2, 1), as_of=date(2024, 1, 31), grain="all")

RULES = """
version: 7
themes:
  Pricing:
    keywords: [price, expensive]
  Support:
    keywords: [support, slow to respond]
  Performance:
    keywords: [slow]
  Bugs:
    keywords: [bug]
    patterns: ['crash(es|ed)?']
"""


@pytest.fixture
def rules_file(tmp_path) -> Path:
    p = tmp_path / "themes.yaml"
    p.write_text(RULES)
    return p


@pytest.fixture
def acme(insert):
    insert("accounts", [
        {"account_id": "acme", "name": "Acme Corp", "segment": "SMB",
         "signup_date": date(2023, 1, 1)},
        {"account_id": "beta", "name": "Beta Labs", "segment": "Enterprise",
         "signup_date": date(2023, 1, 1)},
    ])


def nps_rows(answers, account="acme", day=10):
    """NPS responses from (score, comment) pairs, one respondent each, an hour apart."""
    return [{"response_id": f"{account}-{i}", "account_id": account, "respondent": f"p{i}",
             "survey_type": "nps", "score": s, "comment": c,
             "responded_at": datetime(2024, 1, day, 8 + i % 12, i // 12)}
            for i, (s, c) in enumerate(answers)]


# The hand-worked example: 10 responses, NPS of all = 100 (5 - 3) / 10 = 20.
TEN = [
    (2, "Too expensive"),                # Pricing, detractor
    (3, "The PRICE went up"),            # Pricing, detractor (case-insensitive)
    (9, "Fair price"),                   # Pricing, promoter
    (10, "Support is great"),            # Support, promoter
    (10, "Great support, fair price"),   # Support and Pricing, promoter
    (9, None),                           # promoter, no comment
    (8, None),                           # passive
    (7, ""),                             # passive, empty comment
    (6, "meh"),                          # detractor, no theme
    (10, None),                          # promoter
]


def theme_rows(store, rules_file, q=JAN):
    q = q.with_setting("themes_file", str(rules_file))
    df = feedback.nps_themes(store.cursor(), q)
    return {r.theme: r for r in df.itertuples(index=False)}, df


# --------------------------------------------------------------------------- the rules file


def test_a_keyword_matches_words_that_start_with_it_and_nothing_inside_a_word(rules_file):
    ts = themes.load_themes(rules_file)
    assert ts.match("Too many bugs, very buggy") == ["Bugs"]
    assert ts.match("We debug it ourselves") == []
    assert ts.match("EXPENSIVE!") == ["Pricing"]


def test_a_longer_keyword_wins_over_a_shorter_one_of_another_theme(rules_file):
    ts = themes.load_themes(rules_file)
    # "slow to respond" (Support) beats "slow" (Performance) on the same words ...
    assert ts.match("They are slow to respond") == ["Support"]
    # ... but different words of one comment give several themes
    assert ts.match("The app is slow and support is friendly") == ["Support", "Performance"]


def test_a_pattern_rule_is_a_case_insensitive_regular_expression(rules_file):
    ts = themes.load_themes(rules_file)
    assert ts.match("It Crashed twice") == ["Bugs"]
    assert ts.match("crash") == ["Bugs"]


def test_the_shipped_file_puts_every_demo_comment_in_its_own_theme():
    ts = themes.load_themes()
    name = {"pricing": "Pricing", "onboarding": "Onboarding", "support": "Support",
            "reporting": "Reporting", "integrations": "Integrations & API",
            "performance": "Performance", "ease_of_use": "Ease of use", "bugs": "Bugs"}
    assert set(ts.names) == set(name.values())
    for theme, tones in demo.COMMENTS.items():
        for comments in tones.values():
            for c in comments:
                assert name[theme] in ts.match(c), (theme, c, ts.match(c))


@pytest.mark.parametrize("text, message", [
    ("themes: [a, b]", "needs a `themes:` mapping"),
    ("themes:\n  A: {}\n", "no keywords and no patterns"),
    ("themes:\n  A: {keywords: [x], colour: red}\n", "unknown key"),
    ("themes:\n  A: {patterns: ['(?=x)y']}\n", "look-arounds"),
    ("themes:\n  A: {patterns: ['(a)\\\\1']}\n", "back-references"),
    ("themes:\n  A: {patterns: ['x*']}\n", "matches empty text"),
    ("themes:\n  A: {patterns: ['(unclosed']}\n", "not a valid regular expression"),
    ("themes: {A: {keywords: [x]}\n", "not valid YAML"),
])
def test_an_unusable_themes_file_is_refused_with_a_reason(text, message):
    with pytest.raises(themes.ThemeError, match=message):
        themes.parse_themes(text, "t.yaml")


def test_regular_expression_characters_in_a_keyword_are_plain_text():
    ts = themes.parse_themes("themes:\n  Odd: {keywords: ['c++', 'a.b']}\n")
    assert ts.match("we use C++ daily") == ["Odd"]
    assert ts.match("aXb") == []
    assert ts.match("a.b rocks") == ["Odd"]


def test_no_themes_at_all_match_nothing(store, insert, acme, tmp_path):
    empty = tmp_path / "none.yaml"
    empty.write_text("themes: {}\n")
    insert("survey_responses", nps_rows(TEN))
    by_theme, df = theme_rows(store, empty)
    assert df.empty and list(df.columns) == ["period", "partial", *feedback.NPS_THEMES_COLUMNS]


# ---------------------------------------------------------------------- hand-worked numbers


def test_theme_counts_nps_share_and_impact_are_hand_worked(store, insert, acme, rules_file):
    insert("survey_responses", nps_rows(TEN))
    by_theme, df = theme_rows(store, rules_file)
    assert list(df.theme) == ["Pricing", "Support", "Performance", "Bugs"]  # the file's order
    pricing, support = by_theme["Pricing"], by_theme["Support"]
    # Pricing: responses 1, 2, 3, 5 -> P 2, D 2 -> NPS 0; share 4/10. Without them: 6
    # responses, P 3 (10, 9, 10), D 1 (6) -> 100 * 2 / 6; impact = 20 - 33.33 = -13.33
    assert (pricing.responses, pricing.share, pricing.nps) == (4, 0.4, 0.0)
    assert pricing.impact == pytest.approx(20 - 100 * 2 / 6)
    # Support: responses 4 and 5, both promoters -> NPS 100; without them: 8 responses,
    # P 3, D 3 -> NPS 0; impact = 20
    assert (support.responses, support.share, support.nps) == (2, 0.2, 100.0)
    assert support.impact == pytest.approx(20.0)


def test_a_theme_nobody_mentions_has_no_nps_and_no_impact(store, insert, acme, rules_file):
    insert("survey_responses", nps_rows(TEN))
    by_theme, _ = theme_rows(store, rules_file)
    bugs = by_theme["Bugs"]
    assert (bugs.responses, bugs.share, bugs.impact) == (0, 0.0, 0.0)
    assert math.isnan(bugs.nps)


def test_a_theme_holding_every_response_has_a_null_impact(store, insert, acme, rules_file):
    insert("survey_responses", nps_rows([(10, "price"), (0, "expensive")]))
    by_theme, _ = theme_rows(store, rules_file)
    assert by_theme["Pricing"].nps == 0.0
    assert math.isnan(by_theme["Pricing"].impact)  # NPS without the theme: no responses


def test_the_nps_of_all_behind_the_impact_is_the_nps_metric_under_each_basis(
        store, insert, acme, rules_file):
    rows = nps_rows(TEN)
    # p0 answers again later in January, now a promoter: under `latest` only that one counts
    rows.append({**rows[0], "response_id": "again", "score": 10, "comment": "price is fine now",
                 "responded_at": datetime(2024, 1, 20)})
    insert("survey_responses", rows)
    for basis in ("all", "latest"):
        q = JAN.with_setting("nps_basis", basis)
        nps = satisfaction.nps(store.cursor(), q).iloc[0].nps
        by_theme, _ = theme_rows(store, rules_file, q)
        s = by_theme["Support"]
        # impact = NPS all - NPS without; NPS without from the theme's own counts
        n_all = 11 if basis == "all" else 10
        assert s.responses == 2 and s.share == pytest.approx(2 / n_all)
        p_all = round(nps * n_all / 100)  # P - D of all responses
        assert s.impact == pytest.approx(nps - 100 * (p_all - 2) / (n_all - 2))
    by_theme, _ = theme_rows(store, rules_file, JAN.with_setting("nps_basis", "latest"))
    assert by_theme["Pricing"].responses == 4  # "Too expensive" replaced by "price is fine now"


def test_themes_by_segment_and_month_give_every_theme_for_every_period_and_group(
        store, insert, acme, rules_file):
    insert("survey_responses", nps_rows([(0, "bug")], account="beta", day=5))
    insert("survey_responses", nps_rows([(10, "support")], day=5))
    q = Query(start=date(2024, 1, 1), end=date(2024, 3, 1), as_of=date(2024, 2, 29), by="segment")
    df = feedback.nps_themes(store.cursor(), q.with_setting("themes_file", str(rules_file)))
    assert list(df.columns[:4]) == ["period", "partial", "segment", "theme"]
    assert len(df) == 2 * 2 * 4  # months x segments x themes
    jan = df[(df.period == date(2024, 1, 1))].set_index(["segment", "theme"])
    assert jan.loc[("Enterprise", "Bugs"), "nps"] == -100.0
    assert math.isnan(jan.loc[("Enterprise", "Bugs"), "impact"])  # every response is in it
    assert jan.loc[("SMB", "Support"), "responses"] == 1
    feb = df[df.period == date(2024, 2, 1)]
    assert (feb.responses == 0).all() and feb.share.isna().all() and feb.impact.isna().all()


def test_sql_matching_agrees_with_the_python_matcher_on_every_demo_comment(store, insert, acme):
    ts = themes.load_themes()
    texts = [c for tones in demo.COMMENTS.values() for cs in tones.values() for c in cs]
    texts += ["Support is slow to respond and the app is slow", "per-seat   pricing",
              "<script>alert(1)</script> too expensive"]
    insert("survey_responses", nps_rows([(5, t) for t in texts]))
    df = feedback.nps_comments(store.cursor(), JAN.with_setting("comment_limit", 1000))
    assert len(df) == len(texts)
    for r in df.itertuples(index=False):
        assert (r.themes.split("; ") if r.themes else []) == ts.match(r.comment), r.comment


# ------------------------------------------------------------------------- comment explorer


def test_the_comment_explorer_filters_by_text_category_and_theme(store, insert, acme, rules_file):
    insert("survey_responses", nps_rows(TEN))
    q = JAN.with_setting("themes_file", str(rules_file))
    cur = store.cursor()
    every = feedback.nps_comments(cur, q)
    assert len(every) == 6 and (every.matching == 6).all()  # 6 non-empty comments
    assert list(every.comment[:2]) == ["meh", "Great support, fair price"]  # newest first
    assert every.iloc[0].account_name == "Acme Corp"
    found = feedback.nps_comments(cur, q.with_setting("comment_search", "PRICE"))
    assert sorted(found.comment) == ["Fair price", "Great support, fair price",
                                     "The PRICE went up"]
    detractors = feedback.nps_comments(cur, q.with_setting("comment_categories", ("detractor",)))
    assert sorted(detractors.score) == [2, 3, 6]
    support = feedback.nps_comments(cur, q.with_setting("comment_theme", "Support"))
    assert sorted(support.comment) == ["Great support, fair price", "Support is great"]
    assert set(support.themes) == {"Support", "Pricing; Support"}
    few = feedback.nps_comments(cur, q.with_setting("comment_limit", 2))
    assert len(few) == 2 and (few.matching == 6).all()


def test_a_hostile_search_is_literal_text_and_matches_nothing(store, insert, acme):
    insert("survey_responses", nps_rows(TEN))
    cur = store.cursor()
    for text in ("' OR 1=1 --", "%", "_"):
        assert feedback.nps_comments(cur, JAN.with_setting("comment_search", text)).empty


def test_an_unknown_comment_category_is_refused(store):
    with pytest.raises(ValueError, match="comment_categories"):
        feedback.nps_comments(store.cursor(), JAN.with_setting("comment_categories", ("happy",)))


# ------------------------------------------------------------------------ registry and CLI


def test_nps_themes_is_registered_with_its_columns_and_sql():
    d = registry.get("nps_themes")
    assert d.columns == ("theme", "responses", "share", "nps", "impact")
    assert "theme_match" in d.sql and "nps_counted" in d.sql


def test_csm_metric_nps_themes_prints_the_page_numbers_as_json(tmp_path):
    db = tmp_path / "csm.duckdb"
    run = [sys.executable, "-m", "csm.cli"]
    made = subprocess.run([*run, "demo", "--end", "2026-06-30", "--db", str(db)],
                          capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr
    r = subprocess.run([*run, "metric", "nps_themes", "--grain", "all", "--by", "segment",
                        "--from", "2025-07-01", "--to", "2026-07-01", "--db", str(db)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert {tuple(row) for row in rows} == {("period", "partial", "segment", "theme", "responses",
                                             "share", "nps", "impact")}
    assert {row["segment"] for row in rows} == {"SMB", "Mid-Market", "Enterprise"}
    assert len(rows) == 3 * 8 and all(row["period"] == "2025-07-01" for row in rows)
    from metrics.store import Store

    store = Store(db)
    try:
        q = Query(start=date(2025, 7, 1), end=date(2026, 7, 1), grain="all", by="segment")
        page = feedback.nps_themes(store.cursor(), q)
    finally:
        store.close()
    for row, (_, p) in zip(rows, page.iterrows(), strict=True):
        assert row["theme"] == p.theme and row["responses"] == p.responses
        assert row["impact"] == pytest.approx(p.impact)
