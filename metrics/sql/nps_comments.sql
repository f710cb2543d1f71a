-- nps_comments: the comments of the counted NPS responses (under $nps_basis) in the window, newest
-- first, with account, score, category and themes, for the comment explorer. Filters, all bound:
-- $search (text in the comment or the account name, case-insensitive, literal; '' = any),
-- $categories (promoter / passive / detractor; empty = all), $theme ('' = any). At most $limit
-- rows; `matching` counts every row that passes the filters.
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
-- each comment text's themes in the file's order (themes depend on the text only)
theme_lists AS (
    SELECT
        comment,
        array_to_string(
            list(theme ORDER BY list_position(CAST($theme_names AS VARCHAR[]), theme)), '; '
        ) AS themes,
        list(theme) AS theme_list
    FROM text_themes
    GROUP BY comment
),
listed AS (
    SELECT
        c.period,
        c.grp,
        c.response_id,
        c.responded_at,
        c.account_id,
        a.name AS account_name,
        a.segment,
        c.respondent,
        c.score,
        CASE WHEN c.score >= 9 THEN 'promoter'
             WHEN c.score >= 7 THEN 'passive'
             ELSE 'detractor' END AS category,
        c.touchpoint,
        c.comment,
        coalesce(t.themes, '') AS themes,
        t.theme_list,
        c.rid
    FROM counted AS c
    LEFT JOIN accounts AS a ON a.account_id = c.account_id
    LEFT JOIN theme_lists AS t ON t.comment = c.comment
    WHERE c.comment IS NOT NULL AND trim(c.comment) <> ''
)
SELECT
    l.period,
    p.partial,
    l.grp,
    l.response_id,
    l.responded_at,
    l.account_id,
    l.account_name,
    l.segment,
    l.respondent,
    l.score,
    l.category,
    l.touchpoint,
    l.comment,
    l.themes,
    count(*) OVER () AS matching
FROM listed AS l
JOIN periods AS p ON p.period = l.period
WHERE ($search = ''
       OR contains(lower(l.comment), lower($search))
       OR contains(lower(coalesce(l.account_name, '')), lower($search)))
  AND (len(CAST($categories AS VARCHAR[])) = 0
       OR list_contains(CAST($categories AS VARCHAR[]), l.category))
  AND ($theme = '' OR coalesce(list_contains(l.theme_list, $theme), false))
ORDER BY l.responded_at DESC, l.response_id DESC NULLS LAST, l.rid DESC
LIMIT $limit
