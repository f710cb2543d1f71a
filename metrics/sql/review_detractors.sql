-- review_detractors: NPS answers scoring 0-6 given in [$week_start, $week_end) by accounts in
-- scope, newest first, with the account's name, segment and owner.
WITH
-- @include account_scope
SELECT
    r.responded_at,
    r.account_id,
    a.name AS account_name,
    a.segment,
    a.csm_owner,
    r.respondent,
    r.score,
    r.comment,
    r.touchpoint
FROM survey_responses AS r
JOIN scope AS sc ON sc.account_id = r.account_id
JOIN accounts AS a ON a.account_id = r.account_id
WHERE r.survey_type = 'nps'
  AND r.score <= 6
  AND r.responded_at >= CAST($week_start AS TIMESTAMP)
  AND r.responded_at < CAST($week_end AS TIMESTAMP)
ORDER BY r.responded_at DESC, r.account_id
