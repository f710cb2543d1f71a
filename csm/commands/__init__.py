"""The `csm` commands, one module per kind: `load` (load, undo, audit, presets), `demo`,
`metric` (metric, metrics), `report`, `serve`, `bench`. Each `cmd_*(args)` takes the parsed
arguments (csm/parser.py) and returns the exit code; csm/cli.py dispatches to them."""
