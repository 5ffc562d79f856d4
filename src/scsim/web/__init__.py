"""The scsim dashboard: a local, read-only web view of run folders (every citizen is simulated).

``scsim serve RUN_OR_RUNS_DIR`` starts it; :func:`scsim.web.server.create_app` builds the FastAPI
application for tests and embedding.

>>> from scsim.web import create_app  # doctest: +SKIP
>>> app = create_app("runs")           # doctest: +SKIP
"""
from __future__ import annotations


def create_app(path, **kw):
    """Build the dashboard application for a run folder or a folder of runs (see ``server``)."""
    from .server import create_app as _create

    return _create(path, **kw)


__all__ = ["create_app"]
