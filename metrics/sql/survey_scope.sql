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
