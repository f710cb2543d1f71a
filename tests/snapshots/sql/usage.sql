-- usage.sql (rendered)
-- usage: per period and group: active users (a user is the pair account_id, user_id), the mean
-- of daily active users over the period's days up to as-of, active accounts, events and seconds.
-- Read from the rollups (metrics/rollup.py), never from the 10M raw events:
--   * complete calendar months of a `--grain month` query ([$range_start, $monthly_end)) come
--     from usage_monthly, one row per account and month;
--   * every other period ([$monthly_end, $range_end)) from usage_daily (one row per user, day
--     and feature), first reduced to one row per account and period.
-- A user belongs to one account, so per-account counts of users add up to any group's.
-- $range_end is the earlier of the last period's end and as-of + 1 day: later events do not count.
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
-- complete months: per account and month
m_acc AS (
    SELECT month AS period, account_id, users, user_days, events, seconds
    FROM usage_monthly
    WHERE month >= $range_start AND month < $monthly_end
),
-- other periods: per user and day (features merged), then per user, then per account (integer
-- keys of the rollup; usage_accounts gives the account_id)
d_user_day AS (
    SELECT
        CASE WHEN $grain = 'all' THEN CAST($range_start AS DATE)
             ELSE CAST(date_trunc($trunc, day) AS DATE) END AS period,
        account_key, user_key, day,
        sum(events) AS events, sum(seconds) AS seconds
    FROM usage_daily
    WHERE day >= $monthly_end AND day < $range_end
    GROUP BY ALL
),
d_user AS (
    SELECT period, account_key, user_key, count(*) AS days,
           sum(events) AS events, sum(seconds) AS seconds
    FROM d_user_day
    GROUP BY ALL
),
d_acc AS (
    SELECT x.period, ua.account_id, x.users, x.user_days, x.events, x.seconds
    FROM (
        SELECT period, account_key, count(*) AS users, sum(days) AS user_days,
               sum(events) AS events, sum(seconds) AS seconds
        FROM d_user
        GROUP BY ALL
    ) AS x
    JOIN usage_accounts AS ua ON ua.account_key = x.account_key
),
-- per account and period, with the account's group; accounts out of scope dropped (orphans
-- only kept when no filter is active)
acc AS (
    SELECT
        x.period,
        CASE WHEN $dim = 'account_id' THEN x.account_id ELSE sc.grp END AS grp,
        x.users, x.user_days, x.events, x.seconds
    FROM (SELECT * FROM m_acc UNION ALL SELECT * FROM d_acc) AS x
    LEFT JOIN scope AS sc ON sc.account_id = x.account_id
    WHERE sc.account_id IS NOT NULL OR NOT $filtered
),
agg AS (
    SELECT
        period,
        grp,
        sum(users) AS active_users,
        sum(user_days) AS user_days,
        count(*) AS active_accounts,
        sum(events) AS events,
        sum(seconds) AS seconds
    FROM acc
    GROUP BY ALL
),
-- the groups: every group with usage in the window (one NULL group without --by)
groups AS (
    SELECT DISTINCT grp FROM agg
    UNION
    SELECT NULL WHERE $dim = ''
),
-- calendar days of each period up to as-of (the divisor of the mean daily users)
period_days AS (
    SELECT period, partial,
           greatest(datediff('day', period, least(period_end, CAST($range_end AS DATE))), 0)
               AS n_days
    FROM periods
)
SELECT
    p.period,
    p.partial,
    g.grp,
    CAST(coalesce(a.active_users, 0) AS BIGINT) AS active_users,
    CAST(coalesce(a.user_days, 0) AS DOUBLE) / NULLIF(p.n_days, 0) AS avg_daily_users,
    CAST(coalesce(a.user_days, 0) AS DOUBLE) / NULLIF(p.n_days, 0)
        / NULLIF(coalesce(a.active_users, 0), 0) AS stickiness,
    CAST(coalesce(a.active_accounts, 0) AS BIGINT) AS active_accounts,
    CAST(coalesce(a.events, 0) AS BIGINT) AS events,
    a.seconds / 3600.0 / NULLIF(coalesce(a.active_users, 0), 0) AS hours_per_active_user
FROM period_days AS p
CROSS JOIN groups AS g
LEFT JOIN agg AS a ON a.period = p.period AND a.grp IS NOT DISTINCT FROM g.grp
ORDER BY p.period, g.grp NULLS LAST
