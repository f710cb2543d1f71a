-- Every stored target, by metric, segment (everyone first) and period start.
SELECT metric, segment, period_start, period_end, target, note
FROM targets
ORDER BY metric, segment NULLS FIRST, period_start
