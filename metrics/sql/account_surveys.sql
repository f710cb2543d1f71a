-- account_surveys: one account's survey answers up to $as_of_end (newest first).
SELECT responded_at, survey_type, score, scale, respondent, touchpoint, comment
FROM survey_responses
WHERE account_id = $account_id AND responded_at < $as_of_end
ORDER BY responded_at DESC, response_id DESC
