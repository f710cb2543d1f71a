"""Chart images of the pack: each section's figure drawn to PNG by kaleido, which needs
Chromium (`BROWSER_PATH`, else /usr/bin/chromium)."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import plotly.graph_objects as go

from render.report.pack import Section

WIDTH = 900  # px; the PDF and the slides scale the image, so only the aspect matters
HEIGHT = 420  # px, when the figure sets no height of its own


def browser_path() -> Path | None:
    """Return the Chromium executable kaleido will use (`BROWSER_PATH`, else
    /usr/bin/chromium), or None when it is missing."""
    p = Path(os.environ.get("BROWSER_PATH") or "/usr/bin/chromium")
    return p if p.is_file() and os.access(p, os.X_OK) else None


def _sized(fig: go.Figure) -> go.Figure:
    """Return a copy of `fig` with the image's width and height in its layout (a running
    kaleido server draws a figure at its own size, not at to_image's)."""
    out = go.Figure(fig)
    out.update_layout(width=WIDTH, height=fig.layout.height or HEIGHT)
    return out


_running = {"server": False}  # kaleido's server started by `start` and not stopped yet


def start() -> bool:
    """Start kaleido's server (its Chromium launches in kaleido's own thread) so that it is up
    by the time the charts are drawn: `csm report` calls it before computing the review, which
    hides the browser's start behind the queries. Returns whether it runs; `stop` ends it."""
    path = browser_path()
    if path is None or _running["server"]:
        return _running["server"]
    os.environ.setdefault("BROWSER_PATH", str(path))
    try:
        import kaleido

        kaleido.start_sync_server(silence_warnings=True)
    except Exception:  # noqa: BLE001 - draw() falls back to one browser per image
        return False
    _running["server"] = True
    return True


def stop() -> None:
    """Stop kaleido's server when `start` started it."""
    if not _running["server"]:
        return
    _running["server"] = False
    try:
        import kaleido

        kaleido.stop_sync_server(silence_warnings=True)
    except Exception:  # noqa: BLE001 - stopping anyway
        pass


def draw(charts: list[Section]) -> list[str]:
    """Draw each section's chart to PNG with kaleido (into `Section.image`), in the server
    `start` started, else in one started (and stopped) here; return notes (none when all were
    drawn)."""
    path = browser_path()
    if path is None:
        return [f"Chromium not found at {os.environ.get('BROWSER_PATH') or '/usr/bin/chromium'} "
                "(set BROWSER_PATH): the pack was written without chart images."]
    started_here = not _running["server"] and start()
    try:
        with warnings.catch_warnings():
            # plotly warns that its image options are ignored by a running server: they are
            # the figure's own size here anyway (see _sized).
            warnings.simplefilter("ignore", UserWarning)
            for s in charts:
                fig = _sized(s.chart)
                s.image = fig.to_image(format="png", width=WIDTH, height=fig.layout.height,
                                       scale=1)
    except Exception as e:  # noqa: BLE001 - no images is a note, not a failure
        for s in charts:
            s.image = None
        return [f"Chart images could not be drawn ({type(e).__name__}: {e}); the pack was "
                "written without them."]
    finally:
        if started_here:
            stop()
    return []
