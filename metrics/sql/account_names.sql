-- account_names: name and segment of the given accounts ($ids VARCHAR[]), for drill-down lists.
SELECT account_id, name, segment
FROM accounts
WHERE list_contains(CAST($ids AS VARCHAR[]), account_id)
