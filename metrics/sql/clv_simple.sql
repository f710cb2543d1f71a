-- clv_simple: the classic order-based CLV inputs per group over the window [$cur_start,
-- $cur_end) (METRICS.md "ltv", order-based form): orders, revenue and ordering customers.
-- Orders of accounts in scope; orphans only when no filter is active.
WITH
-- @include account_scope
,
o AS (
    SELECT
        o.account_id,
        o.amount,
        CASE $dim WHEN 'account_id' THEN o.account_id ELSE sc.grp END AS grp
    FROM orders AS o
    LEFT JOIN scope AS sc ON sc.account_id = o.account_id
    WHERE o.ordered_at >= CAST($cur_start AS TIMESTAMP)
      AND o.ordered_at < CAST($cur_end AS TIMESTAMP)
      AND (sc.account_id IS NOT NULL OR NOT $filtered)
)
SELECT
    grp,
    CAST(count(DISTINCT account_id) AS BIGINT) AS customers,
    CAST(count(*) AS BIGINT) AS orders,
    CAST(sum(amount) AS DOUBLE) AS revenue
FROM o
GROUP BY grp
ORDER BY grp NULLS LAST
