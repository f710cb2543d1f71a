-- nps_themes: per period, group and theme (metrics/themes.yaml, display order), the counted NPS
-- responses (under $nps_basis) whose comment matches the theme, with their promoters, passives
-- and detractors, beside the period's totals. share, nps and impact (NPS of all - NPS without
-- the theme's responses) are computed from these counts by metrics.kpis.feedback.
WITH
-- @include account_scope
,
-- @include period_grid
,
-- @include survey_scope
,
-- @include nps_counted
,
-- @include theme_match
,
-- every theme, in the file's order
theme_list AS (
    SELECT theme, list_position(CAST($theme_names AS VARCHAR[]), theme) AS theme_order
    FROM (SELECT unnest(CAST($theme_names AS VARCHAR[])) AS theme)
),
-- all counted responses per period and group
totals AS (
    SELECT
        period,
        grp,
        count(*) AS n,
        count(*) FILTER (WHERE score >= 9) AS p,
        count(*) FILTER (WHERE score <= 6) AS d
    FROM counted
    GROUP BY ALL
),
-- the theme's responses per period and group
theme_counts AS (
    SELECT
        c.period,
        c.grp,
        t.theme,
        count(*) AS n,
        count(*) FILTER (WHERE c.score >= 9) AS p,
        count(*) FILTER (WHERE c.score BETWEEN 7 AND 8) AS m,
        count(*) FILTER (WHERE c.score <= 6) AS d
    FROM counted AS c
    JOIN response_themes AS t ON t.rid = c.rid
    GROUP BY ALL
)
-- every period x group x theme, 0 when nothing was said
SELECT
    p.period,
    p.partial,
    g.grp,
    tl.theme,
    tl.theme_order,
    CAST(coalesce(tc.n, 0) AS BIGINT) AS responses,
    CAST(coalesce(tc.p, 0) AS BIGINT) AS promoters,
    CAST(coalesce(tc.m, 0) AS BIGINT) AS passives,
    CAST(coalesce(tc.d, 0) AS BIGINT) AS detractors,
    CAST(coalesce(tt.n, 0) AS BIGINT) AS total_responses,
    CAST(coalesce(tt.p, 0) AS BIGINT) AS total_promoters,
    CAST(coalesce(tt.d, 0) AS BIGINT) AS total_detractors
FROM periods AS p
CROSS JOIN groups AS g
CROSS JOIN theme_list AS tl
LEFT JOIN totals AS tt ON tt.period = p.period AND tt.grp IS NOT DISTINCT FROM g.grp
LEFT JOIN theme_counts AS tc
    ON tc.period = p.period AND tc.grp IS NOT DISTINCT FROM g.grp AND tc.theme = tl.theme
ORDER BY p.period, g.grp NULLS LAST, tl.theme_order
