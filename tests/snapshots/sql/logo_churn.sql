-- logo_churn.sql (rendered)
-- logo_churn: customers at the start and end of each period, new and churned customers.
-- S = active on the day before the period (the previous period's E), N = signup_date in the
-- period, C = churn_date in the period, C_start = churned who were in S, E = S + N - C (active on
-- the period's last day, or on as-of for a partial period). Active on day d:
-- signup_date <= d AND (churn_date IS NULL OR churn_date > d). Facts after as-of are not read
-- ($range_end <= as-of + 1 day), so partial periods are evaluated on as-of.
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
-- customers active on the day before the first period (or on as-of, when earlier), per group
base AS (
    SELECT grp, count(*) AS s0
    FROM scope
    WHERE signup_date < $base_end AND (churn_date IS NULL OR churn_date >= $base_end)
    GROUP BY grp
),
-- signups per period and group
signups AS (
    SELECT
        CASE WHEN $grain = 'all' THEN CAST($range_start AS DATE)
             ELSE CAST(date_trunc($trunc, signup_date) AS DATE) END AS period,
        grp,
        count(*) AS n
    FROM scope
    WHERE signup_date >= $range_start AND signup_date < $range_end
    GROUP BY ALL
),
-- churns per period and group; c_start: those who signed up before the period (were in S)
churns AS (
    SELECT period, grp, count(*) AS c, count(*) FILTER (WHERE signup_date < period) AS c_start
    FROM (
        SELECT
            CASE WHEN $grain = 'all' THEN CAST($range_start AS DATE)
                 ELSE CAST(date_trunc($trunc, churn_date) AS DATE) END AS period,
            grp,
            signup_date
        FROM scope
        WHERE churn_date >= $range_start AND churn_date < $range_end
    )
    GROUP BY ALL
),
-- the groups: every group value of accounts in scope (one NULL group without --by)
groups AS (
    SELECT DISTINCT grp FROM scope
    UNION
    SELECT NULL WHERE $dim = ''
),
-- every period for every group, with its flows (0 when nothing happened)
flows AS (
    SELECT
        p.period,
        p.partial,
        g.grp,
        coalesce(b.s0, 0) AS s0,
        coalesce(n.n, 0) AS n,
        coalesce(c.c, 0) AS c,
        coalesce(c.c_start, 0) AS c_start
    FROM periods AS p
    CROSS JOIN groups AS g
    LEFT JOIN base AS b ON b.grp IS NOT DISTINCT FROM g.grp
    LEFT JOIN signups AS n ON n.period = p.period AND n.grp IS NOT DISTINCT FROM g.grp
    LEFT JOIN churns AS c ON c.period = p.period AND c.grp IS NOT DISTINCT FROM g.grp
),
-- S of each period = base + net flows of the earlier periods
stocks AS (
    SELECT
        *,
        s0 + coalesce(sum(n - c) OVER (
            PARTITION BY grp ORDER BY period ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ), 0) AS s
    FROM flows
)
SELECT
    period,
    partial,
    grp,
    CAST(s AS BIGINT) AS customers_start,
    CAST(n AS BIGINT) AS new_customers,
    CAST(c AS BIGINT) AS churned_customers,
    CAST(s + n - c AS BIGINT) AS customers_end,
    CAST(c_start AS DOUBLE) / NULLIF(s, 0) AS churn_rate,
    CAST(s - c_start AS DOUBLE) / NULLIF(s, 0) AS retention_rate,
    CAST((s + n - c) - n AS DOUBLE) / NULLIF(s, 0) AS retention_rate_classic
FROM stocks
-- with --by, keep only groups that have customers or movements in the window
QUALIFY $dim = '' OR max(s + n + c) OVER (PARTITION BY grp) > 0
ORDER BY period, grp NULLS LAST
