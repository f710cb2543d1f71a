-- cohort_retention: logo (and, for subscriptions, revenue) retention by cohort month (METRICS.md).
-- $basis: 'subscriptions' | 'orders' | 'usage'. Cohort = calendar month of the account's first
-- activity on that basis on or before as-of (not signup_date). Active in a month: MRR > 0 on
-- some day of it (a subscription with mrr > 0 overlapping it), an order in it, or a usage event
-- in it — never after as-of. Cohorts whose month starts in [$cur_start, $cur_end) are output,
-- with k = 0 .. the month holding as-of (partial when it extends past as-of). revenue_retention = cohort MRR
-- on month k's last day (or as-of) / cohort MRR on month 0's last day (or as-of).
WITH
-- @include account_scope
,
-- @include scoped_subscriptions
,
-- the subscriptions that make an account active: with MRR, started by as-of (subscriptions basis)
paid AS (
    SELECT * FROM subs
    WHERE $basis = 'subscriptions' AND mrr > 0 AND start_date <= CAST($as_of AS DATE)
),
-- months with activity per account, on the chosen basis
active AS (
    SELECT DISTINCT account_id, grp, CAST(m AS DATE) AS month
    FROM (
        SELECT account_id, grp, unnest(generate_series(
            CAST(date_trunc('month', start_date) AS TIMESTAMP),
            CAST(date_trunc('month', least(coalesce(end_date - 1, DATE '9999-12-31'),
                                           CAST($as_of AS DATE))) AS TIMESTAMP),
            INTERVAL 1 MONTH)) AS m
        FROM paid
        UNION ALL
        SELECT o.account_id, CASE $dim WHEN 'account_id' THEN o.account_id ELSE sc.grp END,
               date_trunc('month', o.ordered_at)
        FROM orders AS o
        LEFT JOIN scope AS sc ON sc.account_id = o.account_id
        WHERE $basis = 'orders' AND o.ordered_at < $as_of_end
          AND (sc.account_id IS NOT NULL OR NOT $filtered)
        UNION ALL
        -- complete months from the monthly rollup; the month of as-of from the daily one
        SELECT u.account_id, CASE $dim WHEN 'account_id' THEN u.account_id ELSE sc.grp END,
               u.month
        FROM usage_monthly AS u
        LEFT JOIN scope AS sc ON sc.account_id = u.account_id
        WHERE $basis = 'usage' AND u.events > 0
          AND u.month < date_trunc('month', CAST($as_of AS DATE))
          AND (sc.account_id IS NOT NULL OR NOT $filtered)
        UNION ALL
        SELECT a.account_id, CASE $dim WHEN 'account_id' THEN a.account_id ELSE sc.grp END,
               date_trunc('month', d.day)
        FROM usage_daily AS d
        JOIN usage_accounts AS a ON a.account_key = d.account_key
        LEFT JOIN scope AS sc ON sc.account_id = a.account_id
        WHERE $basis = 'usage' AND d.events > 0
          AND d.day >= date_trunc('month', CAST($as_of AS DATE))
          AND d.day <= CAST($as_of AS DATE)
          AND (sc.account_id IS NOT NULL OR NOT $filtered)
    )
),
-- each account's cohort: its first active month
cohorts AS (
    SELECT account_id, any_value(grp) AS grp, min(month) AS cohort
    FROM active
    GROUP BY account_id
    HAVING min(month) >= $cur_start AND min(month) < $cur_end
),
sizes AS (
    SELECT cohort, grp, count(*) AS cohort_size FROM cohorts GROUP BY ALL
),
-- every (cohort, k) from 0 up to the month holding as-of
grid AS (
    SELECT
        s.cohort,
        s.grp,
        s.cohort_size,
        CAST(m AS DATE) AS month,
        CAST(datediff('month', s.cohort, CAST(m AS DATE)) AS BIGINT) AS period_number
    FROM sizes AS s,
         unnest(generate_series(CAST(s.cohort AS TIMESTAMP),
                                CAST(date_trunc('month', CAST($as_of AS DATE)) AS TIMESTAMP),
                                INTERVAL 1 MONTH)) AS t(m)
),
retained AS (
    SELECT c.cohort, c.grp, a.month, count(DISTINCT a.account_id) AS retained
    FROM cohorts AS c
    JOIN active AS a ON a.account_id = c.account_id
    GROUP BY ALL
),
-- cohort MRR on each month's evaluation day (its last day, or as-of)
evals AS (
    SELECT DISTINCT month, least(CAST(month + INTERVAL 1 MONTH AS DATE) - 1,
                                 CAST($as_of AS DATE)) AS day
    FROM grid
),
cohort_mrr AS (
    SELECT c.cohort, c.grp, e.month, sum(s.mrr) AS mrr
    FROM cohorts AS c
    JOIN paid AS s ON s.account_id = c.account_id
    JOIN evals AS e ON s.start_date <= e.day
        AND coalesce(s.end_date, DATE '9999-12-31') > e.day AND e.month >= c.cohort
    GROUP BY ALL
)
SELECT
    g.grp,
    g.cohort,
    g.period_number,
    CAST(g.cohort_size AS BIGINT) AS cohort_size,
    CAST(coalesce(r.retained, 0) AS BIGINT) AS retained,
    CAST(coalesce(r.retained, 0) AS DOUBLE) / NULLIF(g.cohort_size, 0) AS retention,
    CASE WHEN $basis = 'subscriptions' THEN
        CAST(coalesce(m.mrr, 0) AS DOUBLE) / NULLIF(CAST(m0.mrr AS DOUBLE), 0)
    END AS revenue_retention,
    -- partial: the month extends past as-of (as-of is not its last day)
    CAST(g.month + INTERVAL 1 MONTH AS DATE) > CAST($as_of AS DATE) + 1 AS partial
FROM grid AS g
LEFT JOIN retained AS r
  ON r.cohort = g.cohort AND r.grp IS NOT DISTINCT FROM g.grp AND r.month = g.month
LEFT JOIN cohort_mrr AS m
  ON m.cohort = g.cohort AND m.grp IS NOT DISTINCT FROM g.grp AND m.month = g.month
LEFT JOIN cohort_mrr AS m0
  ON m0.cohort = g.cohort AND m0.grp IS NOT DISTINCT FROM g.grp AND m0.month = g.cohort
ORDER BY g.grp NULLS LAST, g.cohort, g.period_number
