-- support_distribution: how first response and resolution times are spread. Tickets of accounts
-- in scope created in [$cur_start, $cur_end) (orphans only without a filter); a response or
-- resolution after as-of ($as_of_end) is not known yet. Each time in hours falls in the bin
-- [edge_i, edge_i+1) of the bound edges $bin_edges (the last bin is open-ended).
WITH
-- @include account_scope
,
tk AS (
    SELECT t.created_at,
           CASE WHEN t.first_response_at < $as_of_end THEN t.first_response_at END AS fr,
           CASE WHEN t.resolved_at < $as_of_end THEN t.resolved_at END AS rs
    FROM tickets AS t
    LEFT JOIN scope AS sc ON sc.account_id = t.account_id
    WHERE t.created_at >= $cur_start AND t.created_at < $cur_end
      AND (sc.account_id IS NOT NULL OR NOT $filtered)
),
hours AS (
    SELECT 'first_response' AS measure,
           (epoch_us(fr) - epoch_us(created_at)) / 3600e6 AS h
    FROM tk WHERE fr IS NOT NULL
    UNION ALL
    SELECT 'resolution' AS measure,
           (epoch_us(rs) - epoch_us(created_at)) / 3600e6 AS h
    FROM tk WHERE rs IS NOT NULL
),
binned AS (
    SELECT measure,
           len(list_filter(CAST($bin_edges AS DOUBLE[]), lambda e: e <= h)) AS bin,
           count(*) AS tickets
    FROM hours
    GROUP BY ALL
),
bins AS (
    SELECT m.measure, b.i AS bin
    FROM (VALUES ('first_response'), ('resolution')) AS m(measure)
    CROSS JOIN range(1, len(CAST($bin_edges AS DOUBLE[])) + 1) AS b(i)
)
SELECT
    b.measure,
    CAST(b.bin AS BIGINT) AS bin,
    CAST($bin_edges AS DOUBLE[])[b.bin] AS bin_lo_h,
    CAST($bin_edges AS DOUBLE[])[b.bin + 1] AS bin_hi_h,
    CAST(coalesce(x.tickets, 0) AS BIGINT) AS tickets
FROM bins AS b
LEFT JOIN binned AS x ON x.measure = b.measure AND x.bin = b.bin
ORDER BY b.measure, b.bin
