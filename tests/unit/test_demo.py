"""The demo data set: deterministic, complete, consistent, telling the stories pages need."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, timedelta

import pytest

from metrics import demo, schema
from metrics.store import Store

END = date(2025, 6, 30)
CANONICAL = list(schema.TABLES)
ALL_TABLES = [*CANONICAL, "account_attributes"]
# Forward-looking columns: the next renewal and the current quarter's goal lie after the end.
FORWARD_LOOKING = {("accounts", "renewal_date"), ("targets", "period_end")}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(store, rows per table) of the small demo set ending on END, built once for the module."""
    store = Store(tmp_path_factory.mktemp("demo") / "demo.duckdb")
    counts = demo.generate(store, "small", end=END)
    yield store, counts
    store.close()


@pytest.fixture()
def demo_store(built):
    return built[0]


@pytest.fixture()
def counts(built):
    return built[1]


@pytest.fixture(scope="module")
def zipped(built):
    """The demo zip of the module's store, built once."""
    c = built[0].cursor()
    try:
        return demo.demo_zip_bytes(c)
    finally:
        c.close()


@pytest.fixture()
def cur(demo_store):
    c = demo_store.cursor()
    yield c
    c.close()


def one(cur, sql, params=None):
    return cur.execute(sql, params or []).fetchone()[0]


def table_digest(cur, table: str) -> tuple[int, str]:
    """Row count and md5 of all rows (as text, sorted) of a table."""
    return cur.execute(
        f"SELECT count(*), md5(string_agg(CAST(t AS VARCHAR), chr(10) "
        f"ORDER BY CAST(t AS VARCHAR))) FROM {table} t"
    ).fetchone()


def digests(store: Store) -> dict[str, tuple[int, str]]:
    c = store.cursor()
    try:
        return {t: table_digest(c, t) for t in ALL_TABLES}
    finally:
        c.close()


def date_columns(table: str) -> list[str]:
    return [c.name for c in schema.TABLES[table].columns if c.type in ("DATE", "TIMESTAMP")]


def latest_dates(cur) -> dict[tuple[str, str], date | None]:
    """The latest date in every date and timestamp column, as a date."""
    out = {}
    for table in CANONICAL:
        for col in date_columns(table):
            out[(table, col)] = one(cur, f"SELECT max(CAST({col} AS DATE)) FROM {table}")
    return out


# ---------------------------------------------------------------------------------------------
# Determinism


def test_same_seed_and_end_give_identical_tables_and_identical_zip(tmp_path, demo_store, zipped):
    again = Store(tmp_path / "again.duckdb")
    try:
        demo.generate(again, "small", end=END, seed=42)
        assert digests(again) == digests(demo_store)
        c = again.cursor()
        assert demo.demo_zip_bytes(c) == zipped
        c.close()
    finally:
        again.close()


def test_another_seed_gives_other_data(tmp_path, demo_store):
    other = Store(tmp_path / "other.duckdb")
    try:
        demo.generate(other, "small", end=END, seed=7)
        mine, theirs = digests(demo_store), digests(other)
        assert mine["usage_events"] != theirs["usage_events"]
        assert mine["accounts"] != theirs["accounts"]
    finally:
        other.close()


def test_a_different_end_moves_the_data_with_it(tmp_path, demo_store):
    earlier = END - timedelta(days=100)
    store = Store(tmp_path / "earlier.duckdb")
    try:
        demo.generate(store, "small", end=earlier)
        c = store.cursor()
        assert one(c, "SELECT max(occurred_at)::DATE FROM usage_events") == earlier
        assert one(c, "SELECT max(created_at)::DATE FROM tickets") == earlier
        assert one(c, "SELECT min(signup_date) FROM accounts") > earlier - timedelta(days=3 * 366)
        for (table, col), latest in latest_dates(c).items():
            if (table, col) not in FORWARD_LOOKING and latest is not None:
                assert latest <= earlier, (table, col, latest)
        c.close()
        assert digests(store)["accounts"] != digests(demo_store)["accounts"]
    finally:
        store.close()


def test_end_defaults_to_yesterday(tmp_path):
    store = Store(tmp_path / "today.duckdb")
    try:
        demo.generate(store, "small")
        c = store.cursor()
        latest = one(c, "SELECT max(occurred_at)::DATE FROM usage_events")
        c.close()
        # a midnight between the two calls moves "yesterday" by one day
        assert date.today() - timedelta(days=2) <= latest <= date.today() - timedelta(days=1)
    finally:
        store.close()


