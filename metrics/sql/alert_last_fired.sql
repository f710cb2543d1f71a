-- The latest evaluation of one rule that fired and was not held back by the cooldown.
SELECT evaluated_at, accounts
FROM alert_history
WHERE rule_id = $rule_id AND fired AND NOT suppressed
ORDER BY event_id DESC
LIMIT 1
