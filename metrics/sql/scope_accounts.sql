-- scope_accounts: the accounts in scope (the global filters; a restricted csm's book) with
-- their name and owner, customers first (no churn date), then by name: the accounts a task can
-- be created on.
WITH
-- @include account_scope
SELECT a.account_id, a.name, a.csm_owner
FROM accounts AS a
JOIN scope AS sc ON sc.account_id = a.account_id
ORDER BY a.churn_date IS NOT NULL, a.name NULLS LAST, a.account_id
