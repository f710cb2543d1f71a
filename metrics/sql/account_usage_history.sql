-- account_usage_history: one account's monthly active users, events and hours (usage_monthly
-- rollup), months starting up to $as_of.
SELECT month, users AS active_users, events, coalesce(seconds, 0) / 3600.0 AS hours
FROM usage_monthly
WHERE account_id = $account_id AND month <= $as_of
ORDER BY month
