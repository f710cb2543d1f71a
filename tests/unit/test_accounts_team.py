"""The Accounts page's team view: NRR per CSM owner is the registered `nrr` metric (trailing 12
months to as-of), the number `csm metric nrr --by csm_owner` prints."""

from __future__ import annotations

import json
from datetime import date

import pytest

from csm import cli
from metrics import accounts, registry
from metrics.query import Query

AS_OF = date(2026, 6, 21)  # base day of the trailing 12 months: 2025-06-21
OLD = date(2025, 1, 1)


def sub(account, start, mrr, end=None):
    return {"account_id": account, "start_date": start, "end_date": end, "mrr": mrr}


@pytest.fixture
def book(insert):
    insert("accounts", [
        {"account_id": "a1", "csm_owner": "Ann", "signup_date": OLD},
        {"account_id": "a2", "csm_owner": "Ann", "signup_date": OLD,
         "churn_date": date(2026, 2, 1)},
        {"account_id": "a3", "csm_owner": "Ann", "signup_date": date(2026, 1, 1)},
        {"account_id": "b1", "csm_owner": "Bob", "signup_date": OLD},
        {"account_id": "n1", "signup_date": date(2025, 6, 1)},
    ])
    insert("subscriptions", [
        sub("a1", OLD, 100, date(2026, 3, 1)), sub("a1", date(2026, 3, 1), 150),  # expansion
        sub("a2", OLD, 100, date(2026, 2, 1)),  # churned
        sub("a3", date(2026, 1, 1), 500),  # new: not in the base cohort
        sub("b1", OLD, 200, date(2026, 4, 1)), sub("b1", date(2026, 4, 1), 100),  # contraction
        sub("n1", date(2025, 6, 1), 50),  # no owner, flat
    ])


def _team(cur, q: Query):
    qa = q.with_(grain="all", by="csm_owner")
    book = registry.compute(cur, "account_book", q.with_(as_of=AS_OF))
    return accounts.team_view(book, book.iloc[0:0], registry.compute(cur, "nrr", qa.with_(
        as_of=AS_OF)), registry.compute(cur, "nps", qa), registry.compute(cur, "logo_churn", qa),
        AS_OF).set_index("csm_owner")


def test_team_nrr_is_the_hand_worked_trailing_12_months(store, book):
    team = _team(store.cursor(), Query(as_of=AS_OF))
    # Ann: base a1 100 + a2 100 = 200, now 150 + 0 (a3 is new) = 150; Bob 200 -> 100; no owner
    # 50 -> 50.
    assert team["nrr"].to_dict() == {"Ann": 0.75, "Bob": 0.5, "(no owner)": 1.0}
    assert team.loc["Ann", "accounts"] == 2 and team.loc["Ann", "mrr"] == 650


def test_team_nrr_is_what_the_cli_prints(store, book, capsys):
    team = _team(store.cursor(), Query(as_of=AS_OF))
    assert cli.main(["metric", "nrr", "--by", "csm_owner", "--as-of", AS_OF.isoformat(),
                     "--db", str(store.path)]) == 0
    rows = json.loads(capsys.readouterr().out)
    last = max(r["period"] for r in rows)  # the partial month, evaluated on as-of
    printed = {r["csm_owner"] or "(no owner)": r["nrr"] for r in rows if r["period"] == last}
    assert printed == team["nrr"].to_dict()


def test_an_owner_without_a_base_cohort_has_no_nrr(store, book):
    # a window whose as-of is before anyone paid for 12 months: no base cohort, NRR null
    q = Query(as_of=date(2025, 6, 30))
    qa = q.with_(grain="all", by="csm_owner")
    cur = store.cursor()
    book_then = registry.compute(cur, "account_book", q)
    team = accounts.team_view(book_then, book_then.iloc[0:0], registry.compute(cur, "nrr", qa),
                              registry.compute(cur, "nps", qa),
                              registry.compute(cur, "logo_churn", qa), q.as_of)
    assert len(team) and team["nrr"].isna().all()
