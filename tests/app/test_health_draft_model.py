"""The Health page hands its edited (draft) model to scoring as the model object itself: the
shown scores follow an edited weight, and no query the page reads health with carries the model
as text in its settings."""

from __future__ import annotations

import pytest

from metrics import health, registry


@pytest.fixture(autouse=True)
def model_file(tmp_path, monkeypatch):
    """The page edits a copy of the default model, never the repository's file."""
    path = tmp_path / "health_model.yaml"
    path.write_text(health.MODEL_FILE.read_text())
    monkeypatch.setenv("CSM_HEALTH_MODEL", str(path))
    return path


@pytest.fixture
def calls(monkeypatch):
    """Record the queries health's SQL readers and the registry get, and the models scored."""
    seen = {"queries": [], "models": []}

    def spy(fn, record):
        def wrapped(*args, **kw):
            record(args, kw)
            return fn(*args, **kw)
        return wrapped

    q_of = lambda args, kw: seen["queries"].append(args[1])  # noqa: E731
    monkeypatch.setattr(health, "raw_inputs", spy(health.raw_inputs, q_of))
    monkeypatch.setattr(health, "raw_inputs_many", spy(health.raw_inputs_many, q_of))
    monkeypatch.setattr(registry, "compute", spy(
        registry.compute, lambda args, kw: seen["queries"].append(args[2])))
    monkeypatch.setattr(health, "score_accounts", spy(
        health.score_accounts, lambda args, kw: seen["models"].append(args[1])))
    return seen


def _setting_texts(q) -> list[str]:
    return [str(v) for _k, v in q.settings]


def test_the_draft_model_reaches_scoring_as_an_object(demo_db, run_app, calls):
    at = run_app(demo_db, "views/health.py")
    assert not at.exception, [e.value for e in at.exception]
    before = {m.label: m.value for m in at.metric}
    [n for n in at.number_input if n.label == "Usage weight"][0].set_value(0.75).run()
    at.toggle(key="hm_preview").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    after = {m.label: m.value for m in at.metric}
    assert after != before  # the shown scores follow the draft
    drafts = [m for m in calls["models"] if m["components"]["usage"]["weight"] == 0.75]
    assert drafts and all(isinstance(m, dict) for m in drafts)
    assert all(m["version"] == 1 for m in drafts)  # the draft, unsaved
    assert health.load_model(health.model_path())["components"]["usage"]["weight"] == 0.3
    assert calls["queries"]
    for q in calls["queries"]:
        assert "health_model_yaml" not in dict(q.settings)
        assert not any("components" in t or "window_days" in t for t in _setting_texts(q)), q
