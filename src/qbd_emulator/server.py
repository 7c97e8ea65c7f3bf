"""Running the emulator: in-process for tests (`EmulatorServer`), or from the command line.

with EmulatorServer() as server:
    base = server.url                     # http://127.0.0.1:<free port>
    ...                                   # the admin API over real HTTP
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from types import TracebackType

import uvicorn

from qbd_emulator.emulator import Emulator
from qbd_emulator.http.app import create_app
from qbd_emulator.persistence import save


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class EmulatorServer:
    """The emulator on a real socket, served from a background thread."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        emulator: Emulator | None = None,
        log_level: str = "warning",
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.emulator = emulator or Emulator()
        config = uvicorn.Config(
            create_app(self.emulator),
            host=host,
            port=self.port,
            log_level=log_level,
            access_log=False,
            lifespan="off",
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> EmulatorServer:
        self._thread = threading.Thread(target=self._server.run, name="qbd-emulator", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the emulator did not start on {self.url}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.emulator.reset()
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve_forever(
    host: str,
    port: int,
    emulator: Emulator,
    *,
    log_level: str = "info",
    state_file: Path | None = None,
) -> None:
    """Serve in the foreground until interrupted (the `qbd-emulator serve` command); with a
    state file, the state is written to it when the server stops."""
    try:
        uvicorn.run(
            create_app(emulator),
            host=host,
            port=port,
            log_level=log_level,
            lifespan="off",
            access_log=False,
        )
    finally:
        for connector in list(emulator.connectors.values()):
            connector.stop()
        if state_file is not None:
            save(emulator, state_file)
        emulator.reset()
