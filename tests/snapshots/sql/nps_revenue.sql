-- nps_revenue.sql (rendered)
-- nps_revenue: revenue held by promoters, passives and detractors. On each period's evaluation
-- day (its last day, or as-of), the accounts paying (MRR > 0), their MRR that day and the
-- category of their latest NPS answer (latest_nps: at most $recency_days old; none = no answer).
-- MRR-weighted and account NPS are computed from these sums by metrics.kpis.loyalty.
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
-- latest_nps: shared CTE fragment (after eval_days), included with `-- @include latest_nps`.
-- Each account's latest NPS answer on or before each evaluation day, when it is at most
-- $recency_days old (older answers say little: the account counts as not answered): `latest`
-- (period, account_id, rid = the answer's rowid in survey_responses, score). Ties on
-- responded_at are broken by response_id, then storage order, so the result is deterministic.

-- the answers that can be latest on some evaluation day (narrow columns)
nps_window AS (
    SELECT
        rowid AS rid,
        account_id,
        score,
        responded_at,
        (responded_at, coalesce(response_id, ''), rowid) AS recency
    FROM survey_responses
    WHERE survey_type = 'nps'  -- stored lower-case by the import
      AND responded_at < $as_of_end
      AND responded_at >= CAST($range_start AS TIMESTAMP)
                          - to_days(CAST($recency_days AS INTEGER))
),
-- per evaluation day and account, the most recent answer of the trailing $recency_days
latest AS (
    SELECT
        e.period,
        a.account_id,
        arg_max(a.rid, a.recency) AS rid,
        arg_max(a.score, a.recency) AS score
    FROM evals AS e
    JOIN nps_window AS a
      ON a.responded_at < e.day_end
     AND a.responded_at >= e.day_end - to_days(CAST($recency_days AS INTEGER))
    GROUP BY e.period, a.account_id
)
,
-- paying accounts with their group and latest category
classified AS (
    SELECT
        m.period,
        CASE $dim WHEN 'account_id' THEN m.account_id ELSE sc.grp END AS grp,
        m.mrr,
        CASE WHEN l.score >= 9 THEN 'promoter'
             WHEN l.score >= 7 THEN 'passive'
             WHEN l.score >= 0 THEN 'detractor'
             ELSE 'no_answer' END AS category
    FROM account_mrr AS m
    LEFT JOIN scope AS sc ON sc.account_id = m.account_id
    LEFT JOIN latest AS l ON l.period = m.period AND l.account_id = m.account_id
),
-- the groups: every group with a paying account (one NULL group without --by)
groups AS (
    SELECT DISTINCT grp FROM classified
    UNION
    SELECT NULL WHERE $dim = ''
),
sums AS (
    SELECT
        period,
        grp,
        count(*) AS accounts,
        sum(mrr) AS mrr,
        count(*) FILTER (WHERE category = 'promoter') AS promoter_accounts,
        count(*) FILTER (WHERE category = 'passive') AS passive_accounts,
        count(*) FILTER (WHERE category = 'detractor') AS detractor_accounts,
        count(*) FILTER (WHERE category = 'no_answer') AS no_answer_accounts,
        sum(mrr) FILTER (WHERE category = 'promoter') AS promoter_mrr,
        sum(mrr) FILTER (WHERE category = 'passive') AS passive_mrr,
        sum(mrr) FILTER (WHERE category = 'detractor') AS detractor_mrr,
        sum(mrr) FILTER (WHERE category = 'no_answer') AS no_answer_mrr
    FROM classified
    GROUP BY ALL
)
-- every period for every group, 0 when nobody was paying
SELECT
    p.period,
    p.partial,
    g.grp,
    CAST(coalesce(s.accounts, 0) AS BIGINT) AS accounts,
    CAST(coalesce(s.mrr, 0) AS DOUBLE) AS mrr,
    CAST(coalesce(s.promoter_accounts, 0) AS BIGINT) AS promoter_accounts,
    CAST(coalesce(s.passive_accounts, 0) AS BIGINT) AS passive_accounts,
    CAST(coalesce(s.detractor_accounts, 0) AS BIGINT) AS detractor_accounts,
    CAST(coalesce(s.no_answer_accounts, 0) AS BIGINT) AS no_answer_accounts,
    CAST(coalesce(s.promoter_mrr, 0) AS DOUBLE) AS promoter_mrr,
    CAST(coalesce(s.passive_mrr, 0) AS DOUBLE) AS passive_mrr,
    CAST(coalesce(s.detractor_mrr, 0) AS DOUBLE) AS detractor_mrr,
    CAST(coalesce(s.no_answer_mrr, 0) AS DOUBLE) AS no_answer_mrr
FROM periods AS p
CROSS JOIN groups AS g
LEFT JOIN sums AS s ON s.period = p.period AND s.grp IS NOT DISTINCT FROM g.grp
ORDER BY p.period, g.grp NULLS LAST
