-- support_accounts: per account in scope that was a customer on some day of the window
-- [$cur_start, $cur_end): tickets created in the window, the days it was a customer in it, and
-- whether it churned in it (churn_date in the window).
WITH
-- @include account_scope
,
tk AS (
    SELECT t.account_id, count(*) AS tickets
    FROM tickets AS t
    JOIN scope AS sc ON sc.account_id = t.account_id
    WHERE t.created_at >= $cur_start AND t.created_at < $cur_end
    GROUP BY ALL
)
SELECT
    sc.account_id,
    a.name,
    a.segment,
    CAST(coalesce(tk.tickets, 0) AS BIGINT) AS tickets,
    CAST(datediff('day', greatest(a.signup_date, CAST($cur_start AS DATE)),
                  least(coalesce(a.churn_date, CAST($cur_end AS DATE)), CAST($cur_end AS DATE)))
         AS BIGINT) AS customer_days,
    coalesce(a.churn_date >= $cur_start AND a.churn_date < $cur_end, false) AS churned
FROM scope AS sc
JOIN accounts AS a ON a.account_id = sc.account_id
LEFT JOIN tk ON tk.account_id = sc.account_id
WHERE a.signup_date < $cur_end
  AND (a.churn_date IS NULL OR a.churn_date > $cur_start)
ORDER BY sc.account_id
