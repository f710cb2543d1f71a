-- mrr: MRR, paying accounts and ARPA on each period's evaluation day (its last day, or as-of for
-- a partial period). MRR on day d = sum of mrr of subscriptions with start_date <= d < end_date
-- (end_date NULL = open). Computed from changes: +mrr on start_date, -mrr on end_date; the value on
-- a day is the sum of the changes up to it. Paying account = its own MRR > 0 that day.
WITH
-- @include account_scope
,
-- @include period_grid
,
-- @include scoped_subscriptions
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
