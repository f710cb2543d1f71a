-- feature_accounts: the accounts behind a feature adoption bar or heatmap cell: accounts in
-- scope that used feature $feature in [$cur_start, $cur_end), restricted to the group
-- $group_value of dimension $dim when $any_group is false. Read from usage_daily.
WITH
-- @include account_scope
,
uses AS (
    SELECT ua.account_id, ud.user_key, sum(ud.events) AS events, sum(ud.seconds) AS seconds,
           max(ud.day) AS last_day
    FROM usage_daily AS ud
    JOIN usage_accounts AS ua ON ua.account_key = ud.account_key
    JOIN scope AS sc ON sc.account_id = ua.account_id
    WHERE ud.feature = $feature
      AND ud.day >= $cur_start AND ud.day < $cur_end
      AND ($any_group OR sc.grp IS NOT DISTINCT FROM $group_value)
    GROUP BY ALL
)
SELECT
    u.account_id,
    a.name,
    a.segment,
    a.csm_owner,
    CAST(count(*) AS BIGINT) AS users,
    CAST(sum(u.events) AS BIGINT) AS events,
    sum(u.seconds) / 3600.0 AS hours,
    max(u.last_day) AS last_used
FROM uses AS u
JOIN accounts AS a ON a.account_id = u.account_id
GROUP BY ALL
ORDER BY events DESC, u.account_id
