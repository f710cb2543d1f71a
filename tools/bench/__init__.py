"""`csm bench`: the performance benchmark of QUALITY.md ("Speed"), one JSON document.

A tool run from a checkout of the project (`csm bench`, `make bench`), not part of the
installed package. What it measures, side by side in one run (these machines are noisy: the
ratios count):

- import: the largest size's usage_events exported to CSV, loaded through the real import
  (`metrics.ingest.load_file` on a fresh empty Store, as `csm load usage_events FILE --mode
  replace` does) vs DuckDB's own `CREATE TABLE AS SELECT * FROM read_csv(FILE)`; ratio a / b
  (`data`).
- pages cold: every page's queries (`dashboard.catalogue.compute_page`) in a fresh process
  per measurement (DuckDB's buffer cache empty; the OS page cache is warm), median of a few
  (`compute`).
- pages warm: the dashboard's cache layer (`dashboard.context`, st.cache_data in bare mode)
  called twice in one process; the second (cached) pass is timed, and the queries that were
  not served by the cache are counted through `context.on_query` (`compute`).
- raw_scan_s: count(*) + sum() over usage_events, tickets, survey_responses, subscriptions.
- growth: cold page time and rows read, largest size / smallest size.
- browser: the dashboard served on 127.0.0.1 and driven by Playwright + Chromium: filter
  changes until every chart is redrawn, vs a trivial one-widget Streamlit page; the server's
  peak RSS over that run (`browser`).
- goals and machine (`report`).

The demo databases are cached under `<bench dir>/<size>.duckdb` (default data/bench, beside the
database) with a `<size>.meta.json` describing them; delete the folder to rebuild. Progress goes
to stderr; `run()` returns the document.
"""

from tools.bench.browser import bench_browser, find_chromium, gray_toggles
from tools.bench.common import END, bench_dir_for, percentile
from tools.bench.compute import tables_in
from tools.bench.data import ensure_db
from tools.bench.run import run

__all__ = ["END", "bench_browser", "bench_dir_for", "ensure_db",
           "find_chromium", "gray_toggles", "percentile", "run", "tables_in"]