# ---------------------------------------------------------------------------------------------
# Size and completeness


def test_small_set_has_500_accounts_and_rows_in_every_table(counts, cur):
    assert counts == {t: one(cur, f"SELECT count(*) FROM {t}") for t in ALL_TABLES}
    assert counts["accounts"] == 500
    assert counts["account_attributes"] == 2 * 500
    assert 100_000 <= counts["usage_events"] <= 300_000
    assert 1_000 <= counts["tickets"] <= 10_000
    assert 1_000 <= counts["survey_responses"] <= 10_000
    assert counts["subscriptions"] >= 500
    assert counts["orders"] > 0
    assert counts["targets"] > 0


def test_sizes_grow_tenfold_in_accounts():
    assert demo.SIZES["small"].accounts == 500
    assert demo.SIZES["medium"].accounts == 5_000
    assert demo.SIZES["large"].accounts == 50_000


def test_unknown_size_is_refused(tmp_path):
    store = Store(tmp_path / "t.duckdb")
    try:
        with pytest.raises(ValueError, match="huge"):
            demo.generate(store, "huge", end=END)
    finally:
        store.close()


def test_the_data_covers_three_years_ending_on_the_end_date(cur):
    assert one(cur, "SELECT min(signup_date) FROM accounts") >= END - timedelta(days=3 * 366)
    assert one(cur, "SELECT min(signup_date) FROM accounts") <= date(2022, 8, 31)
    assert one(cur, "SELECT max(occurred_at)::DATE FROM usage_events") == END
    assert one(cur, "SELECT max(created_at)::DATE FROM tickets") >= END - timedelta(days=3)


def test_nothing_is_dated_after_the_end_date(cur):
    for (table, col), latest in latest_dates(cur).items():
        if (table, col) in FORWARD_LOOKING:
            continue
        assert latest is None or latest <= END, (table, col, latest)


def test_renewal_dates_are_the_next_anniversary_for_customers_only(cur):
    rows = cur.execute("SELECT signup_date, churn_date, renewal_date FROM accounts").fetchall()
    for signup, churn, renewal in rows:
        if churn is not None:
            assert renewal is None
            continue
        assert END < renewal <= END + timedelta(days=366)
        assert (renewal.month, renewal.day) == (
            signup.month,
            signup.day,
        ) or renewal.day < signup.day


def test_targets_cover_the_last_year_by_quarter(cur):
    rows = cur.execute(
        "SELECT metric, count(*), min(period_start), max(period_start) FROM targets "
        "WHERE segment IS NULL GROUP BY metric ORDER BY metric"
    ).fetchall()
    metrics = {r[0] for r in rows}
    assert {"nps", "csat", "logo_churn", "first_response_median_h", "mrr"} <= metrics
    for _, n, first, last in rows:
        assert n == 4
        assert first == date(2024, 7, 1) and last == date(2025, 4, 1)
    assert (
        one(cur, "SELECT target FROM targets WHERE metric = 'nps' AND segment IS NULL LIMIT 1")
        == 40
    )


# ---------------------------------------------------------------------------------------------
# Consistency rules of DATA.md


def test_churn_date_is_never_before_signup(cur):
    assert one(cur, "SELECT count(*) FROM accounts WHERE churn_date < signup_date") == 0
    assert one(cur, "SELECT count(churn_date) FROM accounts") > 0


def test_subscription_periods_end_after_they_start_and_never_overlap(cur):
    assert one(cur, "SELECT count(*) FROM subscriptions WHERE end_date <= start_date") == 0
    assert one(cur, "SELECT count(*) FROM subscriptions WHERE mrr < 0") == 0
    overlaps = one(
        cur,
        "SELECT count(*) FROM (SELECT start_date, lag(end_date) OVER "
        "(PARTITION BY account_id ORDER BY start_date) prev_end FROM subscriptions) "
        "WHERE start_date < prev_end",
    )
    assert overlaps == 0


