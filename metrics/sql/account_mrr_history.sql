-- account_mrr_history: one account's MRR on every day its subscriptions change (starts and
-- ends), up to $as_of, with the movement of that day (new, expansion, contraction, churn).
WITH days AS (
    SELECT start_date AS day FROM subscriptions WHERE account_id = $account_id
    UNION
    SELECT end_date FROM subscriptions WHERE account_id = $account_id AND end_date IS NOT NULL
    UNION
    SELECT CAST($as_of AS DATE)
),
m AS (
    SELECT d.day, CAST(coalesce(sum(s.mrr), 0) AS DOUBLE) AS mrr
    FROM days AS d
    LEFT JOIN subscriptions AS s
      ON s.account_id = $account_id AND s.start_date <= d.day
     AND coalesce(s.end_date, DATE '9999-12-31') > d.day
    WHERE d.day <= $as_of
    GROUP BY d.day
)
SELECT day, mrr, mrr - coalesce(lag(mrr) OVER (ORDER BY day), 0) AS change,
       CASE WHEN lag(mrr) OVER (ORDER BY day) IS NULL OR lag(mrr) OVER (ORDER BY day) = 0
                 THEN CASE WHEN mrr > 0 THEN 'new' END
            WHEN mrr = 0 THEN 'churn'
            WHEN mrr > lag(mrr) OVER (ORDER BY day) THEN 'expansion'
            WHEN mrr < lag(mrr) OVER (ORDER BY day) THEN 'contraction' END AS movement
FROM m
ORDER BY day
