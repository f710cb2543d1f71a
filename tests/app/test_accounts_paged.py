"""The Accounts page's book is sent a page of rows at a time: pages follow the MRR order, the
sparkline is there for the rows shown, and an account opened from the URL on another page
still opens."""

from __future__ import annotations

import pytest

from dashboard.components.accounts import book as book_mod
from metrics import health


@pytest.fixture(autouse=True)
def model_file(tmp_path, monkeypatch):
    path = tmp_path / "health_model.yaml"
    path.write_text(health.MODEL_FILE.read_text())
    monkeypatch.setenv("CSM_HEALTH_MODEL", str(path))
    return path


def test_the_book_is_paged_in_mrr_order_and_a_url_account_on_another_page_opens(
        demo_db, run_app, monkeypatch):
    monkeypatch.setattr(book_mod, "PAGE_ROWS", 100)
    at = run_app(demo_db, "views/accounts.py")
    assert not at.exception, [e.value for e in at.exception]
    first = at.dataframe[0].value
    assert len(first) == 100
    points = first["trend"].map(len)  # the sparkline of every row shown
    assert (points >= 1).all() and (points > 6).any()
    pages = at.number_input(key="ac_page")
    assert "Page (of " in pages.label
    pages.set_value(2).run()
    assert not at.exception, [e.value for e in at.exception]
    second = at.dataframe[0].value
    assert len(second) == 100 and not set(second["account_id"]) & set(first["account_id"])
    assert first["mrr"].min() >= second["mrr"].max()
    assert any("Rows 101–200 of" in str(c.value) for c in at.caption)
    # an account of page 2, asked for by URL, opens although page 1 is shown
    wanted = second["account_id"].iloc[5]
    again = run_app(demo_db, "views/accounts.py", query={"account": wanted})
    assert not again.exception, [e.value for e in again.exception]
    assert list(again.dataframe[0].value["account_id"]) == list(first["account_id"])
    assert again.selectbox(key="ac_account").value == wanted
    assert second["name"].iloc[5] in " ".join(str(s.value) for s in again.subheader)
