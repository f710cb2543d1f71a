-- The target of one metric for everyone (segment NULL) or one segment whose period
-- [period_start, period_end) holds $day; the latest-starting one when periods overlap.
SELECT target
FROM targets
WHERE metric = $metric
  AND segment IS NOT DISTINCT FROM $segment
  AND period_start <= $day AND period_end > $day
ORDER BY period_start DESC
LIMIT 1
