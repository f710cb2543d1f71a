-- nps_comments.sql (rendered)
-- nps_comments: the comments of the counted NPS responses (under $nps_basis) in the window, newest
-- first, with account, score, category and themes, for the comment explorer. Filters, all bound:
-- $search (text in the comment or the account name, case-insensitive, literal; '' = any),
-- $categories (promoter / passive / detractor; empty = all), $theme ('' = any). At most $limit
-- rows; `matching` counts every row that passes the filters.
WITH
-- account_scope: shared CTE fragment, included by metric queries with `-- @include account_scope`.
-- Accounts passing the global filters, each with its --by group value `grp`.
-- Parameters (all bound, never formatted): $f_segment, $f_region, $f_csm_owner, $f_plan
-- (VARCHAR[]; empty = no filter), $f_attr_allowed (VARCHAR[]: attribute || chr(31) || value for
-- every allowed value of every custom-attribute filter) with $f_attr_count (the number of
-- attributes filtered on), $dim (canonical dimension name, 'attribute' or ''), $dim_attribute
-- (stored custom attribute name when $dim = 'attribute'). Written in SQL that DuckDB and Spark
-- both read (metrics/engines/spark.py): lists are only tested with list_contains.

-- accounts meeting every custom-attribute filter (a value allowed for each filtered attribute)
scope_attr_pass AS (
    SELECT account_id
    FROM account_attributes
    WHERE list_contains(CAST($f_attr_allowed AS VARCHAR[]), attribute || chr(31) || value)
    GROUP BY account_id
    HAVING count(DISTINCT attribute) = $f_attr_count
),
-- the --by custom attribute's value per account (one value per account)
scope_dim_attr AS (
    SELECT account_id, min(value) AS value
    FROM account_attributes
    WHERE $dim = 'attribute' AND attribute = $dim_attribute
    GROUP BY account_id
),
-- accounts in scope with their group value (NULL when there is no --by)
scope AS (
    SELECT
        a.account_id,
        a.signup_date,
        a.churn_date,
        CASE $dim
            WHEN 'segment' THEN a.segment
            WHEN 'region' THEN a.region
            WHEN 'plan' THEN a.plan
            WHEN 'csm_owner' THEN a.csm_owner
            WHEN 'lifecycle_stage' THEN a.lifecycle_stage
            WHEN 'industry' THEN a.industry
            WHEN 'account_id' THEN a.account_id
            WHEN 'attribute' THEN d.value
        END AS grp
    FROM accounts AS a
    LEFT JOIN scope_dim_attr AS d ON d.account_id = a.account_id
    WHERE (len(CAST($f_segment AS VARCHAR[])) = 0
           OR list_contains(CAST($f_segment AS VARCHAR[]), a.segment))
      AND (len(CAST($f_region AS VARCHAR[])) = 0
           OR list_contains(CAST($f_region AS VARCHAR[]), a.region))
      AND (len(CAST($f_csm_owner AS VARCHAR[])) = 0
           OR list_contains(CAST($f_csm_owner AS VARCHAR[]), a.csm_owner))
      AND (len(CAST($f_plan AS VARCHAR[])) = 0
           OR list_contains(CAST($f_plan AS VARCHAR[]), a.plan))
      AND ($f_attr_count = 0
           OR a.account_id IN (SELECT account_id FROM scope_attr_pass))
)
,
-- period_grid: shared CTE fragment, included with `-- @include period_grid`.
-- The periods of the window as computed by metrics.periods, bound as parallel lists:
-- $p_start (first day), $p_end (exclusive end), $p_partial (extends past as-of).
periods AS (
    SELECT
        unnest(CAST($p_start AS DATE[])) AS period,
        unnest(CAST($p_end AS DATE[])) AS period_end,
        unnest(CAST($p_partial AS BOOLEAN[])) AS partial
)
,
-- survey_scope: shared CTE fragment (after account_scope), included with `-- @include survey_scope`.
-- Responses of survey type $survey_type in the window's periods, as-of applied
-- ($range_start <= responded_at < $range_end), of accounts in scope (orphans only when no filter
-- is active), each with its period and --by group (`touchpoint` is a column of the responses).
responses AS (
    SELECT
        CASE WHEN $grain = 'all' THEN CAST($range_start AS DATE)
             ELSE CAST(date_trunc($trunc, r.responded_at) AS DATE) END AS period,
        CASE $dim
            WHEN 'touchpoint' THEN r.touchpoint
            WHEN 'account_id' THEN r.account_id
            ELSE sc.grp
        END AS grp,
        r.account_id,
        r.respondent,
        r.response_id,
        r.rowid AS rid,
        r.responded_at,
        r.score,
        r.scale,
        r.comment,
        r.touchpoint
    FROM survey_responses AS r
    LEFT JOIN scope AS sc ON sc.account_id = r.account_id
    WHERE lower(r.survey_type) = $survey_type
      AND r.responded_at >= $range_start
      AND r.responded_at < $range_end
      AND (sc.account_id IS NOT NULL OR NOT $filtered)
),
-- the groups: every group with a response in the window (one NULL group without --by)
groups AS (
    SELECT DISTINCT grp FROM responses
    UNION
    SELECT NULL WHERE $dim = ''
)
,
-- nps_counted: shared CTE fragment (after survey_scope, with $survey_type 'nps'), included with
-- `-- @include nps_counted`. The responses that count under $nps_basis: 'all' keeps every
-- response; 'latest' keeps each respondent's latest answer within the period (and group); a
-- response without respondent counts as its own respondent.
counted AS (
    SELECT *
    FROM responses
    QUALIFY $nps_basis = 'all'
        OR row_number() OVER (
               PARTITION BY period, grp, account_id, respondent IS NULL,
                            coalesce(respondent, CAST(rid AS VARCHAR))
               ORDER BY responded_at DESC, response_id DESC NULLS LAST, rid DESC
           ) = 1
)
,
-- theme_match: shared CTE fragment (after nps_counted), included with `-- @include theme_match`.
-- The themes of each counted response's comment, by the rules of metrics/themes.yaml, bound by
-- metrics.themes.ThemeSet.params(): $theme_regex is every rule as one case-insensitive
-- alternation (one bound, constant expression: compiled once per query); $rule_theme,
-- $rule_kind, $rule_text, $rule_rank list the rules in precedence order.

