-- account_usage.sql (rendered)
-- account_usage: per account in scope, usage in the window [$cur_start, $cur_end) and in the
-- previous window of equal length [$prev_start, $cur_start), with the account's latest NPS answer
-- on or before as-of. Accounts listed: customers on the window's last day ($cur_last) and any
-- account with usage in either window. Read from the usage_daily rollup (integer keys).
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
-- per window, account and user (integer keys of the rollup): events and seconds (users are
-- then a row count)
au AS (
    SELECT
        day >= $cur_start AS is_cur,
        account_key, user_key, sum(events) AS events, sum(seconds) AS seconds
    FROM usage_daily
    WHERE day >= $prev_start AND day < $cur_end
    GROUP BY ALL
),
per_account AS (
    SELECT
        ua.account_id,
        p.users, p.events, p.seconds, p.users_prev, p.events_prev, p.seconds_prev
    FROM (
        SELECT
            account_key,
            count(*) FILTER (WHERE is_cur) AS users,
            sum(events) FILTER (WHERE is_cur) AS events,
            sum(seconds) FILTER (WHERE is_cur) AS seconds,
            count(*) FILTER (WHERE NOT is_cur) AS users_prev,
            sum(events) FILTER (WHERE NOT is_cur) AS events_prev,
            sum(seconds) FILTER (WHERE NOT is_cur) AS seconds_prev
        FROM au
        GROUP BY account_key
    ) AS p
    JOIN usage_accounts AS ua ON ua.account_key = p.account_key
),
-- the latest NPS answer of each account up to as-of (ties broken by response id)
nps AS (
    SELECT account_id, score
    FROM (
        SELECT account_id, score,
               row_number() OVER (PARTITION BY account_id
                                  ORDER BY responded_at DESC, response_id DESC) AS rn
        FROM survey_responses
        WHERE survey_type = 'nps' AND responded_at < $as_of_end
    )
    WHERE rn = 1
)
SELECT
    sc.account_id,
    a.name,
    a.segment,
    a.csm_owner,
    (a.signup_date <= $cur_last AND (a.churn_date IS NULL OR a.churn_date > $cur_last))
        AS active_customer,
    n.score AS nps_score,
    CASE WHEN n.score >= 9 THEN 'promoter' WHEN n.score >= 7 THEN 'passive'
         WHEN n.score >= 0 THEN 'detractor' END AS nps_category,
    CAST(coalesce(p.users, 0) AS BIGINT) AS users,
    CAST(coalesce(p.events, 0) AS BIGINT) AS events,
    coalesce(p.seconds, 0) / 3600.0 AS hours,
    CAST(coalesce(p.users_prev, 0) AS BIGINT) AS users_prev,
    CAST(coalesce(p.events_prev, 0) AS BIGINT) AS events_prev,
    coalesce(p.seconds_prev, 0) / 3600.0 AS hours_prev
FROM scope AS sc
JOIN accounts AS a ON a.account_id = sc.account_id
LEFT JOIN per_account AS p ON p.account_id = sc.account_id
LEFT JOIN nps AS n ON n.account_id = sc.account_id
WHERE p.account_id IS NOT NULL
   OR (a.signup_date <= $cur_last AND (a.churn_date IS NULL OR a.churn_date > $cur_last))
ORDER BY sc.account_id
