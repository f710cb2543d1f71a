-- nps_distribution: counted NPS responses (under $nps_basis) per period, group and score 0-10;
-- every score is present, 0 when nobody gave it. Shares and categories: metrics.kpis.feedback.
WITH
-- @include account_scope
,
-- @include period_grid
,
-- @include survey_scope
,
-- @include nps_counted
,
-- the eleven scores of the NPS scale
scores AS (
    SELECT CAST(unnest(range(0, 11)) AS INTEGER) AS score
),
counts AS (
    SELECT period, grp, score, count(*) AS n
    FROM counted
    GROUP BY ALL
)
SELECT
    p.period,
    p.partial,
    g.grp,
    s.score,
    CAST(coalesce(c.n, 0) AS BIGINT) AS responses
FROM periods AS p
CROSS JOIN groups AS g
CROSS JOIN scores AS s
LEFT JOIN counts AS c
    ON c.period = p.period AND c.grp IS NOT DISTINCT FROM g.grp AND c.score = s.score
ORDER BY p.period, g.grp NULLS LAST, s.score
