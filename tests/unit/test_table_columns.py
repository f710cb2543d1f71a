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
