"""--by dimensions and global filters (account scope), including hostile filter values."""

from datetime import date, datetime

import pytest

from metrics import dimensions, registry
from metrics.kpis import customers, satisfaction, support
from metrics.query import Query

JAN_FEB = Query(start=date(2024, 1, 1), end=date(2024, 3, 1), as_of=date(2024, 2, 29))
INJECTION = "' OR 1=1 --"


@pytest.fixture
def book(insert):
    insert(
        "accounts",
        [
            {"account_id": "a1", "segment": "SMB", "region": "EU", "signup_date": date(2023, 1, 1)},
            {"account_id": "a2", "segment": "SMB", "region": "NA", "signup_date": date(2023, 1, 1)},
            {
                "account_id": "a3",
                "segment": "Enterprise",
                "region": "EU",
                "signup_date": date(2023, 1, 1),
            },
            {"account_id": "a4", "segment": None, "region": "EU", "signup_date": date(2024, 2, 3)},
        ],
    )
    insert(
        "account_attributes",
        [
            {"account_id": "a1", "attribute": "Contract Type", "value": "annual"},
            {"account_id": "a2", "attribute": "Contract Type", "value": "monthly"},
            {"account_id": "a3", "attribute": "Contract Type", "value": "annual"},
            {"account_id": "a1", "attribute": "Seats", "value": "10"},
        ],
    )
    nps = [("a1", 10, 1), ("a2", 0, 1), ("a3", 9, 1), ("a3", 9, 2), ("a4", 8, 2)]
    insert(
        "survey_responses",
        [
            {
                "response_id": f"r{i}",
                "account_id": acc,
                "survey_type": "nps",
                "score": score,
                "responded_at": datetime(2024, month, 10),
            }
            for i, (acc, score, month) in enumerate(nps)
        ],
    )


def by_key(df, dim, col):
    return {(r["period"].month, r[dim]): r[col] for _, r in df.iterrows()}


def test_nps_by_segment_outputs_each_period_for_each_group_with_data(store, book):
    df = satisfaction.nps(store.cursor(), JAN_FEB.with_(by="segment"))
    assert list(df.columns[:3]) == ["period", "partial", "segment"]
    assert by_key(df, "segment", "responses") == {
        (1, "Enterprise"): 1,
        (1, "SMB"): 2,
        (1, None): 0,  # the null segment answered in February only: January is filled with 0
        (2, "Enterprise"): 1,
        (2, "SMB"): 0,
        (2, None): 1,
    }
    jan_smb = df[(df.period == date(2024, 1, 1)) & (df.segment == "SMB")].iloc[0]
    assert jan_smb.nps == 0.0


@pytest.mark.parametrize(
    "spelling", ["Contract Type", "contract type", "contract_type", "CONTRACT_TYPE"]
)
def test_by_a_custom_attribute_accepts_its_name_or_snake_case_and_outputs_the_stored_name(
    store, book, spelling
):
    df = satisfaction.nps(store.cursor(), JAN_FEB.with_(by=spelling))
    assert list(df.columns[:3]) == ["period", "partial", "Contract Type"]
    assert by_key(df, "Contract Type", "responses") == {
        (1, "annual"): 2,
        (1, "monthly"): 1,
        (1, None): 0,  # a4 has no contract type
        (2, "annual"): 1,
        (2, "monthly"): 0,
        (2, None): 1,
    }


def test_logo_churn_by_segment_groups_accounts_by_their_current_value(store, book):
    df = customers.logo_churn(store.cursor(), JAN_FEB.with_(by="segment"))
    assert by_key(df, "segment", "customers_end") == {
        (1, "Enterprise"): 1,
        (1, "SMB"): 2,
        (1, None): 0,
        (2, "Enterprise"): 1,
        (2, "SMB"): 2,
        (2, None): 1,
    }


