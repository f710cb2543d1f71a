-- followup_share.sql (rendered)
-- followup_share: closed-loop feedback per period and group. Answers needing a follow-up: NPS
-- detractors (0-6) and CSAT answers of 2 or less (4 or less on the 1-10 scale), answered in the
-- period (as-of applied), of accounts in scope; each with the first contact recorded on it
-- (feedback_followups.contacted_at). followed_up: contacted within $followup_days days of the
-- answer; due_answers: those, plus the answers whose $followup_days days ended by as-of;
-- pending_answers: the others (too recent to judge, not counted). The share is computed by metrics.kpis.followup.
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
answers AS (
    SELECT
        CASE WHEN $grain = 'all' THEN CAST($range_start AS DATE)
             ELSE CAST(date_trunc($trunc, r.responded_at) AS DATE) END AS period,
        CASE $dim
            WHEN 'touchpoint' THEN r.touchpoint
            WHEN 'account_id' THEN r.account_id
            ELSE sc.grp
        END AS grp,
        coalesce(f.contacted_at < r.responded_at + to_days(CAST($followup_days AS INTEGER)),
                 false) AS in_time,
        r.responded_at + to_days(CAST($followup_days AS INTEGER)) <= $as_of_end AS window_over
    FROM survey_responses AS r
    LEFT JOIN scope AS sc ON sc.account_id = r.account_id
    LEFT JOIN feedback_followups AS f ON f.response_id = r.response_id
    WHERE r.responded_at >= $range_start
      AND r.responded_at < $range_end
      AND (sc.account_id IS NOT NULL OR NOT $filtered)
      AND ((lower(r.survey_type) = 'nps' AND r.score <= 6)
           OR (lower(r.survey_type) = 'csat'
               AND r.score <= CASE WHEN r.scale = 10 THEN 4 ELSE 2 END))
),
groups AS (
    SELECT DISTINCT grp FROM answers
    UNION
    SELECT NULL WHERE $dim = ''
),
counts AS (
    SELECT
        period,
        grp,
        count(*) FILTER (WHERE in_time OR window_over) AS due_answers,
        count(*) FILTER (WHERE in_time) AS followed_up,
        count(*) FILTER (WHERE NOT in_time AND NOT window_over) AS pending_answers
    FROM answers
    GROUP BY ALL
)
SELECT
    p.period,
    p.partial,
    g.grp,
    CAST(coalesce(c.due_answers, 0) AS BIGINT) AS due_answers,
    CAST(coalesce(c.followed_up, 0) AS BIGINT) AS followed_up,
    CAST(coalesce(c.pending_answers, 0) AS BIGINT) AS pending_answers
FROM periods AS p
CROSS JOIN groups AS g
LEFT JOIN counts AS c ON c.period = p.period AND c.grp IS NOT DISTINCT FROM g.grp
ORDER BY p.period, g.grp NULLS LAST
