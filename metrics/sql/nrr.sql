-- nrr: net and gross revenue retention over the trailing 12 months (SaaS Capital, METRICS.md).
-- For each period: day = its evaluation day (last day, or as-of); base_day = the last day of the
-- period ending 12 months before (e.g. 2025-03-31 -> 2024-03-31). Base cohort = accounts paying
-- on base_day; current = their MRR on day (accounts not paying on base_day are excluded whatever
-- their history); GRR caps each account's current MRR at its base MRR. With $reactivation =
-- 'exclude' a base account whose MRR fell to 0 between base_day and day counts 0 now.
WITH
-- @include account_scope
,
-- @include period_grid
,
-- @include eval_days
,
pts AS (
    SELECT
        period,
        partial,
        day,
        CAST(CAST(day + 1 AS TIMESTAMP) - INTERVAL 12 MONTH AS DATE) - 1 AS base_day
    FROM evals
),
-- @include scoped_subscriptions
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
