-- account_profile: one account's row of accounts with its custom attributes as a list of
-- "name: value" strings.
SELECT a.*, (SELECT list(attribute || ': ' || coalesce(value, '') ORDER BY attribute)
             FROM account_attributes AS x WHERE x.account_id = a.account_id) AS attributes
FROM accounts AS a
WHERE a.account_id = $account_id
