"""``scsim serve``: the local dashboard over a run folder or a folder of runs."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..web.net import LOOPBACK_NAMES, is_loopback, listen


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the ``scsim`` command line."""

    @app.command("serve")
    def serve(
        path: Annotated[Path, typer.Argument(help="A run folder or a folder of runs.")] = Path("runs"),
        host: Annotated[str, typer.Option("--host", help="Address to bind; the default serves this machine only.")] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port (0: any free port).")] = 8050,
    ):
        """Serve a read-only dashboard of runs (analyst view and citizen's-eye view) on this machine."""
        import uvicorn

        from ..web.server import create_app

        loop = is_loopback(host)
        app_ = create_app(path, allowed_hosts=LOOPBACK_NAMES if loop else None)
        sock = listen(host, port)
        real_port = sock.getsockname()[1]
        shown = f"[{host.strip('[]')}]" if ":" in host else host
        n = len(app_.state.data.runs)
        print(f"scsim dashboard: {n} run{'s' if n != 1 else ''} of simulated citizens from {path}")
        print(f"open http://{shown}:{real_port}/  (read-only; Ctrl-C stops)")
        if not loop:
            print(f"warning: --host {host} is not loopback: anyone who can reach this machine can read these runs")
        config = uvicorn.Config(app_, log_level="warning", access_log=False, lifespan="off")
        uvicorn.Server(config).run(sockets=[sock])
