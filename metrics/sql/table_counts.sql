-- Rows per canonical table, for the Data page's summary.
SELECT 'accounts' AS "table", count(*) AS rows FROM accounts
UNION ALL SELECT 'subscriptions', count(*) FROM subscriptions
UNION ALL SELECT 'survey_responses', count(*) FROM survey_responses
UNION ALL SELECT 'tickets', count(*) FROM tickets
UNION ALL SELECT 'usage_events', count(*) FROM usage_events
UNION ALL SELECT 'orders', count(*) FROM orders
UNION ALL SELECT 'targets', count(*) FROM targets
