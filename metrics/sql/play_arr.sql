-- play_arr: the ARR of one account on $day: 12 × the MRR of its subscriptions active that day
-- (start_date <= day < end_date, an empty end_date still active); 0 when it pays nothing.
SELECT CAST(12 * coalesce(sum(mrr), 0) AS DOUBLE) AS arr
FROM subscriptions
WHERE account_id = $account_id
  AND start_date <= CAST($day AS DATE)
  AND (end_date IS NULL OR end_date > CAST($day AS DATE))
