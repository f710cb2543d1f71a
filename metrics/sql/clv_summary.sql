-- clv_summary: per account, the BG/NBD / Gamma-Gamma summary of its orders as of $as_of
-- (METRICS.md "clv_model"). Orders on the as-of day count ($as_of_end = the next midnight);
-- amounts of one day are summed (refunds net into their day); purchases = distinct purchase
-- days; frequency = repeat purchase days; recency and T in whole days (divided by the unit in
-- Python); monetary = mean amount of the repeat purchase days (null without repeats).
-- Identical order rows are two orders (amounts add up within their day).
WITH
-- @include account_scope
,
days AS (
    SELECT o.account_id, CAST(o.ordered_at AS DATE) AS day, sum(o.amount) AS amount
    FROM orders AS o
    LEFT JOIN scope AS sc ON sc.account_id = o.account_id
    WHERE o.ordered_at < $as_of_end
      AND (sc.account_id IS NOT NULL OR NOT $filtered)
    GROUP BY ALL
),
firsts AS (
    SELECT account_id, min(day) AS first_day FROM days GROUP BY account_id
)
SELECT
    d.account_id,
    CAST(count(*) - 1 AS BIGINT) AS frequency,
    CAST(max(d.day) - f.first_day AS BIGINT) AS recency_days,
    CAST(CAST($as_of AS DATE) - f.first_day AS BIGINT) AS t_days,
    CAST(avg(d.amount) FILTER (WHERE d.day > f.first_day) AS DOUBLE) AS monetary
FROM days AS d
JOIN firsts AS f ON f.account_id = d.account_id
GROUP BY d.account_id, f.first_day
ORDER BY d.account_id
