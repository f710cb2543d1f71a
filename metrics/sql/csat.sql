-- csat: responses and satisfied responses (score >= threshold of the response's scale) per
-- period and group. $threshold_5 applies to the 1-5 scale (also when scale is not recorded),
-- $threshold_10 to the 1-10 scale. The Wilson interval is computed by metrics.stats.
WITH
-- @include account_scope
,
-- @include period_grid
,
-- @include survey_scope
,
-- counts per period and group
counts AS (
    SELECT
        period,
        grp,
        count(*) AS responses,
        count(*) FILTER (
            WHERE score >= CASE WHEN scale = 10 THEN $threshold_10 ELSE $threshold_5 END
        ) AS satisfied
    FROM responses
    GROUP BY ALL
)
-- every period for every group, 0 when nothing was answered
SELECT
    p.period,
    p.partial,
    g.grp,
    CAST(coalesce(c.responses, 0) AS BIGINT) AS responses,
    CAST(coalesce(c.satisfied, 0) AS BIGINT) AS satisfied,
    CAST(c.satisfied AS DOUBLE) / NULLIF(c.responses, 0) AS csat
FROM periods AS p
CROSS JOIN groups AS g
LEFT JOIN counts AS c ON c.period = p.period AND c.grp IS NOT DISTINCT FROM g.grp
ORDER BY p.period, g.grp NULLS LAST
