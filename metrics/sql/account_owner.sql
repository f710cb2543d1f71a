-- The CSM owner of one account (row-level checks of a restricted csm).
SELECT csm_owner FROM accounts WHERE account_id = $account_id
