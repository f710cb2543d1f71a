-- renewal_rate.sql (rendered)
-- renewal_rate: renewals due per period (METRICS.md). A due is an (account, day) from a
-- subscription end_date, or an accounts.renewal_date in the past, on or before as-of (one due per
-- account and day). Renewed = a subscription of the account starts within 30 days on or after
-- the due day. A due less than 30 days before as-of is pending: its outcome is not known yet, so
-- it is left out of renewed, churned and the rate's denominator. ARR = 12 x the account's MRR on
-- the last day before the due day (the contract that comes up; end dates are exclusive).
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
-- period_grid: shared CTE fragment, included with `-- @include period_grid`.
-- The periods of the window as computed by metrics.periods, bound as parallel lists:
-- $p_start (first day), $p_end (exclusive end), $p_partial (extends past as-of).
periods AS (
    SELECT
        unnest(CAST($p_start AS DATE[])) AS period,
        unnest(CAST($p_end AS DATE[])) AS period_end,
        unnest(CAST($p_partial AS BOOLEAN[])) AS partial
)
,
-- scoped_subscriptions: a CTE fragment (after account_scope) shared by mrr, mrr_movements, nrr,
-- renewal_rate and cohort_retention:
-- subscriptions of accounts in scope; orphans (account missing) only when no filter is active
subs AS (
    SELECT
        s.account_id,
        s.start_date,
        s.end_date,
        s.mrr,
        CASE $dim WHEN 'account_id' THEN s.account_id ELSE sc.grp END AS grp
    FROM subscriptions AS s
    LEFT JOIN scope AS sc ON sc.account_id = s.account_id
    WHERE sc.account_id IS NOT NULL OR NOT $filtered
)
,
dues AS (
    SELECT account_id, any_value(grp) AS grp, due
    FROM (
        SELECT account_id, grp, end_date AS due FROM subs WHERE end_date IS NOT NULL
        UNION ALL
        SELECT account_id, grp, renewal_date FROM (
            SELECT a.account_id, sc.grp, a.renewal_date
            FROM accounts AS a JOIN scope AS sc ON sc.account_id = a.account_id
            WHERE a.renewal_date IS NOT NULL
        )
    )
    WHERE due >= $range_start AND due < $range_end
    GROUP BY account_id, due
),
outcomes AS (
    SELECT
        d.*,
        d.due > CAST($as_of_end AS DATE) - 31 AS pending,
        EXISTS (SELECT 1 FROM subs AS s
                WHERE s.account_id = d.account_id AND s.start_date >= d.due
                  AND s.start_date <= d.due + 30 AND s.start_date < CAST($as_of_end AS DATE))
            AS has_new,
        12 * coalesce((SELECT sum(s.mrr) FROM subs AS s
                       WHERE s.account_id = d.account_id AND s.start_date <= d.due - 1
                         AND coalesce(s.end_date, DATE '9999-12-31') > d.due - 1), 0) AS arr
    FROM dues AS d
),
per AS (
    SELECT
        CASE WHEN $grain = 'all' THEN CAST($range_start AS DATE)
             ELSE CAST(date_trunc($trunc, due) AS DATE) END AS period,
        grp,
        count(*) AS due,
        count(*) FILTER (WHERE NOT pending AND has_new) AS renewed,
        count(*) FILTER (WHERE NOT pending AND NOT has_new) AS churned,
        count(*) FILTER (WHERE pending) AS pending,
        sum(arr) AS arr_due,
        coalesce(sum(arr) FILTER (WHERE NOT pending AND has_new), 0) AS arr_renewed
    FROM outcomes
    GROUP BY ALL
),
groups AS (
    SELECT DISTINCT grp FROM outcomes
    UNION
    SELECT NULL WHERE $dim = ''
)
SELECT
    p.period,
    p.partial,
    g.grp,
    CAST(coalesce(x.due, 0) AS BIGINT) AS due,
    CAST(coalesce(x.renewed, 0) AS BIGINT) AS renewed,
    CAST(coalesce(x.churned, 0) AS BIGINT) AS churned,
    CAST(coalesce(x.renewed, 0) + coalesce(x.churned, 0) AS BIGINT) AS decided,
    CAST(coalesce(x.pending, 0) AS BIGINT) AS pending,
    CAST(x.renewed AS DOUBLE) / NULLIF(x.renewed + x.churned, 0) AS renewal_rate,
    CAST(coalesce(x.arr_due, 0) AS DOUBLE) AS arr_due,
    CAST(coalesce(x.arr_renewed, 0) AS DOUBLE) AS arr_renewed
FROM periods AS p
CROSS JOIN groups AS g
LEFT JOIN per AS x ON x.period = p.period AND x.grp IS NOT DISTINCT FROM g.grp
ORDER BY p.period, g.grp NULLS LAST
