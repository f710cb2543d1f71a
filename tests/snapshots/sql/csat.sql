-- csat.sql (rendered)
-- csat: responses and satisfied responses (score >= threshold of the response's scale) per
-- period and group. $threshold_5 applies to the 1-5 scale (also when scale is not recorded),
-- $threshold_10 to the 1-10 scale. The Wilson interval is computed by metrics.stats.
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
-- survey_scope: shared CTE fragment (after account_scope), included with `-- @include survey_scope`.
-- Responses of survey type $survey_type in the window's periods, as-of applied
-- ($range_start <= responded_at < $range_end), of accounts in scope (orphans only when no filter
-- is active), each with its period and --by group (`touchpoint` is a column of the responses).
responses AS (
    SELECT
        CASE WHEN $grain = 'all' THEN CAST($range_start AS DATE)
             ELSE CAST(date_trunc($trunc, r.responded_at) AS DATE) END AS period,
        CASE $dim
            WHEN 'touchpoint' THEN r.touchpoint
            WHEN 'account_id' THEN r.account_id
            ELSE sc.grp
        END AS grp,
        r.account_id,
        r.respondent,
        r.response_id,
        r.rowid AS rid,
        r.responded_at,
        r.score,
        r.scale,
        r.comment,
        r.touchpoint
    FROM survey_responses AS r
    LEFT JOIN scope AS sc ON sc.account_id = r.account_id
    WHERE lower(r.survey_type) = $survey_type
      AND r.responded_at >= $range_start
      AND r.responded_at < $range_end
      AND (sc.account_id IS NOT NULL OR NOT $filtered)
),
-- the groups: every group with a response in the window (one NULL group without --by)
groups AS (
    SELECT DISTINCT grp FROM responses
    UNION
    SELECT NULL WHERE $dim = ''
)
,
-- counts per period and group
counts AS (
    SELECT
        period,
        grp,
        count(*) AS responses,
        count(*) FILTER (
            WHERE score >= CASE WHEN scale = 10 THEN $threshold_10 ELSE $threshold_5 END
        ) AS satisfied
    FROM responses
    GROUP BY ALL
)
-- every period for every group, 0 when nothing was answered
SELECT
    p.period,
    p.partial,
    g.grp,
    CAST(coalesce(c.responses, 0) AS BIGINT) AS responses,
    CAST(coalesce(c.satisfied, 0) AS BIGINT) AS satisfied,
    CAST(c.satisfied AS DOUBLE) / NULLIF(c.responses, 0) AS csat
FROM periods AS p
CROSS JOIN groups AS g
LEFT JOIN counts AS c ON c.period = p.period AND c.grp IS NOT DISTINCT FROM g.grp
ORDER BY p.period, g.grp NULLS LAST
