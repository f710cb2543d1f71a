-- feature_adoption: per feature (and group) over the window [$cur_start, $cur_end) and the
-- previous window of equal length [$prev_start, $cur_start): accounts and users that used the
-- feature, its events, and the customers active on each window's last day ($cur_last,
-- $prev_last). Events without a feature are left out. Read from the usage_daily rollup.
WITH
-- @include account_scope
,
-- per window, feature, account and user (features without a name left out) ...
fu AS (
    SELECT
        CASE WHEN day >= $cur_start THEN 'cur' ELSE 'prev' END AS win,
        feature, account_id, user_id, sum(events) AS events
    FROM usage_daily
    WHERE feature IS NOT NULL AND day >= $prev_start AND day < $cur_end
    GROUP BY ALL
),
-- ... then per window, feature and account: its users (a user belongs to one account)
fa_acc AS (
    SELECT win, feature, account_id, count(*) AS users, sum(events) AS events
    FROM fu
    GROUP BY ALL
),
-- per feature and group (accounts out of scope dropped; orphans kept without a filter)
fa AS (
    SELECT
        x.feature,
        CASE WHEN $dim = 'account_id' THEN x.account_id ELSE sc.grp END AS grp,
        count(*) FILTER (WHERE x.win = 'cur') AS accounts_using,
        coalesce(sum(x.users) FILTER (WHERE x.win = 'cur'), 0) AS users,
        coalesce(sum(x.events) FILTER (WHERE x.win = 'cur'), 0) AS events,
        count(*) FILTER (WHERE x.win = 'prev') AS accounts_prev
    FROM fa_acc AS x
    LEFT JOIN scope AS sc ON sc.account_id = x.account_id
    WHERE sc.account_id IS NOT NULL OR NOT $filtered
    GROUP BY ALL
),
-- customers active on each window's last day, per group
cust AS (
    SELECT
        grp,
        count(*) FILTER (WHERE signup_date <= $cur_last
                         AND (churn_date IS NULL OR churn_date > $cur_last)) AS active_customers,
        count(*) FILTER (WHERE signup_date <= $prev_last
                         AND (churn_date IS NULL OR churn_date > $prev_last)) AS active_prev
    FROM scope
    GROUP BY grp
),
features AS (SELECT DISTINCT feature FROM fu),
groups AS (
    SELECT grp FROM cust
    UNION
    SELECT grp FROM fa
)
SELECT
    f.feature,
    g.grp,
    CAST(coalesce(fa.accounts_using, 0) AS BIGINT) AS accounts_using,
    CAST(coalesce(c.active_customers, 0) AS BIGINT) AS active_customers,
    CAST(coalesce(fa.accounts_using, 0) AS DOUBLE) / NULLIF(c.active_customers, 0)
        AS adoption_rate,
    CAST(coalesce(fa.users, 0) AS BIGINT) AS users,
    CAST(coalesce(fa.events, 0) AS BIGINT) AS events,
    CAST(coalesce(fa.accounts_prev, 0) AS DOUBLE) / NULLIF(c.active_prev, 0)
        AS adoption_rate_prev
FROM features AS f
CROSS JOIN groups AS g
LEFT JOIN fa ON fa.feature = f.feature AND fa.grp IS NOT DISTINCT FROM g.grp
LEFT JOIN cust AS c ON c.grp IS NOT DISTINCT FROM g.grp
ORDER BY g.grp NULLS LAST, accounts_using DESC, f.feature
