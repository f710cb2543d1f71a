-- review_accounts: every account in scope with its MRR on two days ($day_before, $day_after:
-- e.g. the last day before a week and the week's last day), its dates and owner, for the
-- weekly review's "what changed" lists (metrics/review.py) and the alerts (metrics/alerts.py).
-- paid_before = it had a paying subscription on some day up to $day_before (so MRR going from
-- 0 back above 0 is a reactivation, not a new logo).
WITH
-- @include account_scope
,
mrr_on AS (
    SELECT
        s.account_id,
        sum(CASE WHEN s.start_date <= $day_before
                  AND coalesce(s.end_date, DATE '9999-12-31') > $day_before
                 THEN s.mrr ELSE 0 END) AS mrr_before,
        sum(CASE WHEN s.start_date <= $day_after
                  AND coalesce(s.end_date, DATE '9999-12-31') > $day_after
                 THEN s.mrr ELSE 0 END) AS mrr_after,
        bool_or(s.mrr > 0 AND s.start_date <= $day_before) AS paid_before
    FROM subscriptions AS s
    WHERE s.account_id IN (SELECT account_id FROM scope)
    GROUP BY s.account_id
)
SELECT
    a.account_id,
    a.name AS account_name,
    a.segment,
    a.csm_owner,
    a.signup_date,
    a.churn_date,
    a.renewal_date,
    CAST(coalesce(m.mrr_before, 0) AS DOUBLE) AS mrr_before,
    CAST(coalesce(m.mrr_after, 0) AS DOUBLE) AS mrr_after,
    coalesce(m.paid_before, FALSE) AS paid_before
FROM scope AS sc
JOIN accounts AS a ON a.account_id = sc.account_id
LEFT JOIN mrr_on AS m ON m.account_id = a.account_id
ORDER BY a.account_id
