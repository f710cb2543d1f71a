-- nps_revenue: revenue held by promoters, passives and detractors. On each period's evaluation
-- day (its last day, or as-of), the accounts paying (MRR > 0), their MRR that day and the
-- category of their latest NPS answer (latest_nps: at most $recency_days old; none = no answer).
-- MRR-weighted and account NPS are computed from these sums by metrics.kpis.loyalty.
WITH
-- @include account_scope
,
-- @include period_grid
,
-- @include eval_days
,
-- @include account_mrr
,
-- @include latest_nps
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
