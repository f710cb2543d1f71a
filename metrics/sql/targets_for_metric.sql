-- Targets of one metric for everyone (segment NULL) or one segment, by period. $metrics are the
-- names a target of it may be stored under (goals.target_names: "support" and
-- "first_response_median_h" both name the median first response).
SELECT period_start, period_end, target, note
FROM targets
WHERE list_contains($metrics, metric)
  AND (segment IS NOT DISTINCT FROM $segment)
ORDER BY period_start
