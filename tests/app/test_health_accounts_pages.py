"""Health and Accounts pages: an account opened and explained, a weight changed and previewed,
the model saved with its version bumped, a CSM's book and an account 360."""

from __future__ import annotations

import re

import pytest

from metrics import health
from tests.app.conftest import open_tab


@pytest.fixture(autouse=True)
def model_file(tmp_path, monkeypatch):
    """The editor writes a copy of the default model, never the repository's file."""
    path = tmp_path / "health_model.yaml"
    path.write_text(health.MODEL_FILE.read_text())
    monkeypatch.setenv("CSM_HEALTH_MODEL", str(path))
    return path


def _texts(at) -> str:
    return " ".join(str(e.value) for e in list(at.markdown) + list(at.caption) + list(at.info))


def test_health_page_explains_an_account(demo_db, run_app):
    at = run_app(demo_db, "views/health.py")
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    labels = [m.label for m in at.metric]
    assert "Red accounts" in labels and "Green accounts" in labels
    box = at.selectbox(key="hl_account")
    box.set_value(box.options[3]).run()
    assert not at.exception
    explained = [d.value for d in at.dataframe if "raw inputs" in d.value.columns][0]
    assert list(explained["component"]) == ["Usage", "Adoption", "Sentiment", "Support",
                                            "Financial"]
    assert explained["raw inputs"].str.contains("active users").any()
    assert "score" in _texts(at)


