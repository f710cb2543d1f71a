-- ticket_backlog: the support backlog as a stock, per period and group: tickets open at the
-- period's start, opened and closed in it, open at its end (the end of as-of for a partial
-- period) and, of those, open for more than 7 days. backlog_end = backlog_start + opened − closed.
-- A resolution after as-of ($as_of_end = as-of + 1 day) is not known yet: the ticket is open.
-- A resolution stamped before its ticket's creation counts at the creation (the identity holds;
-- the import reports such rows).
WITH
-- @include account_scope
,
-- @include period_grid
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
