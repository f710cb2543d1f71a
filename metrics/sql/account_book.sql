-- account_book: every in-scope account that is a customer on $as_of (signup_date <= as-of,
-- churn_date null or after it): MRR on as-of, its latest NPS answer up to as-of, tickets open at
-- the end of as-of (created by then and not resolved by then) and the next renewal date.
WITH
-- @include account_scope
,
mrr AS (
    SELECT account_id, sum(mrr) AS mrr
    FROM subscriptions
    WHERE start_date <= $as_of AND coalesce(end_date, DATE '9999-12-31') > $as_of
    GROUP BY account_id
),
nps AS (
    SELECT account_id, score, responded_at
    FROM (
        SELECT account_id, score, responded_at,
               row_number() OVER (PARTITION BY account_id
                                  ORDER BY responded_at DESC, response_id DESC) AS rn
        FROM survey_responses
        WHERE survey_type = 'nps' AND responded_at < $as_of_end
    )
    WHERE rn = 1
),
open_t AS (
    SELECT account_id, count(*) AS open_tickets
    FROM tickets
    WHERE created_at < $as_of_end AND (resolved_at IS NULL OR resolved_at >= $as_of_end)
    GROUP BY account_id
)
SELECT
    a.account_id, a.name, a.segment, a.plan, a.csm_owner, a.lifecycle_stage,
    CAST(coalesce(m.mrr, 0) AS DOUBLE) AS mrr,
    CAST(n.score AS DOUBLE) AS last_nps,
    CAST(n.responded_at AS DATE) AS last_nps_date,
    CAST(coalesce(t.open_tickets, 0) AS BIGINT) AS open_tickets,
    a.renewal_date
FROM scope AS sc
JOIN accounts AS a ON a.account_id = sc.account_id
LEFT JOIN mrr AS m ON m.account_id = a.account_id
LEFT JOIN nps AS n ON n.account_id = a.account_id
LEFT JOIN open_t AS t ON t.account_id = a.account_id
WHERE a.signup_date <= $as_of AND (a.churn_date IS NULL OR a.churn_date > $as_of)
ORDER BY a.account_id
