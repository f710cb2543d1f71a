-- renewal_rate: renewals due per period (METRICS.md). A due is an (account, day) from a
-- subscription end_date, or an accounts.renewal_date in the past, on or before as-of (one due per
-- account and day). Renewed = a subscription of the account starts within 30 days on or after
-- the due day. A due less than 30 days before as-of is pending: its outcome is not known yet, so
-- it is left out of renewed, churned and the rate's denominator. ARR = 12 x the account's MRR on
-- the last day before the due day (the contract that comes up; end dates are exclusive).
WITH
-- @include account_scope
,
-- @include period_grid
,
-- @include scoped_subscriptions
,
dues AS (
    SELECT account_id, any_value(grp) AS grp, due
    FROM (
        SELECT account_id, grp, end_date AS due FROM subs WHERE end_date IS NOT NULL
        UNION ALL
        SELECT account_id, grp, renewal_date FROM (
            SELECT a.account_id, sc.grp, a.renewal_date
            FROM accounts AS a JOIN scope AS sc ON sc.account_id = a.account_id
            WHERE a.renewal_date IS NOT NULL
        )
    )
    WHERE due >= $range_start AND due < $range_end
    GROUP BY account_id, due
),
outcomes AS (
    SELECT
        d.*,
        d.due > CAST($as_of_end AS DATE) - 31 AS pending,
        EXISTS (SELECT 1 FROM subs AS s
                WHERE s.account_id = d.account_id AND s.start_date >= d.due
                  AND s.start_date <= d.due + 30 AND s.start_date < CAST($as_of_end AS DATE))
            AS has_new,
        12 * coalesce((SELECT sum(s.mrr) FROM subs AS s
                       WHERE s.account_id = d.account_id AND s.start_date <= d.due - 1
                         AND coalesce(s.end_date, DATE '9999-12-31') > d.due - 1), 0) AS arr
    FROM dues AS d
),
per AS (
    SELECT
        CASE WHEN $grain = 'all' THEN CAST($range_start AS DATE)
             ELSE CAST(date_trunc($trunc, due) AS DATE) END AS period,
        grp,
        count(*) AS due,
        count(*) FILTER (WHERE NOT pending AND has_new) AS renewed,
        count(*) FILTER (WHERE NOT pending AND NOT has_new) AS churned,
        count(*) FILTER (WHERE pending) AS pending,
        sum(arr) AS arr_due,
        coalesce(sum(arr) FILTER (WHERE NOT pending AND has_new), 0) AS arr_renewed
    FROM outcomes
    GROUP BY ALL
),
groups AS (
    SELECT DISTINCT grp FROM outcomes
    UNION
    SELECT NULL WHERE $dim = ''
)
SELECT
    p.period,
    p.partial,
    g.grp,
    CAST(coalesce(x.due, 0) AS BIGINT) AS due,
    CAST(coalesce(x.renewed, 0) AS BIGINT) AS renewed,
    CAST(coalesce(x.churned, 0) AS BIGINT) AS churned,
    CAST(coalesce(x.renewed, 0) + coalesce(x.churned, 0) AS BIGINT) AS decided,
    CAST(coalesce(x.pending, 0) AS BIGINT) AS pending,
    CAST(x.renewed AS DOUBLE) / NULLIF(x.renewed + x.churned, 0) AS renewal_rate,
    CAST(coalesce(x.arr_due, 0) AS DOUBLE) AS arr_due,
    CAST(coalesce(x.arr_renewed, 0) AS DOUBLE) AS arr_renewed
FROM periods AS p
CROSS JOIN groups AS g
LEFT JOIN per AS x ON x.period = p.period AND x.grp IS NOT DISTINCT FROM g.grp
ORDER BY p.period, g.grp NULLS LAST
