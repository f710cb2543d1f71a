-- feedback_coverage: on each period's evaluation day (its last day, or as-of), the active
-- customers (signup_date <= day, churn_date empty or after it) and those heard from: with a
-- survey answer of any type in the $coverage_days days up to and including that day. With their
-- MRR that day (0 when not paying). Shares: metrics.kpis.loyalty.
WITH
-- @include account_scope
,
-- @include period_grid
,
-- @include eval_days
,
-- @include account_mrr
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
