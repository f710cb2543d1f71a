-- survival_accounts: one row per account in scope that signed up on or before as-of, with its
-- time under observation and whether it churned (METRICS.md "survival"): time_days = (churn_date
-- when on or before as-of, else as-of) - signup_date; event = churned on or before as-of (a
-- later churn_date is censored at as-of; churn on the signup day is an event at time 0).
WITH
-- @include account_scope
SELECT
    account_id,
    grp,
    CAST(CASE WHEN churn_date IS NOT NULL AND churn_date <= CAST($as_of AS DATE)
              THEN churn_date ELSE CAST($as_of AS DATE) END - signup_date AS BIGINT)
        AS time_days,
    churn_date IS NOT NULL AND churn_date <= CAST($as_of AS DATE) AS event
FROM scope
WHERE signup_date <= CAST($as_of AS DATE)
ORDER BY account_id
