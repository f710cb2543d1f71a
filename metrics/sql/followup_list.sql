-- followup_list: the answers needing a follow-up (NPS 0-6; CSAT 2 or less, 4 or less on the
-- 1-10 scale) of accounts in scope answered in [$start, $end), newest first, with their
-- follow-up state (new when none was recorded), first contact, resolution, and whether the
-- contact came within $followup_days days of the answer.
WITH
-- @include account_scope
SELECT r.response_id, r.account_id, a.name AS account_name, a.csm_owner, r.survey_type,
       r.score, r.respondent, r.comment, r.responded_at,
       coalesce(f.state, 'new') AS state, f.owner, f.note, f.contacted_at, f.resolved_at,
       f.updated_by,
       coalesce(f.contacted_at < r.responded_at + to_days(CAST($followup_days AS INTEGER)),
                false) AS in_time
FROM survey_responses AS r
JOIN scope AS sc ON sc.account_id = r.account_id
LEFT JOIN accounts AS a ON a.account_id = r.account_id
LEFT JOIN feedback_followups AS f ON f.response_id = r.response_id
WHERE r.responded_at >= CAST($start AS TIMESTAMP) AND r.responded_at < CAST($end AS TIMESTAMP)
  AND ((lower(r.survey_type) = 'nps' AND r.score <= 6)
       OR (lower(r.survey_type) = 'csat' AND r.score <= CASE WHEN r.scale = 10 THEN 4 ELSE 2 END))
ORDER BY r.responded_at DESC, r.response_id
