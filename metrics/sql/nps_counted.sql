-- nps_counted: shared CTE fragment (after survey_scope, with $survey_type 'nps'), included with
-- `-- @include nps_counted`. The responses that count under $nps_basis: 'all' keeps every
-- response; 'latest' keeps each respondent's latest answer within the period (and group); a
-- response without respondent counts as its own respondent.
counted AS (
    SELECT *
    FROM responses
    QUALIFY $nps_basis = 'all'
        OR row_number() OVER (
               PARTITION BY period, grp, account_id, respondent IS NULL,
                            coalesce(respondent, CAST(rid AS VARCHAR))
               ORDER BY responded_at DESC, response_id DESC NULLS LAST, rid DESC
           ) = 1
)
