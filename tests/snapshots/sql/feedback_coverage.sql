-- feedback_coverage.sql (rendered)
-- feedback_coverage: on each period's evaluation day (its last day, or as-of), the active
-- customers (signup_date <= day, churn_date empty or after it) and those heard from: with a
-- survey answer of any type in the $coverage_days days up to and including that day. With their
-- MRR that day (0 when not paying). Shares: metrics.kpis.loyalty.
WITH
-- account_scope: shared CTE fragment, included by metric queries with `-- @include account_scope`.
-- Accounts passing the global filters, each with its --by group value `grp`.
-- Parameters (all bound, never formatted): $f_segment, $f_region, $f_csm_owner, $f_plan
-- (VARCHAR[]; empty = no filter), $f_attr_allowed (VARCHAR[]: attribute || chr(31) || value for
-- every allowed value of every custom-attribute filter) with $f_attr_count (the number of
-- attributes filtered on), $dim (canonical dimension name, 'attribute' or ''), $dim_attribute
-- (stored custom attribute name when $dim = 'attribute'). Written in SQL that DuckDB and Spark
-- both read (metrics/engines/spark.py): lists are only tested with list_contains.

-- accounts meeting every custom-attribute filter (a value allowed for each filtered attribute)
scope_attr_pass AS (
    SELECT account_id
    FROM account_attributes
    WHERE list_contains(CAST($f_attr_allowed AS VARCHAR[]), attribute || chr(31) || value)
    GROUP BY account_id
    HAVING count(DISTINCT attribute) = $f_attr_count
),
-- the --by custom attribute's value per account (one value per account)
scope_dim_attr AS (
    SELECT account_id, min(value) AS value
    FROM account_attributes
    WHERE $dim = 'attribute' AND attribute = $dim_attribute
    GROUP BY account_id
),
-- accounts in scope with their group value (NULL when there is no --by)
scope AS (
    SELECT
        a.account_id,
        a.signup_date,
        a.churn_date,
        CASE $dim
            WHEN 'segment' THEN a.segment
            WHEN 'region' THEN a.region
            WHEN 'plan' THEN a.plan
            WHEN 'csm_owner' THEN a.csm_owner
            WHEN 'lifecycle_stage' THEN a.lifecycle_stage
            WHEN 'industry' THEN a.industry
            WHEN 'account_id' THEN a.account_id
            WHEN 'attribute' THEN d.value
        END AS grp
    FROM accounts AS a
    LEFT JOIN scope_dim_attr AS d ON d.account_id = a.account_id
    WHERE (len(CAST($f_segment AS VARCHAR[])) = 0
           OR list_contains(CAST($f_segment AS VARCHAR[]), a.segment))
      AND (len(CAST($f_region AS VARCHAR[])) = 0
           OR list_contains(CAST($f_region AS VARCHAR[]), a.region))
      AND (len(CAST($f_csm_owner AS VARCHAR[])) = 0
           OR list_contains(CAST($f_csm_owner AS VARCHAR[]), a.csm_owner))
      AND (len(CAST($f_plan AS VARCHAR[])) = 0
           OR list_contains(CAST($f_plan AS VARCHAR[]), a.plan))
      AND ($f_attr_count = 0
           OR a.account_id IN (SELECT account_id FROM scope_attr_pass))
)
,
-- period_grid: shared CTE fragment, included with `-- @include period_grid`.
-- The periods of the window as computed by metrics.periods, bound as parallel lists:
-- $p_start (first day), $p_end (exclusive end), $p_partial (extends past as-of).
periods AS (
    SELECT
        unnest(CAST($p_start AS DATE[])) AS period,
        unnest(CAST($p_end AS DATE[])) AS period_end,
        unnest(CAST($p_partial AS BOOLEAN[])) AS partial
)
,
-- eval_days: shared CTE fragment (after period_grid), included with `-- @include eval_days`.
-- Each period's evaluation day (METRICS.md): its last day, or as-of for a partial period (a
-- period starting after as-of is evaluated on as-of too); day_end = the next midnight, the
-- exclusive bound for timestamps dated on that day.
evals AS (
    SELECT
        period,
        partial,
        day,
        CAST(day + 1 AS TIMESTAMP) AS day_end
    FROM (
        SELECT
            period,
            partial,
            least(CAST(period_end AS DATE) - 1, CAST($as_of_end AS DATE) - 1) AS day
        FROM periods
    )
)
,
-- account_mrr: shared CTE fragment (after account_scope and eval_days), included with
-- `-- @include account_mrr`. The MRR of each account on each evaluation day: the sum of mrr of
-- its subscriptions with start_date <= day < end_date (end_date NULL = open). Accounts paying
-- nothing that day are absent. Accounts in scope; orphans only when no filter is active.
account_mrr AS (
    SELECT e.period, s.account_id, sum(s.mrr) AS mrr
    FROM evals AS e
    JOIN subscriptions AS s
      ON s.start_date <= e.day AND coalesce(s.end_date, DATE '9999-12-31') > e.day
    WHERE NOT $filtered OR s.account_id IN (SELECT account_id FROM scope)
    GROUP BY ALL
    HAVING sum(s.mrr) > 0
)
,
-- active customers in scope on each evaluation day
active AS (
    SELECT e.period, e.day_end, sc.account_id, sc.grp
    FROM evals AS e
    JOIN scope AS sc
      ON sc.signup_date <= e.day AND coalesce(sc.churn_date, DATE '9999-12-31') > e.day
),
-- accounts with an answer in the trailing window of each evaluation day
heard AS (
    SELECT DISTINCT e.period, r.account_id
    FROM evals AS e
    JOIN survey_responses AS r
      ON r.responded_at < e.day_end
     AND r.responded_at >= e.day_end - to_days(CAST($coverage_days AS INTEGER))
),
flagged AS (
    SELECT
        a.period,
        a.grp,
        coalesce(m.mrr, 0) AS mrr,
        h.account_id IS NOT NULL AS heard
    FROM active AS a
    LEFT JOIN account_mrr AS m ON m.period = a.period AND m.account_id = a.account_id
    LEFT JOIN heard AS h ON h.period = a.period AND h.account_id = a.account_id
),
-- the groups: every group value of accounts in scope (one NULL group without --by)
groups AS (
    SELECT DISTINCT grp FROM scope
    UNION
    SELECT NULL WHERE $dim = ''
),
sums AS (
    SELECT
        period,
        grp,
        count(*) AS active_accounts,
        count(*) FILTER (WHERE heard) AS heard_accounts,
        sum(mrr) AS mrr,
        sum(mrr) FILTER (WHERE heard) AS heard_mrr
    FROM flagged
    GROUP BY ALL
)
SELECT
    p.period,
    p.partial,
    g.grp,
    CAST(coalesce(s.active_accounts, 0) AS BIGINT) AS active_accounts,
    CAST(coalesce(s.heard_accounts, 0) AS BIGINT) AS heard_accounts,
    CAST(coalesce(s.mrr, 0) AS DOUBLE) AS mrr,
    CAST(coalesce(s.heard_mrr, 0) AS DOUBLE) AS heard_mrr
FROM periods AS p
CROSS JOIN groups AS g
LEFT JOIN sums AS s ON s.period = p.period AND s.grp IS NOT DISTINCT FROM g.grp
ORDER BY p.period, g.grp NULLS LAST