def test_a_weight_changed_is_previewed_then_saved_with_the_version_bumped(demo_db, run_app,
                                                                          model_file):
    at = run_app(demo_db, "views/health.py")
    before = {m.label: m.value for m in at.metric}
    usage = [n for n in at.number_input if n.label == "Usage weight"][0]
    usage.set_value(0.9).run()
    assert not at.exception, [e.value for e in at.exception]
    at.toggle(key="hm_preview").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "preview, unsaved" in _texts(at)
    after = {m.label: m.value for m in at.metric}
    assert after != before  # the scores moved with the weight
    assert health.load_model(model_file)["components"]["usage"]["weight"] == 0.3  # not saved
    at.button(key="hm_save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    saved = health.load_model(model_file)
    assert saved["components"]["usage"]["weight"] == 0.9 and saved["version"] == 2
    assert any("version 2" in s.value for s in at.success)


def test_an_invalid_model_is_refused_in_the_editor_and_nothing_saved(demo_db, run_app,
                                                                     model_file):
    at = run_app(demo_db, "views/health.py")
    before = model_file.read_bytes()
    [n for n in at.number_input if n.label.startswith("Yellow from")][0].set_value(90.0).run()
    assert any("out of order" in e.value for e in at.error)
    assert at.button(key="hm_save").disabled
    assert model_file.read_bytes() == before


def test_accounts_page_shows_my_accounts_from_the_url_and_opens_an_account(demo_db, run_app):
    at = run_app(demo_db, "views/accounts.py", query={"csm": "Noah Kim"})
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    assert at.selectbox(key="ac_owner").value == "Noah Kim"
    book = at.dataframe[0].value
    assert set(book["csm_owner"]) == {"Noah Kim"} and len(book) > 5
    assert list(book["mrr"]) == sorted(book["mrr"], reverse=True)
    box = at.selectbox(key="ac_account")
    box.set_value(book["account_id"].iloc[2]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert book["account_id"].iloc[2] in at.query_params["account"]
    texts = _texts(at)
    assert book["name"].iloc[2] in " ".join(str(s.value) for s in at.subheader)
    assert "active users" in " ".join(str(d.value.to_dict()) for d in at.dataframe)
    assert "Renewal date" in texts
    at.text_input(key="ac_search").set_value("zzzz-no-match").run()
    assert any("No account matches" in i.value for i in at.info)


def test_accounts_team_view_has_one_row_per_owner_adding_up_to_the_book(demo_db, run_app):
    at = run_app(demo_db, "views/accounts.py")
    assert not at.exception, [e.value for e in at.exception]
    book = at.dataframe[0].value
    open_tab(at, "ac_tab", "Team")  # only the open tab runs
    team = [d.value for d in at.dataframe if "at_risk_renewals" in d.value.columns][0]
    assert team["accounts"].sum() == len(book)
    assert team["mrr"].sum() == pytest.approx(book["mrr"].sum())
    assert (team[["green", "yellow", "red"]].sum(axis=1) <= team["accounts"]).all()
    assert team["nrr"].notna().any() and team["nps"].notna().any()
    # NRR is the registered metric by owner (trailing 12 months to as-of), not an estimate
    from metrics import registry
    from metrics.periods import resolve_as_of
    from metrics.query import Query
    from metrics.store import Store

    store = Store(demo_db)
    try:
        cur = store.cursor()
        nrr = registry.compute(cur, "nrr", Query(grain="all", by="csm_owner",
                                                 as_of=resolve_as_of(cur, Query())))
    finally:
        store.close()
    want = nrr.assign(csm_owner=nrr["csm_owner"].fillna("(no owner)")).set_index("csm_owner")
    got = team.set_index("csm_owner")["nrr"]
    assert got.to_dict() == pytest.approx(want["nrr"].reindex(got.index).to_dict(), nan_ok=True)
    assert any("csm metric nrr --by csm_owner" in c.value for c in at.caption)


def test_a_segment_model_is_edited_and_saved_as_an_override(demo_db, run_app, model_file):
    at = run_app(demo_db, "views/health.py")
    at.selectbox(key="hm_scope").set_value("Segment: Enterprise").run()
    [n for n in at.number_input if n.label == "Green from (score ≥)"][0].set_value(80.0).run()
    assert not at.exception, [e.value for e in at.exception]
    at.button(key="hm_save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    saved = health.load_model(model_file)
    assert saved["segments"]["Enterprise"]["bands"] == {"green": 80.0, "yellow": 40.0}
    assert saved["bands"] == {"green": 70.0, "yellow": 40.0}  # the base model is unchanged
    assert saved["version"] == 2


def _param(at, key) -> list[str]:
    v = at.query_params[key]
    return list(v) if isinstance(v, (list, tuple)) else [v]


def test_my_accounts_is_the_sidebars_owner_filter_one_value_in_the_url(demo_db, run_app):
    at = run_app(demo_db, "views/accounts.py")
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="ac_owner").value == "All owners"
    everyone = len(at.dataframe[0].value)
    # choosing on the page chooses in the sidebar, for the book and in the link
    at.selectbox(key="ac_owner").set_value("Noah Kim").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.multiselect(key="f_owner").value == ["Noah Kim"]
    assert _param(at, "owner") == ["Noah Kim"] and "csm" not in at.query_params
    book = at.dataframe[0].value
    assert set(book["csm_owner"]) == {"Noah Kim"} and 5 < len(book) < everyone
    # choosing in the sidebar shows on the page
    at.multiselect(key="f_owner").set_value(["Emma Schmidt"]).run()
    assert at.selectbox(key="ac_owner").value == "Emma Schmidt"
    assert set(at.dataframe[0].value["csm_owner"]) == {"Emma Schmidt"}
    # two owners in the sidebar: the page says so rather than naming one
    at.multiselect(key="f_owner").set_value(["Emma Schmidt", "Noah Kim"]).run()
    assert at.selectbox(key="ac_owner").value == "The owners chosen in the sidebar"
    assert set(at.dataframe[0].value["csm_owner"]) == {"Emma Schmidt", "Noah Kim"}
    at.selectbox(key="ac_owner").set_value("All owners").run()
    assert at.multiselect(key="f_owner").value == []
    assert "owner" not in at.query_params and len(at.dataframe[0].value) == everyone


def test_an_older_my_accounts_link_opens_the_owner_filter(demo_db, run_app):
    at = run_app(demo_db, "views/accounts.py", query={"csm": "Noah Kim"})
    assert not at.exception, [e.value for e in at.exception]
    assert at.multiselect(key="f_owner").value == ["Noah Kim"]
    assert _param(at, "owner") == ["Noah Kim"] and "csm" not in at.query_params


def test_the_account_360_names_custom_attribute_values_by_pseudonym_while_masked(demo_db,
                                                                                 run_app):
    def attrs(at) -> str:
        # the caption's text as shown: Markdown's backslash escapes (md_escape) removed
        return " ".join(re.sub(r"\\(.)", r"\1", c.value) for c in at.caption
                        if c.value.startswith("Custom attributes"))

    plain = attrs(run_app(demo_db, "views/accounts.py"))
    assert "Contract Type: " in plain and ("Annual" in plain or "Monthly" in plain), plain
    masked = attrs(run_app(demo_db, "views/accounts.py", query={"mask": "1"}))
    assert "Contract Type: Value " in masked, masked
    assert "Annual" not in masked and "Monthly" not in masked, masked
