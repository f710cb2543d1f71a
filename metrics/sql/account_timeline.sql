-- account_timeline: what happened to one account, from the tables: notes, tasks opened and
-- closed, risk-play stages, follow-ups of its answers, its survey answers and tickets up to
-- $as_of_end; one row per event: at, kind, what (a one-line summary), detail (free text such
-- as a note's body or a comment), who. Newest first. Health band changes and MRR movements
-- come from their own computations (metrics.actions.timeline).
SELECT created_at AS "at", 'note' AS kind, 'Note' AS what, body AS detail, author AS who
FROM notes WHERE account_id = $account_id
UNION ALL
SELECT created_at, 'task', 'Task opened: ' || title || ' (' || type || ', ' || priority
       || coalesce(', due ' || strftime(due_date, '%Y-%m-%d'), '') || ')',
       NULL, coalesce(created_by, '') || coalesce(' → ' || owner, '')
FROM tasks WHERE account_id = $account_id
UNION ALL
SELECT closed_at, 'task', 'Task ' || status || ': ' || title, close_reason, owner
FROM tasks WHERE account_id = $account_id AND closed_at IS NOT NULL
UNION ALL
SELECT s.entered_at, 'risk play', 'Risk play: ' || s.stage, p.note, s.who
FROM play_stages AS s JOIN risk_plays AS p ON p.play_id = s.play_id
WHERE p.account_id = $account_id
UNION ALL
SELECT coalesce(f.updated_at, f.contacted_at), 'follow-up',
       'Follow-up ' || f.state || ': ' || r.survey_type || ' ' || r.score, f.note, f.updated_by
FROM feedback_followups AS f JOIN survey_responses AS r ON r.response_id = f.response_id
WHERE r.account_id = $account_id
UNION ALL
SELECT responded_at, 'survey', upper(survey_type) || ' ' || score
       || coalesce(' (' || touchpoint || ')', ''), comment, respondent
FROM survey_responses WHERE account_id = $account_id AND responded_at < $as_of_end
UNION ALL
SELECT created_at, 'ticket', 'Ticket ' || ticket_id || coalesce(' (' || priority || ', '
       || channel || ')', ''), NULL, NULL
FROM tickets WHERE account_id = $account_id AND created_at < $as_of_end
ORDER BY "at" DESC
