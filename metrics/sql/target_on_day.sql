-- The target of one metric for everyone (segment NULL) or one segment whose period
-- [period_start, period_end) holds $day; the latest-starting one when periods overlap. $metrics:
-- the names a target of it may be stored under (goals.target_names).
SELECT target
FROM targets
WHERE list_contains($metrics, metric)
  AND segment IS NOT DISTINCT FROM $segment
  AND period_start <= $day AND period_end > $day
ORDER BY period_start DESC
LIMIT 1
