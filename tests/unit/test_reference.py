"""The metric reference in docs/ is generated from the specs and kept current."""

from metrics import reference, registry


def test_the_committed_metric_reference_is_what_the_specs_generate():
    committed = reference.OUT.read_text(encoding="utf-8")
    assert committed == reference.generate(), (
        "docs/metrics.md is out of date: run `python -m metrics.reference`")


def test_the_reference_lists_every_metric_column_and_setting():
    text = reference.generate()
    for name, spec in registry.REGISTRY.items():
        assert f"## `{name}` — {spec.label}" in text
        for c in spec.cols:
            assert f"| `{c.name}` | {c.label.replace('|', chr(92) + '|')} | {c.unit} |" in text
        for s in spec.setting_specs:
            assert f"`{s.flag}`" in text
