"""``scsim serve``: the local dashboard over a run folder or a folder of runs."""
from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from typing import Annotated

import typer

from ..errors import ScsimError

LOOPBACK_NAMES = ["127.0.0.1", "localhost", "::1", "[::1]"]


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``.

    >>> is_loopback("127.0.0.1"), is_loopback("0.0.0.0"), is_loopback("localhost")
    (True, False, True)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: a free one), or a one-line ScsimError."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise ScsimError(f"--host {host!r}: cannot resolve ({e.strerror})") from None
    family, _, _, _, addr = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(addr)
        sock.listen(128)
    except OSError as e:
        sock.close()
        raise ScsimError(f"--port {port}: cannot listen on {host}:{port} ({e.strerror}); choose another port") from None
    sock.set_inheritable(True)
    return sock


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

        from .server import create_app

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
