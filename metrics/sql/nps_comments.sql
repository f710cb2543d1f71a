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
        ) AS themes
    FROM text_themes
    GROUP BY comment
),
-- accounts whose name matches the search (the search also looks at account names)
named AS (
    SELECT account_id
    FROM accounts
    WHERE $search <> '' AND contains(lower(name), lower($search))
),
-- the comments that pass the filters
listed AS (
    SELECT
        c.period,
        c.grp,
        c.response_id,
        c.responded_at,
        c.account_id,
        c.respondent,
        c.score,
        CASE WHEN c.score >= 9 THEN 'promoter'
             WHEN c.score >= 7 THEN 'passive'
             ELSE 'detractor' END AS category,
        c.touchpoint,
        c.comment,
        c.rid
    FROM counted AS c
    WHERE c.comment IS NOT NULL AND trim(c.comment) <> ''
      AND ($search = ''
           OR contains(lower(c.comment), lower($search))
           OR c.account_id IN (SELECT account_id FROM named))
      AND (len(CAST($categories AS VARCHAR[])) = 0
           OR list_contains(CAST($categories AS VARCHAR[]), category))
      AND ($theme = '' OR c.comment IN (SELECT comment FROM text_themes WHERE theme = $theme))
),
-- the newest $limit of them, with how many passed
newest AS (
    SELECT *, count(*) OVER () AS matching
    FROM listed
    ORDER BY responded_at DESC, response_id DESC NULLS LAST, rid DESC
    LIMIT $limit
)
-- with account name, segment and themes (looked up for the rows shown only)
SELECT
    l.period,
    p.partial,
    l.grp,
    l.response_id,
    l.responded_at,
    l.account_id,
    a.name AS account_name,
    a.segment,
    l.respondent,
    l.score,
    l.category,
    l.touchpoint,
    l.comment,
    coalesce(t.themes, '') AS themes,
    l.matching
FROM newest AS l
JOIN periods AS p ON p.period = l.period
LEFT JOIN accounts AS a ON a.account_id = l.account_id
LEFT JOIN theme_lists AS t ON t.comment = l.comment
ORDER BY l.responded_at DESC, l.response_id DESC NULLS LAST, l.rid DESC
