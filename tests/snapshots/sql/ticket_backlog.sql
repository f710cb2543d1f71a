-- ticket_backlog.sql (rendered)
-- ticket_backlog: the support backlog as a stock, per period and group: tickets open at the
-- period's start, opened and closed in it, open at its end (the end of as-of for a partial
-- period) and, of those, open for more than 7 days. backlog_end = backlog_start + opened − closed.
-- A resolution after as-of ($as_of_end = as-of + 1 day) is not known yet: the ticket is open.
-- A resolution stamped before its ticket's creation counts at the creation (the identity holds;
-- the import reports such rows).
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
-- each period's half-open span as timestamps, cut at the end of as-of
spans AS (
    SELECT
        period,
        CAST(period AS TIMESTAMP) AS t_start,
        least(CAST(period_end AS TIMESTAMP), CAST($as_of_end AS TIMESTAMP)) AS t_end
    FROM periods
),
-- tickets of accounts in scope (orphans only when no filter is active) that are open at some
-- time in the window: created before its end, not closed before its start (`channel` and
-- `priority` are ticket columns)
tk AS (
    SELECT
        CASE $dim
            WHEN 'channel' THEN t.channel
            WHEN 'priority' THEN t.priority
            WHEN 'account_id' THEN t.account_id
            ELSE sc.grp
        END AS grp,
        t.created_at,
        CASE WHEN t.resolved_at < $as_of_end
             THEN greatest(t.resolved_at, t.created_at) END AS closed_at
    FROM tickets AS t
    LEFT JOIN scope AS sc ON sc.account_id = t.account_id
    WHERE t.created_at < $range_end
      AND (t.resolved_at IS NULL OR t.resolved_at >= $as_of_end
           OR greatest(t.resolved_at, t.created_at) >= $range_start)
      AND (sc.account_id IS NOT NULL OR NOT $filtered)
),
-- per period and group: each ticket open at some time in the period counts where it belongs
agg AS (
    SELECT
        s.period,
        tk.grp,
        count(*) FILTER (WHERE tk.created_at < s.t_start) AS backlog_start,
        count(*) FILTER (WHERE tk.created_at >= s.t_start) AS opened,
        count(*) FILTER (WHERE tk.closed_at < s.t_end) AS closed,
        count(*) FILTER (WHERE tk.closed_at IS NULL OR tk.closed_at >= s.t_end) AS backlog_end,
        count(*) FILTER (
            WHERE (tk.closed_at IS NULL OR tk.closed_at >= s.t_end)
              AND tk.created_at < s.t_end - INTERVAL 7 DAY
        ) AS aged_over_7d
    FROM spans AS s
    JOIN tk ON tk.created_at < s.t_end AND (tk.closed_at IS NULL OR tk.closed_at >= s.t_start)
    GROUP BY ALL
),
-- the groups: every group with a ticket in the window (one NULL group without --by)
groups AS (
    SELECT DISTINCT grp FROM tk
    UNION
    SELECT NULL WHERE $dim = ''
)
-- every period for every group, 0 where nothing was open
SELECT
    p.period,
    p.partial,
    g.grp,
    CAST(coalesce(a.backlog_start, 0) AS BIGINT) AS backlog_start,
    CAST(coalesce(a.opened, 0) AS BIGINT) AS opened,
    CAST(coalesce(a.closed, 0) AS BIGINT) AS closed,
    CAST(coalesce(a.backlog_end, 0) AS BIGINT) AS backlog_end,
    CAST(coalesce(a.aged_over_7d, 0) AS BIGINT) AS aged_over_7d
FROM periods AS p
CROSS JOIN groups AS g
LEFT JOIN agg AS a ON a.period = p.period AND a.grp IS NOT DISTINCT FROM g.grp
ORDER BY p.period, g.grp NULLS LAST
