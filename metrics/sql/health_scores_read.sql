-- health_scores_read: the health scores stored at import (`health_scores`, metrics/health/
-- stored.py) of the as-of dates asked for, under one model-and-settings key, and only when they
-- were stored at the current data version (older rows are stale: never read). One row per
-- (as_of, account active on as_of), ordered by as_of then account_id; `in_scope` marks the
-- accounts passing the global filters (the scores themselves do not depend on the filters:
-- every active account is scored, segment percentiles compare all of them).
WITH
-- @include account_scope
SELECT
    h.as_of,
    h.account_id,
    h.account_id IN (SELECT account_id FROM scope) AS in_scope,
    h.score,
    h.band,
    h.model_version,
    h.usage_score,
    h.usage_contribution,
    h.adoption_score,
    h.adoption_contribution,
    h.sentiment_score,
    h.sentiment_contribution,
    h.support_score,
    h.support_contribution,
    h.financial_score,
    h.financial_contribution,
    h.churned_next,
    h.mrr_now
FROM health_scores AS h
WHERE h.key = $key
  AND h.data_version = (SELECT max(version) FROM data_version)
  AND h.as_of IN (SELECT unnest(CAST($as_of_dates AS DATE[])))
ORDER BY h.as_of, h.account_id
