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
-- @include account_scope
,
-- @include period_grid
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
