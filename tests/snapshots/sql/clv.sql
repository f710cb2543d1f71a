-- clv_summary.sql (rendered)
-- clv_summary: per account, the BG/NBD / Gamma-Gamma summary of its orders as of $as_of
-- (METRICS.md "clv_model"). Orders on the as-of day count ($as_of_end = the next midnight);
-- amounts of one day are summed (refunds net into their day); purchases = distinct purchase
-- days; frequency = repeat purchase days; recency and T in whole days (divided by the unit in
-- Python); monetary = mean amount of the repeat purchase days (null without repeats).
-- Identical order rows are two orders (amounts add up within their day).
WITH
-- account_scope: shared CTE fragment, included by metric queries with `-- @include account_scope`.
-- Accounts passing the global filters, each with its --by group value `grp`.
-- Parameters (all bound, never formatted): $f_segment, $f_region, $f_csm_owner, $f_plan
-- (VARCHAR[]; empty = no filter), $f_attr_allowed (VARCHAR[]: attribute || chr(31) || value for
-- every allowed value of every custom-attribute filter) with $f_attr_count (the number of
-- attributes filtered on), $dim (canonical dimension name, 'attribute' or ''), $dim_attribute
-- (stored custom attribute name when $dim = 'attribute'). Written in SQL that DuckDB and Spark
-- both read (metrics/engines/spark.py): lists are only tested with list_contains.

-- accounts meeting every custom-attribute filter (a value allowed for each filtered attribute)
scope_attr_pass AS (
    SELECT account_id
    FROM account_attributes
    WHERE list_contains(CAST($f_attr_allowed AS VARCHAR[]), attribute || chr(31) || value)
    GROUP BY account_id
    HAVING count(DISTINCT attribute) = $f_attr_count
),
-- the --by custom attribute's value per account (one value per account)
scope_dim_attr AS (
    SELECT account_id, min(value) AS value
    FROM account_attributes
    WHERE $dim = 'attribute' AND attribute = $dim_attribute
    GROUP BY account_id
),
-- accounts in scope with their group value (NULL when there is no --by)
scope AS (
    SELECT
        a.account_id,
        a.signup_date,
        a.churn_date,
        CASE $dim
            WHEN 'segment' THEN a.segment
            WHEN 'region' THEN a.region
            WHEN 'plan' THEN a.plan
            WHEN 'csm_owner' THEN a.csm_owner
            WHEN 'lifecycle_stage' THEN a.lifecycle_stage
            WHEN 'industry' THEN a.industry
            WHEN 'account_id' THEN a.account_id
            WHEN 'attribute' THEN d.value
        END AS grp
    FROM accounts AS a
    LEFT JOIN scope_dim_attr AS d ON d.account_id = a.account_id
    WHERE (len(CAST($f_segment AS VARCHAR[])) = 0
           OR list_contains(CAST($f_segment AS VARCHAR[]), a.segment))
      AND (len(CAST($f_region AS VARCHAR[])) = 0
           OR list_contains(CAST($f_region AS VARCHAR[]), a.region))
      AND (len(CAST($f_csm_owner AS VARCHAR[])) = 0
           OR list_contains(CAST($f_csm_owner AS VARCHAR[]), a.csm_owner))
      AND (len(CAST($f_plan AS VARCHAR[])) = 0
           OR list_contains(CAST($f_plan AS VARCHAR[]), a.plan))
      AND ($f_attr_count = 0
           OR a.account_id IN (SELECT account_id FROM scope_attr_pass))
)
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
