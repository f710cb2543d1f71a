-- health_inputs_many.sql (rendered)
-- health_inputs_many: `health_inputs` for many as-of dates in one pass over the data (the band
-- mix and the backtest score 12-13 dates each; one query per date re-scanned every table).
-- One row per (as_of, account active on as_of), ordered by as_of then account_id, with the same
-- columns as health_inputs plus `as_of`; every window is relative to the row's own as_of:
-- usage in [as_of - $usage_days, as_of), sentiment in [as_of - $sentiment_days, as_of),
-- tickets in [as_of - $support_days, as_of), MRR on as_of - 1 and $financial_days before that,
-- churned_next = churn_date within $outcome_days after as_of, the top features of each window.
-- Data dated on or after an as_of never counts for that as_of (`<` as_of / as_of_ts).
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
dates AS (
    SELECT
        as_of,
        CAST(as_of AS TIMESTAMP) AS as_of_ts,
        CAST(as_of - CAST($usage_days AS INTEGER) AS DATE) AS usage_start,
        CAST(as_of - CAST($sentiment_days AS INTEGER) AS TIMESTAMP) AS sentiment_start_ts,
        CAST(as_of - CAST($support_days AS INTEGER) AS TIMESTAMP) AS support_start_ts,
        CAST(as_of - 1 AS DATE) AS mrr_day,
        CAST(as_of - 1 - CAST($financial_days AS INTEGER) AS DATE) AS mrr_base_day,
        CAST(as_of + CAST($outcome_days AS INTEGER) AS DATE) AS outcome_end
    FROM (SELECT DISTINCT unnest(CAST($as_of_dates AS DATE[])) AS as_of)
),
active AS (
    SELECT d.as_of, a.account_id, a.name, a.segment, a.lifecycle_stage, a.csm_owner,
           a.renewal_date, a.churn_date
    FROM accounts AS a
    JOIN dates AS d
      ON a.signup_date <= d.as_of AND (a.churn_date IS NULL OR a.churn_date > d.as_of)
),
-- the `seats` custom attribute, when present and a positive number
seats AS (
    SELECT account_id, max(TRY_CAST(value AS DOUBLE)) AS seats
    FROM account_attributes
    WHERE lower(trim(attribute)) = 'seats'
    GROUP BY account_id
),
-- usage in each as-of's trailing window, from the daily rollup (integer keys); the rollup rows
-- are read twice (users, and events per account and feature) rather than materialised, and
-- matched to the windows through their days (an equality join: much faster than a range join)
window_days AS (
    SELECT d.as_of, CAST(g.day AS DATE) AS day
    FROM dates AS d,
         generate_series(CAST(d.usage_start AS TIMESTAMP), CAST(d.as_of AS TIMESTAMP)
                         - INTERVAL 1 DAY, INTERVAL 1 DAY) AS g(day)
),
users AS (
    SELECT w.as_of, u.account_key, count(DISTINCT u.user_key) AS active_users
    FROM usage_daily AS u
    JOIN window_days AS w ON w.day = u.day
    GROUP BY w.as_of, u.account_key
),
acc_feat AS (
    SELECT w.as_of, u.account_key, u.feature, sum(u.events) AS events
    FROM usage_daily AS u
    JOIN window_days AS w ON w.day = u.day
    WHERE u.feature IS NOT NULL
    GROUP BY w.as_of, u.account_key, u.feature
),
-- the most used features of each window: by accounts using them, then events, then name
top AS (
    SELECT as_of, feature
    FROM (
        SELECT as_of, feature,
               row_number() OVER (PARTITION BY as_of
                                  ORDER BY count(*) DESC, sum(events) DESC, feature) AS rk
        FROM acc_feat
        GROUP BY as_of, feature
    )
    WHERE rk <= $top_features
),
top_n AS (
    SELECT as_of, count(*) AS top_features FROM top GROUP BY as_of
),
feat AS (
    SELECT af.as_of, af.account_key, count(*) AS features_used
    FROM acc_feat AS af
    JOIN top ON top.as_of = af.as_of AND top.feature = af.feature
    GROUP BY af.as_of, af.account_key
),
usage_acc AS (
    SELECT u.as_of, ua.account_id, u.active_users, coalesce(f.features_used, 0) AS features_used
    FROM users AS u
    JOIN usage_accounts AS ua ON ua.account_key = u.account_key
    LEFT JOIN feat AS f ON f.as_of = u.as_of AND f.account_key = u.account_key
),
-- the latest NPS answer in each sentiment window, else the latest CSAT answer: per account and
-- type the latest answer before as-of (an ASOF join, rather than every answer of the window per
-- as-of), kept when it is inside the window; answers of the same second: the highest id first
answers AS (
    SELECT account_id, survey_type, score, scale, responded_at
    FROM (
        SELECT account_id, survey_type, score, scale, responded_at,
               row_number() OVER (PARTITION BY account_id, survey_type, responded_at
                                  ORDER BY response_id DESC) AS rn
        FROM survey_responses
        WHERE survey_type IN ('nps', 'csat') AND responded_at IS NOT NULL
    )
    WHERE rn = 1
),
active_ts AS (
    SELECT a.as_of, a.account_id, d.as_of_ts, d.sentiment_start_ts
    FROM active AS a
    JOIN dates AS d ON d.as_of = a.as_of
),
last_nps AS (
    SELECT a.as_of, a.account_id, r.survey_type, r.score, r.scale, r.responded_at
    FROM active_ts AS a
    ASOF JOIN (SELECT * FROM answers WHERE survey_type = 'nps') AS r
      ON r.account_id = a.account_id AND a.as_of_ts > r.responded_at
    WHERE r.responded_at >= a.sentiment_start_ts
),
last_csat AS (
    SELECT a.as_of, a.account_id, r.survey_type, r.score, r.scale, r.responded_at
    FROM active_ts AS a
    ASOF JOIN (SELECT * FROM answers WHERE survey_type = 'csat') AS r
      ON r.account_id = a.account_id AND a.as_of_ts > r.responded_at
    WHERE r.responded_at >= a.sentiment_start_ts
),
sent AS (
    SELECT * FROM last_nps
    UNION ALL
    SELECT c.* FROM last_csat AS c
    WHERE NOT EXISTS (SELECT 1 FROM last_nps AS n
                      WHERE n.as_of = c.as_of AND n.account_id = c.account_id)
),
sla AS (
    SELECT unnest(CAST($sla_priorities AS VARCHAR[])) AS priority,
           unnest(CAST($sla_hours AS DOUBLE[])) AS hours
),
-- tickets created in each support window: counted, open P1 on as-of, missed SLAs
tk_recent AS (
    SELECT
        d.as_of,
        t.account_id,
        count(*) AS tickets,
        count(*) FILTER (WHERE upper(trim(t.priority)) = 'P1'
                         AND (t.resolved_at IS NULL OR t.resolved_at >= d.as_of_ts)) AS open_p1,
        -- answered after the priority's target, or unanswered by as-of and past it
        count(*) FILTER (WHERE
            date_diff('second', t.created_at,
                      CASE WHEN t.first_response_at < d.as_of_ts THEN t.first_response_at
                           ELSE d.as_of_ts END) / 3600.0
            > coalesce(s.hours, $sla_other)) AS missed_sla
    FROM tickets AS t
    JOIN dates AS d ON t.created_at >= d.support_start_ts AND t.created_at < d.as_of_ts
    LEFT JOIN sla AS s ON s.priority = upper(trim(t.priority))
    GROUP BY d.as_of, t.account_id
),
-- P1 tickets created before the support window and still open on as-of
tk_old_p1 AS (
    SELECT d.as_of, t.account_id, count(*) AS open_p1
    FROM (SELECT account_id, created_at, resolved_at FROM tickets
          WHERE upper(trim(priority)) = 'P1') AS t
    JOIN dates AS d
      ON t.created_at < d.support_start_ts
     AND (t.resolved_at IS NULL OR t.resolved_at >= d.as_of_ts)
    GROUP BY d.as_of, t.account_id
),
tk AS (
    SELECT coalesce(r.as_of, o.as_of) AS as_of, coalesce(r.account_id, o.account_id) AS account_id,
           coalesce(r.tickets, 0) AS tickets,
           coalesce(r.open_p1, 0) + coalesce(o.open_p1, 0) AS open_p1,
           coalesce(r.missed_sla, 0) AS missed_sla
    FROM tk_recent AS r
    FULL JOIN tk_old_p1 AS o ON o.as_of = r.as_of AND o.account_id = r.account_id
),
-- MRR on the day before each as-of and $financial_days before that (subscriptions ended by
-- the earlier day count in neither)
mrr AS (
    SELECT
        d.as_of,
        s.account_id,
        sum(s.mrr) FILTER (WHERE coalesce(s.end_date, DATE '9999-12-31') > d.mrr_day)
            AS mrr_now,
        sum(s.mrr) FILTER (WHERE s.start_date <= d.mrr_base_day) AS mrr_base
    FROM subscriptions AS s
    JOIN dates AS d
      ON s.start_date <= d.mrr_day
     AND coalesce(s.end_date, DATE '9999-12-31') > d.mrr_base_day
    GROUP BY d.as_of, s.account_id
),
first_data AS (
    SELECT (SELECT min(day) FROM usage_daily) AS usage_from,
           (SELECT min(created_at) FROM tickets) AS tickets_from
)
SELECT
    a.account_id,
    a.name,
    a.segment,
    a.lifecycle_stage,
    a.csm_owner,
    a.renewal_date,
    a.account_id IN (SELECT account_id FROM scope) AS in_scope,
    CASE WHEN se.seats > 0 THEN se.seats END AS seats,
    CAST(coalesce(u.active_users, 0) AS BIGINT) AS active_users,
    CAST(coalesce(u.features_used, 0) AS BIGINT) AS features_used,
    CAST(coalesce(tn.top_features, 0) AS BIGINT) AS top_features,
    s.survey_type AS sentiment_type,
    CAST(s.score AS DOUBLE) AS sentiment_raw,
    CAST(coalesce(s.scale, CASE WHEN s.survey_type = 'nps' THEN 11 ELSE 5 END) AS DOUBLE)
        AS sentiment_scale,
    s.responded_at AS sentiment_at,
    CAST(coalesce(t.tickets, 0) AS BIGINT) AS tickets,
    CAST(coalesce(t.open_p1, 0) AS BIGINT) AS open_p1,
    CAST(coalesce(t.missed_sla, 0) AS BIGINT) AS missed_sla,
    CAST(m.mrr_now AS DOUBLE) AS mrr_now,
    CAST(m.mrr_base AS DOUBLE) AS mrr_base,
    coalesce(fd.usage_from < a.as_of, false) AS usage_tracked,
    coalesce(fd.tickets_from < CAST(a.as_of AS TIMESTAMP), false) AS tickets_tracked,
    coalesce(a.churn_date <= d.outcome_end, false) AS churned_next,
    a.as_of
FROM active AS a
JOIN dates AS d ON d.as_of = a.as_of
CROSS JOIN first_data AS fd
LEFT JOIN top_n AS tn ON tn.as_of = a.as_of
LEFT JOIN seats AS se ON se.account_id = a.account_id
LEFT JOIN usage_acc AS u ON u.as_of = a.as_of AND u.account_id = a.account_id
LEFT JOIN sent AS s ON s.as_of = a.as_of AND s.account_id = a.account_id
LEFT JOIN tk AS t ON t.as_of = a.as_of AND t.account_id = a.account_id
LEFT JOIN mrr AS m ON m.as_of = a.as_of AND m.account_id = a.account_id
ORDER BY a.as_of, a.account_id
