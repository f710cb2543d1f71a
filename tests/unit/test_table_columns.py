"""A metric's table takes its column labels and number formats from the column specs."""

import pandas as pd

from dashboard.components.table import spec_columns
from metrics import registry


def test_table_columns_are_labelled_and_formatted_by_their_specs():
    frame = pd.DataFrame(columns=["account_id", "name", "users", "events_change", "hours",
                                  "not_a_metric_column"])
    cfg = spec_columns("account_usage", frame, name="company")
    assert cfg["users"]["label"] == registry.column("account_usage", "users").label == "Users"
    assert cfg["users"]["type_config"]["format"] == "localized"
    assert cfg["events_change"]["type_config"]["format"] == "percent"
    assert cfg["hours"]["type_config"]["format"] == "%.1f h"
    assert cfg["name"] == "company"  # an override wins
    assert "not_a_metric_column" not in cfg


def test_missing_text_is_shown_as_a_dash_and_numbers_keep_their_type():
    import pandas as pd

    from dashboard.components.table import for_people

    df = pd.DataFrame({"segment": ["SMB", None], "mrr": [10.0, float("nan")],
                       "fired": [True, False], "mixed": [1, None]})
    out = for_people(df)
    assert out["segment"].tolist() == ["SMB", "—"]
    assert out["mrr"].dtype == float and out["fired"].dtype == bool
    assert out["mixed"].isna().tolist() == [False, True]  # not text: left alone
    assert df["segment"].tolist()[1] is None  # the input is not changed


def test_a_preview_shows_missing_values_as_a_dash_and_dates_as_dates():
    from dashboard.components.table import as_text

    frame = pd.DataFrame({
        "amount": [57.64, None], "name": ["Zoë", None],
        "day": pd.to_datetime(["2026-01-01", None]),
        "at": pd.to_datetime(["2026-01-01 10:30:00", None], utc=True)})
    shown = as_text(frame)
    assert shown.to_dict("list") == {"amount": ["57.64", "—"], "name": ["Zoë", "—"],
                                     "day": ["2026-01-01", "—"],
                                     "at": ["2026-01-01 10:30:00", "—"]}


def test_every_column_gets_a_label_for_people_and_overrides_keep_it():
    from dashboard.components.table import columns
    from metrics import labels

    frame = pd.DataFrame({"account_id": ["a"], "csm_owner": ["x"], "mrr_now": [1.0],
                          "rows_in_file": [3], "score": [1.0], "comment": ["hi"],
                          "first_response_h": [2.5]})
    cfg = columns(frame, first_response_h={"type_config": {"format": "%.2f h"}},
                  comment="what they said")
    assert cfg["account_id"]["label"] == "Account ID"  # the lists' raw columns
    assert cfg["csm_owner"]["label"] == "CSM"
    assert cfg["mrr_now"]["label"] == "MRR now"  # any metric's spec of that name
    assert cfg["mrr_now"]["type_config"]["format"] == "dollar"
    assert cfg["rows_in_file"]["label"] == "Rows in file"  # spelled out
    assert "score" not in cfg  # no underscore and no metric named: left as it is
    assert cfg["comment"] == "what they said"
    # an override that only formats keeps the label
    assert cfg["first_response_h"]["label"] == "First response"
    assert cfg["first_response_h"]["type_config"]["format"] == "%.2f h"
    # a named metric's spec wins (survey vs health score)
    assert columns(frame, "health")["score"]["label"] == registry.column("health", "score").label
    # a number format is not put on text, which it would not show
    assert "type_config" not in columns(pd.DataFrame({"mrr_now": ["n/a"]}))["mrr_now"]
    out = labels.for_people(pd.DataFrame({"account_id": [1], "Account ID": [2],
                                          "rows_in_file": [3]}))
    assert list(out.columns) == ["account_id", "Account ID", "Rows in file"]  # no clash