def test_customers_have_an_open_subscription_and_churned_ones_stop_paying_on_churn(cur):
    no_open = one(
        cur,
        "SELECT count(*) FROM accounts a WHERE churn_date IS NULL AND NOT EXISTS "
        "(SELECT 1 FROM subscriptions s WHERE s.account_id = a.account_id AND s.end_date IS NULL)",
    )
    assert no_open == 0
    mismatched = one(
        cur,
        "SELECT count(*) FROM (SELECT a.account_id, a.churn_date, bool_or(s.end_date IS NULL) "
        "open, max(s.end_date) last_end FROM accounts a JOIN subscriptions s USING (account_id) "
        "WHERE a.churn_date IS NOT NULL GROUP BY ALL) WHERE open OR last_end <> churn_date",
    )
    assert mismatched == 0


def test_subscriptions_show_expansion_contraction_and_reactivation(cur):
    moves = cur.execute(
        "SELECT count(*) FILTER (WHERE mrr > prev_mrr AND start_date = prev_end), "
        "count(*) FILTER (WHERE mrr < prev_mrr AND start_date = prev_end), "
        "count(*) FILTER (WHERE mrr < prev_mrr AND start_date = prev_end AND plan <> prev_plan), "
        "count(*) FILTER (WHERE start_date > prev_end) "
        "FROM (SELECT *, lag(mrr) OVER w prev_mrr, lag(end_date) OVER w prev_end, "
        "lag(plan) OVER w prev_plan FROM subscriptions "
        "WINDOW w AS (PARTITION BY account_id ORDER BY start_date))"
    ).fetchone()
    expansions, contractions, downgrades, reactivations = moves
    assert expansions >= 10
    assert contractions >= 10
    assert downgrades >= 1
    assert reactivations >= 1
    # reactivated accounts stay customers for logo metrics: churn_date is only the last churn
    gap_but_churned_before = one(
        cur,
        "SELECT count(*) FROM (SELECT account_id, start_date, lag(end_date) OVER "
        "(PARTITION BY account_id ORDER BY start_date) prev_end FROM subscriptions) s "
        "JOIN accounts a USING (account_id) WHERE s.start_date > s.prev_end "
        "AND a.churn_date IS NOT NULL AND a.churn_date < s.start_date",
    )
    assert gap_but_churned_before == 0


def test_mrr_is_stored_monthly_in_cents(cur):
    assert one(cur, "SELECT count(*) FROM subscriptions WHERE billing_period <> 'month'") == 0
    assert one(cur, "SELECT count(*) FROM subscriptions WHERE mrr <> round(mrr, 2)") == 0


def test_tickets_are_answered_and_resolved_after_they_are_created(cur):
    bad = one(
        cur,
        "SELECT count(*) FROM tickets WHERE first_response_at < created_at "
        "OR resolved_at < created_at OR resolved_at < first_response_at",
    )
    assert bad == 0
    assert one(cur, "SELECT count(*) FROM tickets WHERE contacts NOT BETWEEN 0 AND 6") == 0
    assert one(cur, "SELECT count(*) FROM tickets WHERE priority NOT IN ('P1','P2','P3','P4')") == 0
    reopened = one(cur, "SELECT avg(reopened::INT) FROM tickets WHERE resolved_at IS NOT NULL")
    assert 0.03 <= reopened <= 0.12
    assert one(cur, "SELECT count(*) FROM tickets WHERE resolved_at IS NULL") > 0


def test_ticket_ids_and_survey_ids_are_sequential_and_unique(cur):
    assert one(cur, "SELECT min(ticket_id) FROM tickets") == "T0000001"
    assert one(cur, "SELECT count(DISTINCT ticket_id) = count(*) FROM tickets")
    assert one(cur, "SELECT min(response_id) FROM survey_responses") == "R000001"
    assert one(cur, "SELECT count(DISTINCT response_id) = count(*) FROM survey_responses")
    assert one(cur, "SELECT min(order_id) FROM orders") == "O000001"


def test_email_is_slower_to_answer_than_chat(cur):
    medians = dict(
        cur.execute(
            "SELECT channel, median(epoch(first_response_at - created_at) / 3600) "
            "FROM tickets GROUP BY channel"
        ).fetchall()
    )
    assert 6 <= medians["email"] <= 20
    assert medians["chat"] < 0.5
    assert medians["chat"] < medians["web"] < medians["email"]


