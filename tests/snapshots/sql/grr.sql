-- nrr.sql (rendered)
-- nrr: net and gross revenue retention over the trailing 12 months (SaaS Capital, METRICS.md).
-- For each period: day = its evaluation day (last day, or as-of); base_day = the last day of the
-- period ending 12 months before (e.g. 2025-03-31 -> 2024-03-31). Base cohort = accounts paying
-- on base_day; current = their MRR on day (accounts not paying on base_day are excluded whatever
-- their history); GRR caps each account's current MRR at its base MRR. With $reactivation =
-- 'exclude' a base account whose MRR fell to 0 between base_day and day counts 0 now.
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
pts AS (
    SELECT
        period,
        partial,
        day,
        CAST(CAST(day + 1 AS TIMESTAMP) - INTERVAL 12 MONTH AS DATE) - 1 AS base_day
    FROM evals
),
-- scoped_subscriptions: a CTE fragment (after account_scope) shared by mrr, mrr_movements, nrr,
-- renewal_rate and cohort_retention:
-- subscriptions of accounts in scope; orphans (account missing) only when no filter is active
subs AS (
    SELECT
        s.account_id,
        s.start_date,
        s.end_date,
        s.mrr,
        CASE $dim WHEN 'account_id' THEN s.account_id ELSE sc.grp END AS grp
    FROM subscriptions AS s
    LEFT JOIN scope AS sc ON sc.account_id = s.account_id
    WHERE sc.account_id IS NOT NULL OR NOT $filtered
)
,
days AS (
    SELECT day FROM pts
    UNION
    SELECT base_day FROM pts
),
-- each account's MRR on each of those days (only accounts paying that day)
acct_day AS (
    SELECT d.day, s.account_id, any_value(s.grp) AS grp, sum(s.mrr) AS mrr
    FROM days AS d
    JOIN subs AS s
      ON s.start_date <= d.day AND coalesce(s.end_date, DATE '9999-12-31') > d.day
    GROUP BY d.day, s.account_id
    HAVING sum(s.mrr) > 0
),
-- each account's MRR after each change day (to find those that fell to 0 and came back)
changes AS (
    SELECT account_id, day, sum(delta) AS delta
    FROM (
        SELECT account_id, start_date AS day, mrr AS delta FROM subs
        UNION ALL
        SELECT account_id, end_date, -mrr FROM subs WHERE end_date IS NOT NULL
    )
    GROUP BY ALL
),
zero_days AS (
    SELECT account_id, day
    FROM (
        SELECT
            account_id,
            day,
            sum(delta) OVER (PARTITION BY account_id ORDER BY day ROWS UNBOUNDED PRECEDING)
                AS mrr_after
        FROM changes
    )
    WHERE mrr_after <= 0
),
-- base cohort of each period with base and current MRR per account
cohort AS (
    SELECT
        p.period,
        p.partial,
        b.account_id,
        b.grp,
        b.mrr AS base_mrr,
        CASE
            WHEN $reactivation = 'exclude' AND EXISTS (
                SELECT 1 FROM zero_days AS z
                WHERE z.account_id = b.account_id AND z.day > p.base_day AND z.day <= p.day
            ) THEN 0
            ELSE coalesce(c.mrr, 0)
        END AS current_mrr
    FROM pts AS p
    JOIN acct_day AS b ON b.day = p.base_day
    LEFT JOIN acct_day AS c ON c.day = p.day AND c.account_id = b.account_id
),
groups AS (
    SELECT DISTINCT grp FROM subs
    UNION
    SELECT NULL WHERE $dim = ''
),
sums AS (
    SELECT
        p.period,
        p.partial,
        g.grp,
        coalesce(sum(c.base_mrr), 0) AS base_mrr,
        coalesce(sum(c.current_mrr), 0) AS current_mrr,
        coalesce(sum(least(c.current_mrr, c.base_mrr)), 0) AS capped_mrr
    FROM pts AS p
    CROSS JOIN groups AS g
    LEFT JOIN cohort AS c ON c.period = p.period AND c.grp IS NOT DISTINCT FROM g.grp
    GROUP BY p.period, p.partial, g.grp
)
SELECT
    period,
    partial,
    grp,
    CAST(base_mrr AS DOUBLE) AS base_mrr,
    CAST(current_mrr AS DOUBLE) AS current_mrr,
    CAST(current_mrr AS DOUBLE) / NULLIF(CAST(base_mrr AS DOUBLE), 0) AS nrr,
    CAST(capped_mrr AS DOUBLE) / NULLIF(CAST(base_mrr AS DOUBLE), 0) AS grr
FROM sums
-- with --by, keep only groups with a base cohort in some period
QUALIFY $dim = '' OR max(base_mrr) OVER (PARTITION BY grp) > 0
ORDER BY period, grp NULLS LAST
