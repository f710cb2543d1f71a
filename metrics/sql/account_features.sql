-- account_features: the features one account used in [$start, $as_of) (usage_daily rollup):
-- users and events per feature.
SELECT d.feature, count(DISTINCT d.user_key) AS users, CAST(sum(d.events) AS BIGINT) AS events
FROM usage_daily AS d
JOIN usage_accounts AS a ON a.account_key = d.account_key
WHERE a.account_id = $account_id AND d.day >= $start AND d.day < $as_of
  AND d.feature IS NOT NULL
GROUP BY d.feature
ORDER BY users DESC, events DESC, d.feature