-- each distinct comment text once (comments repeat: templates, "great product")
theme_texts AS (
    SELECT DISTINCT comment FROM counted WHERE comment IS NOT NULL
),
-- the pieces of each comment that some rule matches, lower-cased, white space collapsed
theme_hits AS (
    SELECT comment, regexp_replace(lower(snippet), '\s+', ' ', 'g') AS snippet
    FROM (
        SELECT comment, unnest(regexp_extract_all(comment, $theme_regex)) AS snippet
        FROM theme_texts
    )
),
-- the rules, with their precedence (lower rank wins)
theme_rules AS (
    SELECT
        unnest(CAST($rule_theme AS VARCHAR[])) AS theme,
        unnest(CAST($rule_kind AS VARCHAR[])) AS kind,
        unnest(CAST($rule_text AS VARCHAR[])) AS rule,
        unnest(CAST($rule_rank AS INTEGER[])) AS rank
),
theme_snippets AS (
    SELECT DISTINCT snippet FROM theme_hits
),
-- the theme of each distinct snippet: the first rule it satisfies. Keywords by equality (a hash
-- join); patterns, few, by a full match (only snippet x pattern pairs are compiled)
snippet_theme AS (
    SELECT snippet, arg_min(theme, rank) AS theme
    FROM (
        SELECT s.snippet, r.theme, r.rank
        FROM theme_snippets AS s
        JOIN theme_rules AS r ON r.kind = 'keyword' AND r.rule = s.snippet
        UNION ALL
        SELECT s.snippet, r.theme, r.rank
        FROM theme_snippets AS s
        JOIN (SELECT * FROM theme_rules WHERE kind = 'pattern') AS r
          ON regexp_full_match(s.snippet, r.rule)
    )
    GROUP BY snippet
),
-- one row per (comment text, theme), then per (response, theme)
text_themes AS (
    SELECT DISTINCT h.comment, st.theme
    FROM theme_hits AS h
    JOIN snippet_theme AS st ON st.snippet = h.snippet
),
response_themes AS (
    SELECT c.rid, t.theme
    FROM counted AS c
    JOIN text_themes AS t ON t.comment = c.comment
)
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
