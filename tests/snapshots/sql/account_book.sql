-- account_book.sql (rendered)
-- account_book: every in-scope account that is a customer on $as_of (signup_date <= as-of,
-- churn_date null or after it): MRR on as-of, its latest NPS answer up to as-of, tickets open at
-- the end of as-of (created by then and not resolved by then) and the next renewal date.
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
