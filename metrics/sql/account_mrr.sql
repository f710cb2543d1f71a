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
