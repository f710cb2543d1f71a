-- feature_adoption.sql (rendered)
-- feature_adoption: per feature (and group) over the window [$cur_start, $cur_end) and the
-- previous window of equal length [$prev_start, $cur_start): accounts and users that used the
-- feature, its events, and the customers active on each window's last day ($cur_last,
-- $prev_last). Events without a feature are left out. Read from the usage_daily rollup (integer
-- account and user keys; usage_accounts gives the account_id).
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
-- per window, feature, account and user of the current window, per window, feature and
-- account of the previous one (only its accounts count); integer keys of the rollup ...
fu AS (
    SELECT
        day >= $cur_start AS is_cur,
        feature, account_key,
        CASE WHEN day >= $cur_start THEN user_key END AS user_key,
        sum(events) AS events
    FROM usage_daily
    WHERE feature IS NOT NULL AND day >= $prev_start AND day < $cur_end
    GROUP BY ALL
),
-- ... then per window, feature and account: its users (a user belongs to one account)
fa_acc AS (
    SELECT is_cur, feature, account_key, count(user_key) AS users, sum(events) AS events
    FROM fu
    GROUP BY ALL
),
-- per feature and group (accounts out of scope dropped; orphans kept without a filter)
fa AS (
    SELECT
        x.feature,
        CASE WHEN $dim = 'account_id' THEN ua.account_id ELSE sc.grp END AS grp,
        count(*) FILTER (WHERE x.is_cur) AS accounts_using,
        coalesce(sum(x.users) FILTER (WHERE x.is_cur), 0) AS users,
        coalesce(sum(x.events) FILTER (WHERE x.is_cur), 0) AS events,
        count(*) FILTER (WHERE NOT x.is_cur) AS accounts_prev
    FROM fa_acc AS x
    JOIN usage_accounts AS ua ON ua.account_key = x.account_key
    LEFT JOIN scope AS sc ON sc.account_id = ua.account_id
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
features AS (SELECT DISTINCT feature FROM fa_acc),
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
