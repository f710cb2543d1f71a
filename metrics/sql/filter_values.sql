-- Distinct values of the account dimensions, for the global filter widgets.
-- One row per (dimension, value); custom attributes use their stored name as `dimension`.
SELECT 'segment' AS dimension, segment AS value FROM accounts WHERE segment IS NOT NULL
UNION
SELECT 'region', region FROM accounts WHERE region IS NOT NULL
UNION
SELECT 'csm_owner', csm_owner FROM accounts WHERE csm_owner IS NOT NULL
UNION
SELECT 'plan', plan FROM accounts WHERE plan IS NOT NULL
UNION
-- custom attributes with few distinct values are usable as filters
SELECT 'attr:' || attribute, value FROM account_attributes
WHERE value IS NOT NULL AND attribute IN (
    SELECT attribute FROM account_attributes GROUP BY attribute
    HAVING count(DISTINCT value) <= 50)
ORDER BY 1, 2
