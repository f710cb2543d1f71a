-- mrr.sql (rendered)
-- mrr: MRR, paying accounts and ARPA on each period's evaluation day (its last day, or as-of for
-- a partial period). MRR on day d = sum of mrr of subscriptions with start_date <= d < end_date
-- (end_date NULL = open). Computed from changes: +mrr on start_date, -mrr on end_date; the value on
-- a day is the sum of the changes up to it. Paying account = its own MRR > 0 that day.
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
-- scoped_subscriptions: a CTE fragment (after account_scope) shared by mrr, mrr_movements, nrr,
-- renewal_rate and cohort_retention:
-- subscriptions of accounts in scope; orphans (account missing) only when no filter is active
subs AS (
    SELECT
        s.account_id,
        s.start_date,
        s.end_date,
        s.mrr,
        CASE $dim WHEN 'account_id' THEN s.account_id ELSE sc.grp END AS grp
    FROM subscriptions AS s
    LEFT JOIN scope AS sc ON sc.account_id = s.account_id
    WHERE sc.account_id IS NOT NULL OR NOT $filtered
)
,
-- changes per account and day: mrr and number of active subscriptions
changes AS (
    SELECT account_id, grp, day, sum(delta) AS delta, sum(n_subs) AS n_subs
    FROM (
        SELECT account_id, grp, start_date AS day, mrr AS delta, 1 AS n_subs FROM subs
        UNION ALL
        SELECT account_id, grp, end_date, -mrr, -1 FROM subs WHERE end_date IS NOT NULL
    )
    GROUP BY ALL
),
-- each account's MRR after each of its changes
account_steps AS (
    SELECT
        *,
        sum(delta) OVER (PARTITION BY account_id ORDER BY day ROWS UNBOUNDED PRECEDING) AS mrr_after
    FROM changes
),
-- +1 when an account starts paying, -1 when it stops, 0 otherwise
steps AS (
    SELECT
        grp,
        day,
        delta,
        n_subs,
        CAST(mrr_after > 0 AS INTEGER)
          - CAST(coalesce(lag(mrr_after) OVER (PARTITION BY account_id ORDER BY day), 0) > 0
                 AS INTEGER) AS paying_delta
    FROM account_steps
),
-- state on the day before the first period (or on as-of, when earlier)
base AS (
    SELECT grp, sum(delta) AS mrr0, sum(paying_delta) AS paying0, sum(n_subs) AS subs0
    FROM steps
    WHERE day < $base_end
    GROUP BY grp
),
-- changes inside each period (facts after as-of are not read)
period_changes AS (
    SELECT
        CASE WHEN $grain = 'all' THEN CAST($range_start AS DATE)
             ELSE CAST(date_trunc($trunc, day) AS DATE) END AS period,
        grp,
        sum(delta) AS delta,
        sum(paying_delta) AS paying_delta,
        sum(n_subs) AS n_subs
    FROM steps
    WHERE day >= $range_start AND day < $range_end
    GROUP BY ALL
),
-- the groups: every group with a subscription (one NULL group without --by)
groups AS (
    SELECT DISTINCT grp FROM subs
    UNION
    SELECT NULL WHERE $dim = ''
),
-- the state on each period's evaluation day = base + changes up to the end of the period
stocks AS (
    SELECT
        p.period,
        p.partial,
        g.grp,
        coalesce(b.mrr0, 0) + coalesce(sum(c.delta) OVER w, 0) AS mrr,
        coalesce(b.paying0, 0) + coalesce(sum(c.paying_delta) OVER w, 0) AS accounts,
        coalesce(b.subs0, 0) + coalesce(sum(c.n_subs) OVER w, 0) AS active_subscriptions
    FROM periods AS p
    CROSS JOIN groups AS g
    LEFT JOIN base AS b ON b.grp IS NOT DISTINCT FROM g.grp
    LEFT JOIN period_changes AS c ON c.period = p.period AND c.grp IS NOT DISTINCT FROM g.grp
    WINDOW w AS (PARTITION BY g.grp ORDER BY p.period ROWS UNBOUNDED PRECEDING)
)
SELECT
    period,
    partial,
    grp,
    CAST(mrr AS DOUBLE) AS mrr,
    CAST(accounts AS BIGINT) AS accounts,
    CAST(mrr AS DOUBLE) / NULLIF(accounts, 0) AS arpa
FROM stocks
-- with --by, keep only groups with an active subscription on some evaluation day
QUALIFY $dim = '' OR max(active_subscriptions) OVER (PARTITION BY grp) > 0
ORDER BY period, grp NULLS LAST
