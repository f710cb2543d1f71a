-- logo_churn: customers at the start and end of each period, new and churned customers.
-- S = active on the day before the period (the previous period's E), N = signup_date in the
-- period, C = churn_date in the period, C_start = churned who were in S, E = S + N - C (active on
-- the period's last day, or on as-of for a partial period). Active on day d:
-- signup_date <= d AND (churn_date IS NULL OR churn_date > d). Facts after as-of are not read
-- ($range_end <= as-of + 1 day), so partial periods are evaluated on as-of.
WITH
-- @include account_scope
,
-- @include period_grid
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
