"""The `csm` command line: the entry point beside the dashboard, on top of the render layer
and the metrics (it imports both; neither imports it)."""
