-- mrr_movements.sql (rendered)
-- mrr_movements: MRR at the start and end of each period and the movements between, classified
-- per account and summed per period (ChartMogul conventions, METRICS.md). mrr_start = MRR on the
-- previous evaluation day (the day before the first period for the first one); mrr_end = MRR on
-- the period's evaluation day (its last day, or as-of). Per account: 0 -> > 0 is new when the
-- account was never paying before the period, else reactivation; > 0 -> 0 is churn; up is
-- expansion; down to a positive value is contraction. Net per account and period, so
-- mrr_end = mrr_start + new + reactivation + expansion - contraction - churn holds exactly
-- (sums are DECIMAL until the final cast).
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
-- eval_days: shared CTE fragment (after period_grid), included with `-- @include eval_days`.
-- Each period's evaluation day (METRICS.md): its last day, or as-of for a partial period (a
-- period starting after as-of is evaluated on as-of too); day_end = the next midnight, the
-- exclusive bound for timestamps dated on that day.
evals AS (
    SELECT
        period,
        partial,
        day,
        CAST(day + 1 AS TIMESTAMP) AS day_end
    FROM (
        SELECT
            period,
            partial,
            least(CAST(period_end AS DATE) - 1, CAST($as_of_end AS DATE) - 1) AS day
        FROM periods
    )
)
,
-- each period's evaluation day and the previous one (the day before the first period)
pts AS (
    SELECT
        period,
        partial,
        day,
        coalesce(lag(day) OVER (ORDER BY period), CAST($base_end AS DATE) - 1) AS prev_day
    FROM evals
),
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
-- the first day each account paid anything (subscriptions are active on their start_date)
first_paying AS (
    SELECT account_id, min(start_date) AS first_day
    FROM subs
    WHERE mrr > 0
    GROUP BY account_id
),
-- the days MRR is needed on
days AS (
    SELECT day FROM pts
    UNION
    SELECT prev_day FROM pts
),
-- each account's MRR on each of those days (only accounts paying that day)
acct_day AS (
    SELECT d.day, s.account_id, any_value(s.grp) AS grp, sum(s.mrr) AS mrr
    FROM days AS d
    JOIN subs AS s
      ON s.start_date <= d.day AND coalesce(s.end_date, DATE '9999-12-31') > d.day
    GROUP BY d.day, s.account_id
    HAVING sum(s.mrr) > 0
),
-- per period and account: MRR at the start (m0) and at the end (m1)
pairs AS (
    SELECT period, partial, account_id, any_value(grp) AS grp, sum(m0) AS m0, sum(m1) AS m1
    FROM (
        SELECT p.period, p.partial, x.account_id, x.grp, x.mrr AS m0, 0 AS m1
        FROM pts AS p JOIN acct_day AS x ON x.day = p.prev_day
        UNION ALL
        SELECT p.period, p.partial, x.account_id, x.grp, 0 AS m0, x.mrr AS m1
        FROM pts AS p JOIN acct_day AS x ON x.day = p.day
    )
    GROUP BY period, partial, account_id
),
-- the movement of each account in each period
moves AS (
    SELECT
        pr.*,
        CASE WHEN m0 = 0 AND m1 > 0 AND f.first_day >= pr.period THEN m1 ELSE 0 END AS new,
        CASE WHEN m0 = 0 AND m1 > 0 AND f.first_day < pr.period THEN m1 ELSE 0 END
            AS reactivation,
        CASE WHEN m0 > 0 AND m1 > m0 THEN m1 - m0 ELSE 0 END AS expansion,
        CASE WHEN m0 > m1 AND m1 > 0 THEN m0 - m1 ELSE 0 END AS contraction,
        CASE WHEN m0 > 0 AND m1 = 0 THEN m0 ELSE 0 END AS churn
    FROM pairs AS pr
    LEFT JOIN first_paying AS f ON f.account_id = pr.account_id
),
-- the groups: every group with a subscription (one NULL group without --by); with
-- --by account_id only accounts paying at the start or end of a period are listed
groups AS (
    SELECT DISTINCT grp FROM subs WHERE $dim <> 'account_id'
    UNION
    SELECT NULL WHERE $dim = ''
),
grid AS (
    SELECT p.period, p.partial, g.grp FROM pts AS p CROSS JOIN groups AS g
    UNION ALL
    SELECT DISTINCT period, partial, grp FROM moves WHERE $dim = 'account_id'
),
sums AS (
    SELECT
        g.period,
        g.partial,
        g.grp,
        coalesce(sum(m.m0), 0) AS mrr_start,
        coalesce(sum(m.new), 0) AS new,
        coalesce(sum(m.expansion), 0) AS expansion,
        coalesce(sum(m.contraction), 0) AS contraction,
        coalesce(sum(m.churn), 0) AS churn,
        coalesce(sum(m.reactivation), 0) AS reactivation,
        coalesce(sum(m.m1), 0) AS mrr_end
    FROM grid AS g
    LEFT JOIN moves AS m ON m.period = g.period AND m.grp IS NOT DISTINCT FROM g.grp
    GROUP BY g.period, g.partial, g.grp
)
SELECT
    period,
    partial,
    grp,
    CAST(mrr_start AS DOUBLE) AS mrr_start,
    CAST(new AS DOUBLE) AS new,
    CAST(expansion AS DOUBLE) AS expansion,
    CAST(contraction AS DOUBLE) AS contraction,
    CAST(churn AS DOUBLE) AS churn,
    CAST(reactivation AS DOUBLE) AS reactivation,
    CAST(mrr_end AS DOUBLE) AS mrr_end
FROM sums
-- with --by, keep only groups with MRR or a movement in the window
QUALIFY $dim = '' OR max(mrr_start + mrr_end + new + churn + reactivation)
    OVER (PARTITION BY grp) > 0
ORDER BY period, grp NULLS LAST
