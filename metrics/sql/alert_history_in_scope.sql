-- alert_history_in_scope: the history of alert evaluations as alert_history.sql gives it, but
-- only as far as it concerns the accounts in scope (the global filters; for a csm restricted to
-- their own book, their book). Kept: evaluations that named at least one account in scope, with
-- `accounts` cut to those, `value` (health_red: how many accounts) and the message's count
-- recounted over them. Left out: evaluations naming no account in scope, and those naming no
-- account at all (a threshold or target rule's value is over a whole segment or the team).
-- Parameters: $limit, $from_day, $to_day as alert_history.sql; the account_scope ones.
WITH
-- @include account_scope
,
named AS (
    SELECT h.event_id, trim(t.account_id) AS account_id
    FROM alert_history AS h, unnest(string_split(h.accounts, ',')) AS t(account_id)
    WHERE h.accounts IS NOT NULL
      AND ($from_day IS NULL OR h.as_of >= CAST($from_day AS DATE))
      AND ($to_day IS NULL OR h.as_of < CAST($to_day AS DATE))
),
in_scope AS (
    SELECT n.event_id, string_agg(n.account_id, ', ' ORDER BY n.account_id) AS accounts,
           count(*) AS n
    FROM named AS n
    WHERE n.account_id IN (SELECT account_id FROM scope)
    GROUP BY n.event_id
)
SELECT h.event_id, h.rule_id, h.rule_name, h.evaluated_at, h.as_of, h.trigger, h.load_id,
       h.fired, h.suppressed, CAST(s.n AS DOUBLE) AS value, h.threshold, s.accounts,
       -- the count as metrics.fmt.plural writes it ("1 account", "1,234 accounts"), also in
       -- messages recorded before it ("3 account(s)")
       regexp_replace(h.message, '^[0-9][0-9,]* account(\(s\)|s)?',
                      format('{:,}', s.n) || CASE WHEN s.n = 1 THEN ' account' ELSE ' accounts' END)
           AS message
FROM alert_history AS h
JOIN in_scope AS s ON s.event_id = h.event_id
ORDER BY h.event_id DESC
LIMIT $limit