def test_scores_are_in_range_for_their_survey_type(cur):
    rows = cur.execute(
        "SELECT survey_type, min(score), max(score), min(scale), max(scale), count(*) "
        "FROM survey_responses GROUP BY survey_type ORDER BY survey_type"
    ).fetchall()
    ranges = {r[0]: r[1:] for r in rows}
    assert set(ranges) == {"nps", "csat", "ces"}
    assert 0 <= ranges["nps"][0] <= 2 and ranges["nps"][1] == 10 and ranges["nps"][2:4] == (11, 11)
    assert 1 <= ranges["csat"][0] and ranges["csat"][1] <= 5 and ranges["csat"][2:4] == (5, 5)
    assert 1 <= ranges["ces"][0] and ranges["ces"][1] <= 7 and ranges["ces"][2:4] == (7, 7)
    assert ranges["nps"][4] > ranges["ces"][4] and ranges["csat"][4] > ranges["ces"][4]


def test_csat_follows_support_and_about_half_the_answers_have_a_comment(cur):
    touch = one(
        cur,
        "SELECT avg((touchpoint = 'support')::INT) FROM survey_responses "
        "WHERE survey_type = 'csat'",
    )
    assert touch == 1.0
    share = one(cur, "SELECT avg((comment IS NOT NULL)::INT) FROM survey_responses")
    assert 0.35 <= share <= 0.65
    assert one(cur, "SELECT count(DISTINCT comment) FROM survey_responses") >= 40


def test_comments_match_the_tone_of_the_score(cur):
    praise = (
        "'Fast and reliable.', 'Excellent support experience.', 'Intuitive and clean interface.'"
    )
    low_praise = one(
        cur,
        f"SELECT count(*) FROM survey_responses WHERE survey_type = 'nps' AND score <= 6 "
        f"AND comment IN ({praise})",
    )
    assert low_praise == 0
    expensive = one(
        cur,
        "SELECT avg(score) FROM survey_responses WHERE survey_type = 'nps' "
        "AND comment ILIKE '%too expensive%'",
    )
    assert expensive <= 6


def test_respondents_are_people_at_the_customer(cur):
    rows = cur.execute(
        "SELECT a.name, s.respondent FROM survey_responses s JOIN accounts a USING (account_id) "
        "LIMIT 200"
    ).fetchall()
    for name, email in rows:
        local, domain = email.split("@")
        assert "." in local
        squashed = "".join(ch for ch in name.lower() if ch.isalnum())
        assert domain.startswith(squashed)


def test_nps_lands_in_the_b2b_range_and_csat_near_the_help_desk_benchmark(cur):
    nps = one(
        cur,
        "SELECT 100 * (avg((score >= 9)::INT) - avg((score <= 6)::INT)) FROM survey_responses "
        "WHERE survey_type = 'nps'",
    )
    csat = one(
        cur, "SELECT avg((score >= 4)::INT) FROM survey_responses WHERE survey_type = 'csat'"
    )
    assert 15 <= nps <= 55
    assert 0.75 <= csat <= 0.92


