"""The Streamlit configuration keeps the security settings of QUALITY.md."""

import tomllib
from pathlib import Path

CONFIG = tomllib.loads((Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml")
                       .read_text())


def test_xsrf_protection_is_on():
    assert CONFIG["server"]["enableXsrfProtection"] is True


def test_error_details_are_hidden_from_users():
    assert CONFIG["client"]["showErrorDetails"] == "none"


def test_upload_size_limit_is_explicit_and_bounded():
    assert 1 <= CONFIG["server"]["maxUploadSize"] <= 2048


def test_streamlit_table_downloads_are_off_for_our_neutralised_csv():
    # Streamlit's own CSV download writes formulas as they are (issue 17 item 7).
    assert CONFIG["client"]["disableDataExport"] is True


def test_usage_statistics_are_off():
    assert CONFIG["browser"]["gatherUsageStats"] is False


def test_no_full_garbage_collection_after_every_run():
    # gc.collect(2) after each script run holds the interpreter for every session: with ten
    # sessions at once it doubled the p95 of a page open (README, Development).
    assert CONFIG["runner"]["postScriptGC"] is False
