-- Targets of one metric for everyone (segment NULL) or one segment, by period.
SELECT period_start, period_end, target, note
FROM targets
WHERE metric = $metric
  AND (segment IS NOT DISTINCT FROM $segment)
ORDER BY period_start
