-- ces: responses, mean score (1-7, higher = easier) and sample standard deviation per period and
-- group. The t interval is computed by metrics.stats.
WITH
-- @include account_scope
,
-- @include period_grid
,
-- @include survey_scope
,
-- counts and moments per period and group
counts AS (
    SELECT
        period,
        grp,
        count(*) AS responses,
        avg(score) AS ces,
        stddev_samp(score) AS sd
    FROM responses
    GROUP BY ALL
)
-- every period for every group, 0 responses and NULL mean when nothing was answered
SELECT
    p.period,
    p.partial,
    g.grp,
    CAST(coalesce(c.responses, 0) AS BIGINT) AS responses,
    CAST(c.ces AS DOUBLE) AS ces,
    CAST(c.sd AS DOUBLE) AS sd
FROM periods AS p
CROSS JOIN groups AS g
LEFT JOIN counts AS c ON c.period = p.period AND c.grp IS NOT DISTINCT FROM g.grp
ORDER BY p.period, g.grp NULLS LAST
