-- support_tickets: the tickets behind a support bar. Tickets of accounts in scope (orphans only
-- without a filter) created in [$cur_start, $cur_end), restricted to the group $group_value of
-- dimension $dim (a ticket column or an account dimension) unless $any_group. Times in hours;
-- a response or resolution after as-of ($as_of_end) is not known yet. At most $max_rows rows,
-- newest first.
WITH
-- @include account_scope
,
tk AS (
    SELECT
        t.*,
        CASE $dim
            WHEN 'channel' THEN t.channel
            WHEN 'priority' THEN t.priority
            WHEN 'account_id' THEN t.account_id
            ELSE sc.grp
        END AS grp
    FROM tickets AS t
    LEFT JOIN scope AS sc ON sc.account_id = t.account_id
    WHERE t.created_at >= $cur_start AND t.created_at < $cur_end
      AND (sc.account_id IS NOT NULL OR NOT $filtered)
)
SELECT
    tk.ticket_id,
    tk.account_id,
    a.name,
    a.segment,
    tk.channel,
    tk.priority,
    tk.created_at,
    CASE WHEN tk.first_response_at < $as_of_end
         THEN (epoch_us(tk.first_response_at) - epoch_us(tk.created_at)) / 3600e6 END
        AS first_response_h,
    CASE WHEN tk.resolved_at < $as_of_end
         THEN (epoch_us(tk.resolved_at) - epoch_us(tk.created_at)) / 3600e6 END
        AS resolution_h,
    tk.contacts,
    tk.reopened,
    CASE WHEN tk.resolved_at < $as_of_end THEN 'resolved' ELSE 'open' END AS status
FROM tk
LEFT JOIN accounts AS a ON a.account_id = tk.account_id
WHERE $any_group OR tk.grp IS NOT DISTINCT FROM $group_value
ORDER BY tk.created_at DESC, tk.ticket_id
LIMIT $max_rows
