"""The metric registry: one description per metric, used by the CLI, cards and "show the math"."""

import inspect

import pytest

from metrics import registry
from metrics.query import Query


def test_list_metrics_gives_name_label_unit_direction_and_definition():
    listed = registry.list_metrics()
    names = [m["name"] for m in listed]
    assert {"nps", "csat", "ces", "logo_churn", "mrr", "support"} <= set(names)
    for m in listed:
        assert set(m) == {"name", "label", "unit", "direction", "definition"}
        assert m["direction"] in ("up", "down")
        assert m["definition"].endswith(".")


def test_headlines_are_the_columns_a_kpi_card_shows():
    assert registry.headline_column("nps") == "nps"
    assert registry.headline_column("csat") == "csat"
    assert registry.headline_column("logo_churn") == "churn_rate"
    assert registry.headline_column("mrr") == "mrr"
    assert registry.headline_column("support") == "first_response_median_h"
    for name, d in registry.REGISTRY.items():
        assert d.headline in d.columns, name
        for col in (d.numerator, d.denominator, d.excluded):
            assert col is None or col in d.columns, name


def test_every_docstring_lists_the_output_columns():
    for name, d in registry.REGISTRY.items():
        doc = " ".join(inspect.getdoc(d.fn).split())
        listed = doc.split("Columns:")[1]
        for col in d.columns:
            assert col in listed, (name, col)


def test_every_sql_file_named_exists_and_binds_values_only_as_parameters():
    from metrics.kpis import SQL_DIR, load_sql

    for d in registry.REGISTRY.values():
        for f in d.sql:
            assert (SQL_DIR / f"{f}.sql").exists()
        assert "{" not in load_sql(d.sql[0])  # no str.format placeholders


def test_an_unknown_metric_is_a_key_error_naming_the_known_ones(store):
    with pytest.raises(KeyError, match="unknown metric 'nsp'; choose one of .*nps"):
        registry.compute(store.cursor(), "nsp", Query())


def test_settings_and_their_defaults_are_recorded():
    assert registry.get("nps").settings == {"nps_basis": "all"}
    assert registry.get("csat").settings == {"csat_threshold": 4}
    assert registry.get("logo_churn").settings == {"retention_formula": "standard"}
    assert registry.get("support").settings["sla_targets"]["P4"] == 72.0
