-- cohort_retention.sql (rendered)
-- cohort_retention: logo (and, for subscriptions, revenue) retention by cohort month (METRICS.md).
-- $basis: 'subscriptions' | 'orders' | 'usage'. Cohort = calendar month of the account's first
-- activity on that basis on or before as-of (not signup_date). Active in a month: MRR > 0 on
-- some day of it (a subscription with mrr > 0 overlapping it), an order in it, or a usage event
-- in it — never after as-of. Cohorts whose month starts in [$cur_start, $cur_end) are output,
-- with k = 0 .. the month holding as-of (partial when it extends past as-of). revenue_retention = cohort MRR
-- on month k's last day (or as-of) / cohort MRR on month 0's last day (or as-of).
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
