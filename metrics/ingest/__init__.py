"""CSV import: read -> map columns -> cast and validate -> write in one transaction -> record.

Public entry points:
- `load_file(store, table, path, ...) -> LoadResult` : the whole pipeline, all-or-nothing.
- `propose_mapping(table, headers) -> dict[target, source]` : the wizard's proposal.
- `preview(store, table, path, ...) -> (DataFrame, info)` : first rows as they would be stored.
"""

from metrics.ingest.errors import LoadRefused
from metrics.ingest.mapping import propose_mapping
from metrics.ingest.pipeline import LoadResult, load_file, preview

__all__ = ["LoadRefused", "LoadResult", "load_file", "preview", "propose_mapping"]
