-- plays_list: the risk plays on accounts in scope (the global filters; a restricted csm's
-- book), with the account's name, when the current stage was entered and the days in it up to
-- $now (to the closing for a closed play). Open plays first, then newest first.
WITH
-- @include account_scope
,
entered AS (
    SELECT play_id, max(entered_at) AS stage_since FROM play_stages GROUP BY play_id
)
SELECT p.play_id, p.account_id, a.name AS account_name, a.csm_owner, p.stage, p.arr, p.owner,
       p.opened_by, p.opened_at, p.closed_at, p.note, e.stage_since,
       date_diff('day', e.stage_since, coalesce(p.closed_at, CAST($now AS TIMESTAMP)))
           AS days_in_stage,
       date_diff('day', p.opened_at, coalesce(p.closed_at, CAST($now AS TIMESTAMP)))
           AS days_open
FROM risk_plays AS p
JOIN scope AS sc ON sc.account_id = p.account_id
LEFT JOIN accounts AS a ON a.account_id = p.account_id
LEFT JOIN entered AS e ON e.play_id = p.play_id
ORDER BY p.closed_at IS NOT NULL, p.opened_at DESC, p.play_id DESC
