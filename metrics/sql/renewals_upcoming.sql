-- renewals_upcoming: accounts in scope with a renewal_date after as-of and before $until, with
-- their ARR now (12 x MRR on as-of) and segment, soonest first.
WITH
-- @include account_scope
,
mrr_now AS (
    SELECT account_id, sum(mrr) AS mrr
    FROM subscriptions
    WHERE start_date <= CAST($as_of AS DATE)
      AND coalesce(end_date, DATE '9999-12-31') > CAST($as_of AS DATE)
    GROUP BY account_id
)
SELECT
    a.account_id,
    a.name,
    a.segment,
    a.renewal_date,
    CAST(date_trunc('month', a.renewal_date) AS DATE) AS month,
    CAST(12 * coalesce(m.mrr, 0) AS DOUBLE) AS arr
FROM accounts AS a
JOIN scope AS sc ON sc.account_id = a.account_id
LEFT JOIN mrr_now AS m ON m.account_id = a.account_id
WHERE a.renewal_date > CAST($as_of AS DATE) AND a.renewal_date < CAST($until AS DATE)
  AND (a.churn_date IS NULL OR a.churn_date > CAST($as_of AS DATE))
ORDER BY a.renewal_date, a.account_id
