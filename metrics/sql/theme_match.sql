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
