-- followup_share: closed-loop feedback per period and group. Answers needing a follow-up: NPS
-- detractors (0-6) and CSAT answers of 2 or less (4 or less on the 1-10 scale), answered in the
-- period (as-of applied), of accounts in scope; each with the first contact recorded on it
-- (feedback_followups.contacted_at). followed_up: contacted within $followup_days days of the
-- answer; due_answers: those, plus the answers whose $followup_days days ended by as-of;
-- pending_answers: the others (too recent to judge, not counted). The share is computed by metrics.kpis.followup.
WITH
-- @include account_scope
,
-- @include period_grid
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
