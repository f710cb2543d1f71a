"""The health metrics described once (metrics.spec): columns, settings and formulas of the
metrics computed in this package; the registry collects `SPECS`."""

from __future__ import annotations

from metrics import health
from metrics.health import (
    health_accounts,
    health_backtest,
    health_inputs,
    health_mix,
)
from metrics.spec import MetricSpec, SettingSpec, col

_FORMULA = (
    "component scores 0–100 (usage, adoption, sentiment, support, financial) from data "
    "dated before as-of; w′ᵢ = wᵢ ÷ Σ_present wⱼ over the components with data; "
    "contributionᵢ = w′ᵢ × scoreᵢ; score = Σ contributions; bands green ≥ 70, yellow [40, 70), "
    "red < 40 (the model file may change weights, thresholds and windows, per segment or "
    "lifecycle stage)")
_MODEL = SettingSpec("health_model", "text", str(health.MODEL_FILE),
                     "path of the health model file (YAML)")

HEALTH_COLS = (
    col("account_id", "object", "Account id", "text", None),
    col("score", "float64", "Health score", "score", "up", "0–100"),
    col("band", "object", "Health band", "text", None, "green, yellow or red"),
    col("model_version", "float64", "Model version", "text", None),
    col("usage_score", "float64", "Usage score", "score", "up", "0–100"),
    col("usage_contribution", "float64", "Usage contribution", "score", "up",
        "re-normalised weight × component score"),
    col("adoption_score", "float64", "Adoption score", "score", "up", "0–100"),
    col("adoption_contribution", "float64", "Adoption contribution", "score", "up",
        "re-normalised weight × component score"),
    col("sentiment_score", "float64", "Sentiment score", "score", "up", "0–100"),
    col("sentiment_contribution", "float64", "Sentiment contribution", "score", "up",
        "re-normalised weight × component score"),
    col("support_score", "float64", "Support score", "score", "up", "0–100"),
    col("support_contribution", "float64", "Support contribution", "score", "up",
        "re-normalised weight × component score"),
    col("financial_score", "float64", "Financial score", "score", "up", "0–100"),
    col("financial_contribution", "float64", "Financial contribution", "score", "up",
        "re-normalised weight × component score"),
    col("next_band", "object", "Next band", "text", None),
    col("path_to_next_band", "object", "Path to the next band", "text", None,
        "the one component whose input needs the least change"),
)
INPUT_COLS = (
    col("account_id", "object", "Account id", "text", None),
    col("name", "object", "Account", "text", None),
    col("segment", "object", "Segment", "text", None),
    col("lifecycle_stage", "object", "Lifecycle stage", "text", None),
    col("csm_owner", "object", "CSM", "text", None),
    col("renewal_date", "object", "Renewal date", "date", None),
    col("in_scope", "object", "In scope", "flag", None),
    col("seats", "object", "Seats", "count", None),
    col("active_users", "object", "Active users", "users", "up",
        "distinct users with an event in the period (DAU, WAU or MAU by grain)"),
    col("features_used", "object", "Features used", "features", "up"),
    col("top_features", "object", "Top features used", "features", "up"),
    col("sentiment_type", "object", "Sentiment survey", "text", None),
    col("sentiment_raw", "object", "Sentiment answer", "number", None),
    col("sentiment_scale", "object", "Sentiment scale", "number", None),
    col("sentiment_at", "object", "Sentiment answer on", "date", None),
    col("tickets", "object", "Tickets", "tickets", "down", "tickets created"),
    col("open_p1", "object", "Open P1 tickets", "tickets", "down"),
    col("missed_sla", "object", "Missed SLAs", "tickets", "down"),
    col("mrr_now", "object", "MRR now", "USD", "up"),
    col("mrr_base", "object", "MRR 90 days ago", "USD", None),
    col("usage_tracked", "object", "Usage tracked", "flag", None),
    col("tickets_tracked", "object", "Tickets tracked", "flag", None),
    col("churned_next", "object", "Churned within 90 days", "flag", None),
)
MIX_COLS = (
    col("as_of", "object", "As of", "date", None),
    col("accounts", "int64", "Accounts", "accounts", None, "active accounts on the date"),
    col("green", "int64", "Green", "accounts", "up", "accounts in the green band"),
    col("yellow", "int64", "Yellow", "accounts", None, "accounts in the yellow band"),
    col("red", "int64", "Red", "accounts", "down", "accounts in the red band"),
    col("unscored", "int64", "Unscored", "accounts", None, "accounts without any component data"),
    col("mean_score", "float64", "Mean score", "score", "up", "mean health score, 0–100"),
    col("model_version", "int64", "Model version", "text", None),
)
BACKTEST_COLS = (
    col("as_of", "object", "As of", "date", None),
    col("accounts", "int64", "Accounts", "accounts", None, "accounts scored on the date"),
    col("churners", "int64", "Churners", "accounts", "down",
        "accounts that churned within 90 days"),
    col("auc", "float64", "AUC", "fraction", "up",
        "P(score of a churner < score of a non-churner), ties ½"),
    col("red_lift", "float64", "Red-band lift", "ratio", "up",
        "churn rate of red ÷ overall churn rate"),
    col("churned_mrr_flagged", "float64", "Churned MRR flagged", "fraction", "up",
        "MRR of churners that were red or yellow ÷ MRR of all churners"),
)

