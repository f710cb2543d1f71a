-- advocates: the active customers (on the evaluation day of the window: its last day, or as-of)
-- whose latest NPS answer (latest_nps: at most $recency_days old) is a promoter (9-10), with
-- that answer's respondent, comment and date and the account's MRR that day; largest MRR first.
-- The health band (and the green-only rule of `advocates_health`) is added in
-- metrics/kpis/loyalty.py from the `health` metric, scored in pandas on the evaluation day.
WITH
-- @include account_scope
,
-- @include period_grid
,
-- @include eval_days
,
-- @include account_mrr
,
-- @include latest_nps
,
active AS (
    SELECT e.period, e.partial, e.day, sc.account_id, sc.grp
    FROM evals AS e
    JOIN scope AS sc
      ON sc.signup_date <= e.day AND coalesce(sc.churn_date, DATE '9999-12-31') > e.day
)
SELECT
    a.period,
    a.partial,
    a.grp,
    a.account_id,
    acc.name AS account_name,
    acc.segment,
    acc.csm_owner,
    CAST(coalesce(m.mrr, 0) AS DOUBLE) AS mrr,
    l.score,
    r.respondent,
    r.comment,
    r.responded_at,
    r.touchpoint
FROM active AS a
JOIN accounts AS acc ON acc.account_id = a.account_id
JOIN latest AS l ON l.period = a.period AND l.account_id = a.account_id AND l.score >= 9
-- the promoter answer itself, for its respondent and comment (the range lets the scan skip)
JOIN survey_responses AS r
  ON r.rowid = l.rid
 AND r.responded_at < $as_of_end
 AND r.responded_at >= CAST($range_start AS TIMESTAMP) - to_days(CAST($recency_days AS INTEGER))
LEFT JOIN account_mrr AS m ON m.period = a.period AND m.account_id = a.account_id
ORDER BY a.period, mrr DESC, r.responded_at DESC, a.account_id