def test_usage_events_have_users_features_and_durations(cur):
    assert one(cur, "SELECT count(DISTINCT feature) FROM usage_events") == 12
    assert one(cur, "SELECT min(duration_seconds) FROM usage_events") >= 0
    assert (
        one(
            cur,
            "SELECT count(*) FROM usage_events WHERE NOT regexp_full_match(user_id, 'u[0-9]{4}')",
        )
        == 0
    )
    top = cur.execute(
        "SELECT feature FROM usage_events GROUP BY feature ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()[0]
    assert top == "dashboards"
    weekend_share = one(
        cur, "SELECT avg((dayofweek(occurred_at) IN (0, 6))::INT) FROM usage_events"
    )
    assert weekend_share < 0.12  # two of seven days, but B2B usage happens on working days


def test_nobody_uses_the_product_or_files_tickets_after_churning(cur):
    for table, col in (("usage_events", "occurred_at"), ("tickets", "created_at"),
                       ("survey_responses", "responded_at")):  # fmt: skip
        late = one(
            cur,
            f"SELECT count(*) FROM {table} x JOIN accounts a USING (account_id) "
            f"WHERE a.churn_date IS NOT NULL AND x.{col} >= a.churn_date",
        )
        assert late == 0, table
        early = one(
            cur,
            f"SELECT count(*) FROM {table} x JOIN accounts a USING (account_id) "
            f"WHERE x.{col} < a.signup_date",
        )
        assert early == 0, table


# ---------------------------------------------------------------------------------------------
# Accounts


def test_account_names_are_unique_and_most_have_two_or_more_words(cur):
    names = [r[0] for r in cur.execute("SELECT name FROM accounts").fetchall()]
    assert len(set(names)) == len(names) == 500
    several = sum(len(n.split()) >= 2 for n in names) / len(names)
    assert several >= 0.8
    assert all(n[0].isupper() for n in names)


def test_accounts_have_segments_regions_plans_owners_and_stages(cur):
    def values(col):
        return {r[0] for r in cur.execute(f"SELECT DISTINCT {col} FROM accounts").fetchall()}

    assert values("segment") == {"SMB", "Mid-Market", "Enterprise"}
    assert values("region") == {"North America", "EMEA", "APAC", "LATAM"}
    assert values("plan") == {"Starter", "Growth", "Pro", "Enterprise"}
    assert values("lifecycle_stage") == {"onboarding", "adoption", "mature"}
    assert len(values("csm_owner")) == 8
    assert len(values("industry")) >= 6


def test_segments_differ_in_mrr_seats_and_churn(cur):
    rows = cur.execute(
        "SELECT a.segment, avg(s.mrr), avg(CAST(v.value AS INT)), "
        "avg((a.churn_date IS NOT NULL)::INT) "
        "FROM accounts a JOIN account_attributes v ON v.account_id = a.account_id "
        "AND v.attribute = 'seats' JOIN subscriptions s ON s.account_id = a.account_id "
        "GROUP BY a.segment"
    ).fetchall()
    by = {r[0]: r[1:] for r in rows}
    smb, mid, ent = by["SMB"], by["Mid-Market"], by["Enterprise"]
    assert smb[0] < mid[0] < ent[0]  # MRR
    assert smb[1] < mid[1] < ent[1]  # seats
    assert smb[2] > mid[2] > ent[2]  # churned share


def test_signups_grow_over_the_years_and_peak_in_q1(cur):
    per_half = cur.execute(
        "SELECT count(*) FILTER (WHERE signup_date < DATE '2024-01-01'), "
        "count(*) FILTER (WHERE signup_date >= DATE '2024-07-01') FROM accounts "
        "WHERE signup_date >= DATE '2022-07-01'"
    ).fetchone()
    assert per_half[1] > per_half[0] * 0.8  # 12 recent months vs the first 18
    q1 = one(cur, "SELECT count(*) FROM accounts WHERE month(signup_date) IN (1, 2, 3)")
    q3 = one(cur, "SELECT count(*) FROM accounts WHERE month(signup_date) IN (7, 8, 9)")
    assert q1 > q3


def test_custom_attributes_are_seats_and_contract_type_for_every_account(cur):
    rows = cur.execute(
        "SELECT attribute, count(DISTINCT account_id), min(value), max(value) "
        "FROM account_attributes GROUP BY attribute ORDER BY attribute"
    ).fetchall()
    assert [r[:2] for r in rows] == [("Contract Type", 500), ("seats", 500)]
    assert (rows[0][2], rows[0][3]) == ("Annual", "Monthly")
    assert (
        one(
            cur,
            "SELECT min(TRY_CAST(value AS INT)) FROM account_attributes WHERE attribute = 'seats'",
        )
        >= 1
    )
    assert (
        one(
            cur,
            "SELECT count(*) FROM account_attributes WHERE attribute = 'seats' "
            "AND TRY_CAST(value AS INT) IS NULL",
        )
        == 0
    )


# ---------------------------------------------------------------------------------------------
# The stories a health model must find


def test_churned_accounts_used_less_per_seat_and_scored_lower_before_they_left(cur):
    rows = cur.execute(
        """
        WITH seats AS (
            SELECT account_id, CAST(value AS INT) AS seats FROM account_attributes
            WHERE attribute = 'seats'),
        a AS (  -- accounts with at least half a year of history before churn or the end
            SELECT account_id, churn_date IS NOT NULL AS churned,
                   coalesce(churn_date, $end + 1) AS ref, seats
            FROM accounts JOIN seats USING (account_id)
            WHERE datediff('day', signup_date, coalesce(churn_date, $end + 1)) >= 180),
        u AS (  -- events per seat in the 90 days before churn (or before the end)
            SELECT a.account_id, count(e.account_id) / a.seats AS per_seat
            FROM a LEFT JOIN usage_events e ON e.account_id = a.account_id
             AND e.occurred_at >= a.ref - INTERVAL 90 DAY AND e.occurred_at < a.ref
            GROUP BY a.account_id, a.seats),
        n AS (
            SELECT account_id, avg(score) AS nps FROM survey_responses
            WHERE survey_type = 'nps' GROUP BY account_id)
        SELECT churned, count(*), median(per_seat), avg(nps)
        FROM a JOIN u USING (account_id) LEFT JOIN n USING (account_id)
        GROUP BY churned ORDER BY churned
        """,
        {"end": END},
    ).fetchall()
    (_, stayed_n, stayed_usage, stayed_nps), (_, churned_n, churned_usage, churned_nps) = rows
    assert churned_n >= 30 and stayed_n >= 100
    assert churned_usage < 0.6 * stayed_usage
    assert churned_nps < stayed_nps - 1.0


def test_churners_usage_declined_in_the_months_before_churn(cur):
    ratio = one(
        cur,
        """
        WITH c AS (
            SELECT account_id, churn_date FROM accounts
            WHERE churn_date IS NOT NULL AND datediff('day', signup_date, churn_date) >= 240),
        e AS (
            SELECT c.account_id,
                   count(*) FILTER (WHERE occurred_at >= churn_date - INTERVAL 60 DAY) AS recent,
                   count(*) FILTER (WHERE occurred_at < churn_date - INTERVAL 120 DAY) AS earlier
            FROM c JOIN usage_events u USING (account_id)
            WHERE occurred_at >= churn_date - INTERVAL 180 DAY GROUP BY c.account_id)
        SELECT sum(recent) / sum(earlier) FROM e
        """,
    )
    assert ratio < 0.75  # the last two months against two months half a year before


def test_active_accounts_at_the_end_are_a_mix_of_engaged_and_at_risk(cur):
    shares = cur.execute(
        """
        WITH a AS (
            SELECT a.account_id, CAST(v.value AS INT) AS seats FROM accounts a
            JOIN account_attributes v ON v.account_id = a.account_id AND v.attribute = 'seats'
            WHERE churn_date IS NULL AND signup_date < $end - 60),
        u AS (
            SELECT account_id, count(DISTINCT user_id) AS users FROM usage_events
            WHERE occurred_at >= $end - 29 GROUP BY account_id)
        SELECT avg((coalesce(users, 0) / seats < 0.4)::INT),
               avg((coalesce(users, 0) / seats >= 0.7)::INT)
        FROM a LEFT JOIN u USING (account_id)
        """,
        {"end": END},
    ).fetchone()
    at_risk, engaged = shares
    assert at_risk >= 0.05
    assert engaged >= 0.3


# ---------------------------------------------------------------------------------------------
# Writing: replace, transaction, load log


def test_generating_twice_replaces_the_data_instead_of_adding_to_it(tmp_path):
    store = Store(tmp_path / "twice.duckdb")
    try:
        first = demo.generate(store, "small", end=END)
        version = store.data_version()
        reports = []
        second = demo.generate(store, "small", end=END, progress=lambda f, m: reports.append(f))
        assert reports[0] == 0.0 and reports[-1] == 1.0
        assert reports == sorted(reports)
        c = store.cursor()
        assert first == second
        assert second == {t: one(c, f"SELECT count(*) FROM {t}") for t in ALL_TABLES}
        assert store.data_version() == version + 1
        loads = c.execute(
            "SELECT table_name, file_name, sha256, mode, outcome, loaded_by, rows_loaded, "
            "started_at <= finished_at FROM loads ORDER BY load_id"
        ).fetchall()
        c.close()
        assert len(loads) == 2
        assert loads[-1] == ("all", "demo:small", None, "replace", "loaded", "csm demo",
                             sum(second.values()), True)  # fmt: skip
    finally:
        store.close()


def test_a_failure_midway_leaves_the_previous_data_untouched(tmp_path, monkeypatch):
    store = Store(tmp_path / "fail.duckdb")
    try:
        demo.generate(store, "small", end=END)
        before, version = digests(store), store.data_version()
        real_batches = demo.write._usage_batches  # generate's own reference to it

        def broken(w):
            yield next(real_batches(w))
            raise KeyboardInterrupt  # not an Exception: rollback must still happen

        monkeypatch.setattr(demo.write, "_usage_batches", broken)
        with pytest.raises(KeyboardInterrupt):
            demo.generate(store, "small", end=END - timedelta(days=10))
        assert digests(store) == before
        assert store.data_version() == version
    finally:
        store.close()


# ---------------------------------------------------------------------------------------------
# CSV export


def read_zip(data: bytes) -> dict[str, list[list[str]]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {
            name: list(csv.reader(io.StringIO(zf.read(name).decode("utf-8"))))
            for name in zf.namelist()
        }


def test_demo_zip_holds_one_csv_per_table_with_canonical_headers(zipped, counts):
    files = read_zip(zipped)
    assert sorted(files) == sorted(f"{t}.csv" for t in CANONICAL)
    for table in CANONICAL:
        rows = files[f"{table}.csv"]
        expected = schema.TABLES[table].column_names
        if table == "accounts":
            expected = [*expected, "Contract Type", "seats"]
        assert rows[0] == expected, table
        assert len(rows) - 1 == counts[table], table


def test_csv_values_are_plain_iso_text(zipped):
    files = read_zip(zipped)
    accounts = files["accounts.csv"]
    header, first = accounts[0], accounts[1]
    row = dict(zip(header, first, strict=True))
    assert row["account_id"] == "A00001"
    assert date.fromisoformat(row["signup_date"]) <= END
    assert row["seats"].isdigit() and row["Contract Type"] in ("Annual", "Monthly")
    tickets = files["tickets.csv"]
    t = dict(zip(tickets[0], tickets[1], strict=True))
    assert len(t["created_at"]) == 19 and t["created_at"][10] == " "
    assert t["reopened"] in ("true", "false", "")
    subs = files["subscriptions.csv"]
    mrr = subs[1][subs[0].index("mrr")]
    assert mrr.split(".")[1].isdigit() and len(mrr.split(".")[1]) == 2


def test_write_csvs_writes_the_same_files_as_the_zip(cur, tmp_path, zipped):
    paths = demo.write_csvs(cur, tmp_path / "out")
    assert [p.name for p in paths] == [f"{t}.csv" for t in CANONICAL]
    archive = zipfile.ZipFile(io.BytesIO(zipped))
    for p in paths:
        assert p.read_bytes() == archive.read(p.name)


def test_csv_export_skips_empty_tables(tmp_path):
    store = Store(tmp_path / "empty.duckdb")
    try:
        c = store.cursor()
        assert demo.write_csvs(c, tmp_path / "out") == []
        assert zipfile.ZipFile(io.BytesIO(demo.demo_zip_bytes(c))).namelist() == []
        c.execute(
            "INSERT INTO targets VALUES "
            "('nps', NULL, DATE '2025-01-01', DATE '2025-04-01', 40, NULL)"
        )
        assert [p.name for p in demo.write_csvs(c, tmp_path / "out2")] == ["targets.csv"]
        c.close()
    finally:
        store.close()


def test_the_weekly_reviews_default_week_lists_alerts_the_demos_rules_fired(cur):
    from metrics import alerts, review
    from metrics.query import Query

    r = review.build(cur, Query())
    assert r is not None and r.start == date(2025, 6, 23)  # END is a Monday: the week before
    assert len(r.alerts) >= 1
    assert set(r.alerts["as_of"]) == {date(2025, 6, 29)}  # the week's last day
    assert not r.alerts["suppressed"].any() and set(r.alerts["trigger"]) == {"demo"}
    hist = alerts.history(cur)
    assert set(hist["as_of"]) == {date(2025, 6, 29), END}
    # the as-of evaluation a day later is not held back by the week's (24-hour cooldown)
    latest = hist[hist["as_of"] == END]
    assert (latest["fired"] & ~latest["suppressed"]).sum() >= 2
    rules = alerts.read_rules(cur).set_index("name")
    for name in ("NPS of SMB below its floor", "Median first response too slow"):
        fired_on = hist[(hist["rule_name"] == name) & hist["fired"]]["as_of"]
        assert set(fired_on) == {date(2025, 6, 29), END}, (name, rules.loc[name, "threshold"])


def test_the_demo_evaluates_on_the_weeks_last_day_and_the_as_of():
    from metrics.demo import rules

    assert rules.evaluation_days(date(2026, 12, 1)) == [date(2026, 11, 29), date(2026, 12, 1)]
    assert rules.evaluation_days(date(2026, 11, 29)) == [date(2026, 11, 29)]  # a Sunday