def test_an_unknown_dimension_is_refused_with_the_valid_choices(store, book):
    with pytest.raises(ValueError) as err:
        satisfaction.nps(store.cursor(), JAN_FEB.with_(by="colour"))
    msg = str(err.value)
    assert "unknown dimension 'colour' for metric nps" in msg
    assert "segment" in msg and "touchpoint" in msg and "Contract Type" in msg


def test_a_fact_dimension_of_another_table_is_refused(store, book):
    with pytest.raises(ValueError, match="unknown dimension 'channel' for metric logo_churn"):
        customers.logo_churn(store.cursor(), JAN_FEB.with_(by="channel"))
    with pytest.raises(ValueError, match="unknown dimension 'touchpoint' for metric support"):
        support.support(store.cursor(), JAN_FEB.with_(by="touchpoint"))


def test_a_segment_filter_restricts_the_accounts(store, book):
    df = satisfaction.nps(store.cursor(), JAN_FEB.with_(segment=("SMB",)))
    assert list(df.responses) == [2, 0]


def test_filters_combine_across_fields_and_with_custom_attributes(store, book):
    q = JAN_FEB.with_(region=("EU",), attributes=(("contract_type", ("annual",)),))
    assert list(satisfaction.nps(store.cursor(), q).responses) == [2, 1]  # a1 and a3
    q = q.with_(segment=("SMB",))
    assert list(satisfaction.nps(store.cursor(), q).responses) == [1, 0]  # a1
    q = JAN_FEB.with_(attributes=(("Contract Type", ("annual",)), ("Seats", ("10",))))
    assert list(satisfaction.nps(store.cursor(), q).responses) == [1, 0]  # a1


@pytest.mark.parametrize(
    "q",
    [
        JAN_FEB.with_(segment=(INJECTION,)),
        JAN_FEB.with_(region=("EU", INJECTION), segment=("x'); DROP TABLE accounts; --",)),
        JAN_FEB.with_(attributes=(("Contract Type", (INJECTION,)),)),
        JAN_FEB.with_(attributes=((INJECTION, ("annual",)),)),
    ],
)
def test_an_injection_string_in_a_filter_matches_nothing_and_breaks_nothing(store, book, q):
    cur = store.cursor()
    counts = {"nps": "responses", "logo_churn": "customers_end", "support": "tickets"}
    for name, col in counts.items():
        df = registry.compute(cur, name, q)
        assert len(df) == 2, name  # every period is still output
        assert (df[col] == 0).all(), name
    assert satisfaction.nps(cur, JAN_FEB).responses.sum() == 5  # unfiltered, for contrast
    assert cur.execute("SELECT count(*) FROM accounts").fetchone()[0] == 4


def test_an_injection_string_as_by_is_refused_not_run(store, book):
    with pytest.raises(ValueError, match="unknown dimension"):
        satisfaction.nps(store.cursor(), JAN_FEB.with_(by=INJECTION))


def test_responses_of_accounts_missing_from_accounts_count_only_without_filters(
    store, book, insert
):
    insert(
        "survey_responses",
        [
            {
                "account_id": "ghost",
                "survey_type": "nps",
                "score": 10,
                "responded_at": datetime(2024, 1, 5),
            }
        ],
    )
    cur = store.cursor()
    assert list(satisfaction.nps(cur, JAN_FEB).responses) == [4, 2]
    assert list(satisfaction.nps(cur, JAN_FEB.with_(region=("EU", "NA"))).responses) == [3, 2]
    df = satisfaction.nps(cur, JAN_FEB.with_(by="account_id", grain="all"))
    assert dict(zip(df.account_id, df.responses, strict=True))["ghost"] == 1


def test_snake_case_form_of_headers():
    assert dimensions.snake_case(" Contract Type ") == "contract_type"
    assert dimensions.snake_case("ARR (USD)") == "arr_usd"
    # Camel case as in the IBM Telco export: "PaymentMethod" is --by payment_method.
    assert dimensions.snake_case("PaymentMethod") == "payment_method"
    assert dimensions.snake_case("customerID") == "customer_id"
    assert dimensions.match_attribute("payment_method", ["PaymentMethod", "gender"]) == (
        "PaymentMethod")
