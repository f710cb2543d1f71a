-- The history of alert evaluations, newest first, at most $limit rows; only those whose data
-- day (as_of) lies in [$from_day, $to_day) when both are given.
SELECT event_id, rule_id, rule_name, evaluated_at, as_of, trigger, load_id, fired, suppressed,
       value, threshold, accounts, message
FROM alert_history
WHERE ($from_day IS NULL OR as_of >= CAST($from_day AS DATE))
  AND ($to_day IS NULL OR as_of < CAST($to_day AS DATE))
ORDER BY event_id DESC
LIMIT $limit
