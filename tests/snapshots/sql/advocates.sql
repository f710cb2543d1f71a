-- advocates.sql (rendered)
-- advocates: the active customers (on the evaluation day of the window: its last day, or as-of)
-- whose latest NPS answer (latest_nps: at most $recency_days old) is a promoter (9-10), with
-- that answer's respondent, comment and date and the account's MRR that day; largest MRR first.
-- The health band (and the green-only rule of `advocates_health`) is added in
-- metrics/kpis/loyalty.py from the `health` metric, scored in pandas on the evaluation day.
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
-- eval_days: shared CTE fragment (after period_grid), included with `-- @include eval_days`.
-- Each period's evaluation day (METRICS.md): its last day, or as-of for a partial period (a
-- period starting after as-of is evaluated on as-of too); day_end = the next midnight, the
-- exclusive bound for timestamps dated on that day.
evals AS (
    SELECT
        period,
        partial,
        day,
        CAST(day + 1 AS TIMESTAMP) AS day_end
    FROM (
        SELECT
            period,
            partial,
            least(CAST(period_end AS DATE) - 1, CAST($as_of_end AS DATE) - 1) AS day
        FROM periods
    )
)
,
-- account_mrr: shared CTE fragment (after account_scope and eval_days), included with
-- `-- @include account_mrr`. The MRR of each account on each evaluation day: the sum of mrr of
-- its subscriptions with start_date <= day < end_date (end_date NULL = open). Accounts paying
-- nothing that day are absent. Accounts in scope; orphans only when no filter is active.
account_mrr AS (
    SELECT e.period, s.account_id, sum(s.mrr) AS mrr
    FROM evals AS e
    JOIN subscriptions AS s
      ON s.start_date <= e.day AND coalesce(s.end_date, DATE '9999-12-31') > e.day
    WHERE NOT $filtered OR s.account_id IN (SELECT account_id FROM scope)
    GROUP BY ALL
    HAVING sum(s.mrr) > 0
)
,
-- latest_nps: shared CTE fragment (after eval_days), included with `-- @include latest_nps`.
-- Each account's latest NPS answer on or before each evaluation day, when it is at most
-- $recency_days old (older answers say little: the account counts as not answered): `latest`
-- (period, account_id, rid = the answer's rowid in survey_responses, score). Ties on
-- responded_at are broken by response_id, then storage order, so the result is deterministic.

-- the answers that can be latest on some evaluation day (narrow columns)
nps_window AS (
    SELECT
        rowid AS rid,
        account_id,
        score,
        responded_at,
        (responded_at, coalesce(response_id, ''), rowid) AS recency
    FROM survey_responses
    WHERE survey_type = 'nps'  -- stored lower-case by the import
      AND responded_at < $as_of_end
      AND responded_at >= CAST($range_start AS TIMESTAMP)
                          - to_days(CAST($recency_days AS INTEGER))
),
-- per evaluation day and account, the most recent answer of the trailing $recency_days
latest AS (
    SELECT
        e.period,
        a.account_id,
        arg_max(a.rid, a.recency) AS rid,
        arg_max(a.score, a.recency) AS score
    FROM evals AS e
    JOIN nps_window AS a
      ON a.responded_at < e.day_end
     AND a.responded_at >= e.day_end - to_days(CAST($recency_days AS INTEGER))
    GROUP BY e.period, a.account_id
)
,
active AS (
    SELECT e.period, e.partial, e.day, sc.account_id, sc.grp
    FROM evals AS e
    JOIN scope AS sc
      ON sc.signup_date <= e.day AND coalesce(sc.churn_date, DATE '9999-12-31') > e.day
)
SELECT
    a.period,
    a.partial,
    a.grp,
    a.account_id,
    acc.name AS account_name,
    acc.segment,
    acc.csm_owner,
    CAST(coalesce(m.mrr, 0) AS DOUBLE) AS mrr,
    l.score,
    r.respondent,
    r.comment,
    r.responded_at,
    r.touchpoint
FROM active AS a
JOIN accounts AS acc ON acc.account_id = a.account_id
JOIN latest AS l ON l.period = a.period AND l.account_id = a.account_id AND l.score >= 9
-- the promoter answer itself, for its respondent and comment (the range lets the scan skip)
JOIN survey_responses AS r
  ON r.rowid = l.rid
 AND r.responded_at < $as_of_end
 AND r.responded_at >= CAST($range_start AS TIMESTAMP) - to_days(CAST($recency_days AS INTEGER))
LEFT JOIN account_mrr AS m ON m.period = a.period AND m.account_id = a.account_id
ORDER BY a.period, mrr DESC, r.responded_at DESC, a.account_id

-- health_inputs.sql (rendered)
-- health_inputs: the raw inputs of the health components (metrics/health.py) for every account
-- that is an active customer on $as_of (signup_date <= as-of, churn_date null or after it),
-- from data dated before as-of (`< $as_of`, `< $as_of_ts`). `in_scope` marks the accounts
-- passing the global filters (scores are computed over all active accounts so a filter does not
-- change a segment percentile). `churned_next` = churn_date within $outcome_days after as-of
-- (the backtest's outcome; never used by the score).
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
active AS (
    SELECT a.account_id, a.name, a.segment, a.lifecycle_stage, a.csm_owner, a.renewal_date,
           a.churn_date
    FROM accounts AS a
    WHERE a.signup_date <= $as_of AND (a.churn_date IS NULL OR a.churn_date > $as_of)
),
-- the `seats` custom attribute, when present and a positive number
seats AS (
    SELECT account_id, max(TRY_CAST(value AS DOUBLE)) AS seats
    FROM account_attributes
    WHERE lower(trim(attribute)) = 'seats'
    GROUP BY account_id
),
-- usage in the trailing window, from the daily rollup (integer keys)
uw AS (
    SELECT account_key, user_key, feature
    FROM usage_daily
    WHERE day >= $usage_start AND day < $as_of
),
users AS (
    SELECT account_key, count(DISTINCT user_key) AS active_users
    FROM uw
    GROUP BY account_key
),
-- the most used features of the window: by accounts using them, then events, then name
top AS (
    SELECT feature
    FROM (
        SELECT feature,
               row_number() OVER (ORDER BY count(DISTINCT account_key) DESC, sum(events) DESC,
                                  feature) AS rk
        FROM usage_daily
        WHERE day >= $usage_start AND day < $as_of AND feature IS NOT NULL
        GROUP BY feature
    )
    WHERE rk <= $top_features
),
feat AS (
    SELECT account_key, count(DISTINCT feature) AS features_used
    FROM uw
    WHERE feature IN (SELECT feature FROM top)
    GROUP BY account_key
),
usage_acc AS (
    SELECT ua.account_id, u.active_users, coalesce(f.features_used, 0) AS features_used
    FROM users AS u
    JOIN usage_accounts AS ua ON ua.account_key = u.account_key
    LEFT JOIN feat AS f ON f.account_key = u.account_key
),
-- the latest NPS answer in the sentiment window, else the latest CSAT answer
sent AS (
    SELECT account_id, survey_type, score, scale, responded_at
    FROM (
        SELECT account_id, survey_type, score, scale, responded_at,
               row_number() OVER (PARTITION BY account_id
                                  ORDER BY survey_type = 'nps' DESC, responded_at DESC,
                                           response_id DESC) AS rn
        FROM survey_responses
        WHERE survey_type IN ('nps', 'csat')
          AND responded_at >= $sentiment_start_ts AND responded_at < $as_of_ts
    )
    WHERE rn = 1
),
sla AS (
    SELECT unnest(CAST($sla_priorities AS VARCHAR[])) AS priority,
           unnest(CAST($sla_hours AS DOUBLE[])) AS hours
),
tk AS (
    SELECT
        t.account_id,
        count(*) FILTER (WHERE t.created_at >= $support_start_ts) AS tickets,
        count(*) FILTER (WHERE upper(trim(t.priority)) = 'P1'
                         AND (t.resolved_at IS NULL OR t.resolved_at >= $as_of_ts)) AS open_p1,
        -- answered after the priority's target, or unanswered by as-of and past it
        count(*) FILTER (WHERE t.created_at >= $support_start_ts AND (
            date_diff('second', t.created_at,
                      CASE WHEN t.first_response_at < $as_of_ts THEN t.first_response_at
                           ELSE $as_of_ts END) / 3600.0
            > coalesce(s.hours, $sla_other))) AS missed_sla
    FROM tickets AS t
    LEFT JOIN sla AS s ON s.priority = upper(trim(t.priority))
    WHERE t.created_at < $as_of_ts
    GROUP BY t.account_id
),
-- MRR on the day before as-of and $financial_days before that
mrr AS (
    SELECT
        account_id,
        sum(mrr) FILTER (WHERE start_date <= $mrr_day
                         AND coalesce(end_date, DATE '9999-12-31') > $mrr_day) AS mrr_now,
        sum(mrr) FILTER (WHERE start_date <= $mrr_base_day
                         AND coalesce(end_date, DATE '9999-12-31') > $mrr_base_day) AS mrr_base
    FROM subscriptions
    WHERE start_date <= $mrr_day
    GROUP BY account_id
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
    (SELECT count(*) FROM top) AS top_features,
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
    (SELECT count(*) > 0 FROM usage_daily WHERE day < $as_of) AS usage_tracked,
    (SELECT count(*) > 0 FROM tickets WHERE created_at < $as_of_ts) AS tickets_tracked,
    coalesce(a.churn_date <= $outcome_end, false) AS churned_next
FROM active AS a
LEFT JOIN seats AS se ON se.account_id = a.account_id
LEFT JOIN usage_acc AS u ON u.account_id = a.account_id
LEFT JOIN sent AS s ON s.account_id = a.account_id
LEFT JOIN tk AS t ON t.account_id = a.account_id
LEFT JOIN mrr AS m ON m.account_id = a.account_id
ORDER BY a.account_id
