-- Where the data came from, for the Data page: the newest successful load of each kind — a
-- file into a table ('file'), a Parquet export ('parquet'), usage rollups computed elsewhere
-- ('rollups', the message says on what, from what and when) — with when it was loaded.
SELECT kind, load_id, finished_at AS loaded_at, file_name AS source, message, loaded_by
FROM (
    SELECT
        CASE WHEN table_name IN ('parquet', 'rollups') THEN table_name ELSE 'file' END AS kind,
        *,
        row_number() OVER (
            PARTITION BY CASE WHEN table_name IN ('parquet', 'rollups') THEN table_name
                              ELSE 'file' END
            ORDER BY load_id DESC) AS newest
    FROM loads
    WHERE outcome IN ('loaded', 'loaded_with_rejects')
)
WHERE newest = 1
ORDER BY load_id DESC
