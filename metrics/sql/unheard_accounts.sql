-- unheard_accounts: the active customers (on the evaluation day of the window: its last day, or
-- as-of) without a survey answer of any type in the $coverage_days days up to that day, largest
-- MRR first, with their latest answer ever (up to that day) when they have one.
WITH
-- @include account_scope
,
-- @include period_grid
,
-- @include eval_days
,
-- @include account_mrr
,
active AS (
    SELECT e.period, e.partial, e.day, e.day_end, sc.account_id, sc.grp
    FROM evals AS e
    JOIN scope AS sc
      ON sc.signup_date <= e.day AND coalesce(sc.churn_date, DATE '9999-12-31') > e.day
),
-- each active account's latest answer of any type up to the evaluation day
last_answer AS (
    SELECT a.period, a.account_id, max(r.responded_at) AS last_response_at
    FROM active AS a
    JOIN survey_responses AS r ON r.account_id = a.account_id AND r.responded_at < a.day_end
    GROUP BY ALL
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
    l.last_response_at,
    CAST(date_diff('day', CAST(l.last_response_at AS DATE), a.day) AS BIGINT)
        AS days_since_response
FROM active AS a
JOIN accounts AS acc ON acc.account_id = a.account_id
LEFT JOIN account_mrr AS m ON m.period = a.period AND m.account_id = a.account_id
LEFT JOIN last_answer AS l ON l.period = a.period AND l.account_id = a.account_id
WHERE l.last_response_at IS NULL
   OR l.last_response_at < a.day_end - to_days(CAST($coverage_days AS INTEGER))
ORDER BY a.period, mrr DESC, a.account_id
