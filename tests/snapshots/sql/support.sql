-- support.sql (rendered)
-- support: per period of ticket creation and group: tickets; first response and resolution times
-- in calendar hours (median, p90 with linear interpolation, mean) over the tickets that have one;
-- first contact resolution; tickets still open at as-of; SLA attainment. Responses and
-- resolutions after as-of ($as_of_end = as-of + 1 day) are not known yet and count as missing.
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
-- tickets of accounts in scope (orphans only when no filter is active) created in the window's
-- periods up to as-of, with their period and group (`channel` and `priority` are ticket columns)
tk AS (
    SELECT
        CASE WHEN $grain = 'all' THEN CAST($range_start AS DATE)
             ELSE CAST(date_trunc($trunc, t.created_at) AS DATE) END AS period,
        CASE $dim
            WHEN 'channel' THEN t.channel
            WHEN 'priority' THEN t.priority
            WHEN 'account_id' THEN t.account_id
            ELSE sc.grp
        END AS grp,
        t.created_at,
        CASE WHEN t.first_response_at < $as_of_end THEN t.first_response_at END AS first_response_at,
        CASE WHEN t.resolved_at < $as_of_end THEN t.resolved_at END AS resolved_at,
        t.contacts,
        t.reopened,
        upper(trim(t.priority)) AS prio
    FROM tickets AS t
    LEFT JOIN scope AS sc ON sc.account_id = t.account_id
    WHERE t.created_at >= $range_start
      AND t.created_at < $range_end
      AND (sc.account_id IS NOT NULL OR NOT $filtered)
),
-- per ticket: durations in hours and its SLA first-response target, looked up in the bound
-- parallel lists $sla_priorities (upper-case) / $sla_hours; other priorities get $sla_default_h
timed AS (
    SELECT
        tk.period,
        tk.grp,
        tk.resolved_at,
        tk.contacts,
        tk.reopened,
        (epoch_us(tk.first_response_at) - epoch_us(tk.created_at)) / 3600e6 AS frt_h,
        (epoch_us(tk.resolved_at) - epoch_us(tk.created_at)) / 3600e6 AS res_h,
        (epoch_us(CAST($as_of_end AS TIMESTAMP)) - epoch_us(tk.created_at)) / 3600e6 AS age_h,
        coalesce(
            CAST($sla_hours AS DOUBLE[])[list_position(CAST($sla_priorities AS VARCHAR[]), tk.prio)],
            CAST($sla_default_h AS DOUBLE)
        ) AS target_h
    FROM tk
),
-- aggregates per period and group
agg AS (
    SELECT
        period,
        grp,
        count(*) AS tickets,
        -- median and p90 (linear interpolation) from one sort each: [q50, q90]
        quantile_cont(frt_h, [0.5, 0.9]) AS frt_q,
        avg(frt_h) AS first_response_mean_h,
        quantile_cont(res_h, [0.5, 0.9]) AS res_q,
        avg(res_h) AS resolution_mean_h,
        -- resolved tickets with known contacts and reopened flag: the FCR denominator
        count(*) FILTER (
            WHERE resolved_at IS NOT NULL AND contacts IS NOT NULL AND reopened IS NOT NULL
        ) AS fcr_base,
        count(*) FILTER (
            WHERE resolved_at IS NOT NULL AND contacts <= 1 AND reopened = false
        ) AS fcr_resolved,
        count(*) FILTER (
            WHERE resolved_at IS NOT NULL AND (contacts IS NULL OR reopened IS NULL)
        ) AS fcr_excluded,
        count(*) FILTER (WHERE resolved_at IS NULL) AS open_tickets,
        count(*) FILTER (WHERE frt_h <= target_h) AS sla_met,
        -- answered, or unanswered and already past the target at the end of as-of
        count(*) FILTER (WHERE frt_h IS NOT NULL OR age_h > target_h) AS sla_due
    FROM timed
    GROUP BY ALL
),
-- the groups: every group with a ticket in the window (one NULL group without --by)
groups AS (
    SELECT DISTINCT grp FROM tk
    UNION
    SELECT NULL WHERE $dim = ''
)
-- every period for every group, 0 tickets and NULL times and rates when there was none
SELECT
    p.period,
    p.partial,
    g.grp,
    CAST(coalesce(a.tickets, 0) AS BIGINT) AS tickets,
    a.frt_q[1] AS first_response_median_h,
    a.frt_q[2] AS first_response_p90_h,
    a.first_response_mean_h,
    a.res_q[1] AS resolution_median_h,
    a.res_q[2] AS resolution_p90_h,
    a.resolution_mean_h,
    CAST(a.fcr_resolved AS DOUBLE) / NULLIF(a.fcr_base, 0) AS fcr_rate,
    CAST(coalesce(a.fcr_excluded, 0) AS BIGINT) AS fcr_excluded,
    CAST(coalesce(a.open_tickets, 0) AS BIGINT) AS open_tickets,
    CAST(a.sla_met AS DOUBLE) / NULLIF(a.sla_due, 0) AS sla_attainment
FROM periods AS p
CROSS JOIN groups AS g
LEFT JOIN agg AS a ON a.period = p.period AND a.grp IS NOT DISTINCT FROM g.grp
ORDER BY p.period, g.grp NULLS LAST
