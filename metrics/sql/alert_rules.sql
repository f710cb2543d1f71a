-- Every alert rule, oldest first.
SELECT rule_id, name, kind, metric, segment, op, threshold, mrr_min, window_days,
       cooldown_hours, enabled, created_at, coalesce(creates_tasks, false) AS creates_tasks
FROM alert_rules
ORDER BY rule_id
