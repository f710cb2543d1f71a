-- account_tickets: one account's tickets created up to $as_of_end (newest first), with first
-- response and resolution times in calendar hours (null while unanswered / open at as-of).
SELECT ticket_id, created_at, priority, channel,
       CASE WHEN resolved_at IS NULL OR resolved_at >= $as_of_end THEN 'open' ELSE 'resolved' END
           AS status,
       CASE WHEN first_response_at < $as_of_end
            THEN date_diff('second', created_at, first_response_at) / 3600.0 END
           AS first_response_h,
       CASE WHEN resolved_at < $as_of_end
            THEN date_diff('second', created_at, resolved_at) / 3600.0 END AS resolution_h,
       contacts, reopened
FROM tickets
WHERE account_id = $account_id AND created_at < $as_of_end
ORDER BY created_at DESC, ticket_id
