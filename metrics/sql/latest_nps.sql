-- latest_nps: shared CTE fragment (after eval_days), included with `-- @include latest_nps`.
-- Each account's latest NPS answer on or before each evaluation day, when it is at most
-- $recency_days old (older answers say little: the account counts as not answered): `latest`
-- (period, account_id, rid = the answer's rowid in survey_responses, score). Ties on
-- responded_at are broken by response_id, then storage order, so the result is deterministic.

-- the answers that can be latest on some evaluation day (narrow columns)
nps_window AS (
    SELECT
        rowid AS rid,
        account_id,
        score,
        responded_at,
        (responded_at, coalesce(response_id, ''), rowid) AS recency
    FROM survey_responses
    WHERE survey_type = 'nps'  -- stored lower-case by the import
      AND responded_at < $as_of_end
      AND responded_at >= CAST($range_start AS TIMESTAMP)
                          - to_days(CAST($recency_days AS INTEGER))
),
-- per evaluation day and account, the most recent answer of the trailing $recency_days
latest AS (
    SELECT
        e.period,
        a.account_id,
        arg_max(a.rid, a.recency) AS rid,
        arg_max(a.score, a.recency) AS score
    FROM evals AS e
    JOIN nps_window AS a
      ON a.responded_at < e.day_end
     AND a.responded_at >= e.day_end - to_days(CAST($recency_days AS INTEGER))
    GROUP BY e.period, a.account_id
)
