-- tasks_list: the tasks on accounts in scope (the global filters; a restricted csm's book),
-- with the account's name and owner, and whether each is overdue on $today (open or in
-- progress and due before it). $status: the statuses kept (empty = all). Overdue first, then
-- by due date (none last), newest first.
WITH
-- @include account_scope
SELECT t.task_id, t.account_id, a.name AS account_name, a.csm_owner, t.title, t.type,
       t.owner, t.due_date, t.priority, t.status, t.close_reason, t.source, t.rule_id,
       t.response_id, t.created_by, t.created_at, t.updated_at, t.closed_at,
       coalesce(t.status IN ('open', 'in progress') AND t.due_date < CAST($today AS DATE),
                false) AS overdue,
       CASE WHEN t.status IN ('open', 'in progress') AND t.due_date < CAST($today AS DATE)
            THEN date_diff('day', t.due_date, CAST($today AS DATE)) END AS days_overdue
FROM tasks AS t
JOIN scope AS sc ON sc.account_id = t.account_id
LEFT JOIN accounts AS a ON a.account_id = t.account_id
WHERE len(CAST($status AS VARCHAR[])) = 0 OR list_contains(CAST($status AS VARCHAR[]), t.status)
ORDER BY overdue DESC, t.due_date NULLS LAST,
         CASE t.priority WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, t.task_id DESC
