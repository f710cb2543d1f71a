-- Past loads, newest first, for the Data page (undone loads say by whom and when).
SELECT load_id, finished_at AS time, table_name AS "table", file_name AS file, sha256, mode,
       rows_in_file, rows_loaded, rows_rejected, rows_skipped_duplicate, orphans, outcome,
       loaded_by, message, undone_at, undone_by
FROM loads
ORDER BY load_id DESC
LIMIT 500
