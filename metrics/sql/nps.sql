-- nps: promoters (9-10), passives (7-8) and detractors (0-6) per period and group.
-- $nps_basis 'all' counts every response; 'latest' keeps each respondent's latest answer within
-- the period (and group); a response without respondent counts as its own respondent.
-- NPS and its adjusted-Wald interval are computed from these counts by metrics.stats.
WITH
-- @include account_scope
,
-- @include period_grid
,
-- @include survey_scope
,
-- @include nps_counted
,
-- counts per period and group
counts AS (
    SELECT
        period,
        grp,
        count(*) AS responses,
        count(*) FILTER (WHERE score >= 9) AS promoters,
        count(*) FILTER (WHERE score BETWEEN 7 AND 8) AS passives,
        count(*) FILTER (WHERE score <= 6) AS detractors
    FROM counted
    GROUP BY ALL
)
-- every period for every group, 0 when nothing was answered
SELECT
    p.period,
    p.partial,
    g.grp,
    CAST(coalesce(c.responses, 0) AS BIGINT) AS responses,
    CAST(coalesce(c.promoters, 0) AS BIGINT) AS promoters,
    CAST(coalesce(c.passives, 0) AS BIGINT) AS passives,
    CAST(coalesce(c.detractors, 0) AS BIGINT) AS detractors
FROM periods AS p
CROSS JOIN groups AS g
LEFT JOIN counts AS c ON c.period = p.period AND c.grp IS NOT DISTINCT FROM g.grp
ORDER BY p.period, g.grp NULLS LAST