# the computing module lists its output columns too: the two lists must agree
for _cols, _names in ((HEALTH_COLS, health.HEALTH_COLUMNS), (INPUT_COLS, health.INPUT_COLUMNS),
                      (MIX_COLS, health.MIX_COLUMNS), (BACKTEST_COLS, health.BACKTEST_COLUMNS)):
    assert [c.name for c in _cols] == list(_names), _names

SPECS = (
    MetricSpec(
        name="health",
        label="Health score",
        definition=(
            "Per active account at as-of: a 0-100 health score from usage, adoption, sentiment, "
            "support and financial components, its band and the path to the next band."
        ),
        formula=_FORMULA,
        fn=health.health,
        cols=HEALTH_COLS,
        headline="score",
        query="health_inputs",
        setting_specs=(_MODEL,),
        periods=False,
    ),
    MetricSpec(
        name="health_accounts",
        label="Health with its explanation",
        definition=(
            "The health score per active account with its raw inputs, weights as set and "
            "re-normalised, contributions and missing components."
        ),
        formula=_FORMULA,
        fn=health_accounts,
        cols=HEALTH_COLS,
        headline="score",
        query="health_inputs",
        setting_specs=(_MODEL,),
        periods=False,
    ),
    MetricSpec(
        name="health_inputs",
        label="Health raw inputs",
        definition="The raw inputs of the health components for every account active on as-of.",
        formula=(
            "active users and top features used in the trailing window, latest NPS/CSAT answer, "
            "tickets, open P1 tickets and missed SLAs, MRR now and days ago"
        ),
        fn=health_inputs,
        cols=INPUT_COLS,
        headline="active_users",
        query="health_inputs",
        setting_specs=(_MODEL,),
        periods=False,
    ),
    MetricSpec(
        name="health_mix",
        label="Health mix",
        definition=(
            "Accounts per health band at the start of each month of the window and at as-of, with "
            "the mean score."
        ),
        formula=_FORMULA,
        fn=health_mix,
        cols=MIX_COLS,
        headline="green",
        query="health_inputs_many",
        denominator="accounts",
        setting_specs=(_MODEL,),
        periods=False,
    ),
    MetricSpec(
        name="health_backtest",
        label="Health model backtest",
        definition=(
            "For past as-of dates, how well the health score ranked the accounts that churned in "
            "the next 90 days: AUC, red-band lift, churned MRR flagged red or yellow."
        ),
        formula=(
            "auc = P(score of a churner < score of a non-churner), ties ½; red_lift = churn rate "
            "of red ÷ overall churn rate; churned_mrr_flagged = MRR at as-of of churners that were "
            "red or yellow ÷ MRR of all churners; outcome = churned within 90 days of as-of"
        ),
        fn=health_backtest,
        cols=BACKTEST_COLS,
        headline="auc",
        query="health_inputs_many",
        setting_specs=(_MODEL,),
        periods=False,
    ),
)
