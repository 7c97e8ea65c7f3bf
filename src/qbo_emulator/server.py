"""Running the emulator: in-process for tests (`EmulatorServer`), or from the command line.

with EmulatorServer() as server:
    base = server.url                     # http://127.0.0.1:<free port>
    ...                                   # real HTTP, real clients
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import uvicorn

from qbo_emulator.emulator import Emulator
from qbo_emulator.http.app import create_app
from qbo_emulator.oauth import GRACE, REFRESH_TOKEN_MAX_LIFE
from qbo_emulator.persistence import Autosaver, load


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
        state_file: Path | None = None,
        webhook_time_scale: float = 1.0,
        webhook_batch_window: float = 1.0,
        emulator: Emulator | None = None,
        log_level: str = "warning",
        refresh_token_policy: str = GRACE,
        refresh_token_max_life: int = REFRESH_TOKEN_MAX_LIFE,
        oauth_clock: Callable[[], float] = time.time,
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.emulator = emulator or Emulator(
            webhook_time_scale=webhook_time_scale,
            webhook_batch_window=webhook_batch_window,
            refresh_token_policy=refresh_token_policy,
            refresh_token_max_life=refresh_token_max_life,
            oauth_clock=oauth_clock,
        )
        self.state_file = state_file
        self._autosaver: Autosaver | None = None
        if state_file is not None:
            load(self.emulator, state_file)
        config = uvicorn.Config(
            create_app(self.emulator),
            host=host,
            port=self.port,
            log_level=log_level,
            access_log=False,
            http="httptools",
            lifespan="off",
            timeout_keep_alive=30,
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> EmulatorServer:
        self.emulator.webhooks.start()
        if self.state_file is not None:
            self._autosaver = Autosaver(self.emulator, self.state_file)
            self._autosaver.start()
        self._thread = threading.Thread(target=self._server.run, name="qbo-emulator", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the emulator did not start on {self.url}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.emulator.webhooks.stop()
        if self._autosaver is not None:
            self._autosaver.stop()

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
    state_file: Path | None,
    *,
    webhook_time_scale: float = 1.0,
    webhook_batch_window: float = 1.0,
    log_level: str = "info",
    emulator: Emulator | None = None,
) -> None:
    """Serve in the foreground until interrupted (the `qbo-emulator serve` command)."""
    emulator = emulator or Emulator(
        webhook_time_scale=webhook_time_scale, webhook_batch_window=webhook_batch_window
    )
    autosaver = None
    if state_file is not None:
        load(emulator, state_file)
        autosaver = Autosaver(emulator, state_file)
        autosaver.start()
    emulator.webhooks.start()
    try:
        uvicorn.run(
            create_app(emulator),
            host=host,
            port=port,
            log_level=log_level,
            http="httptools",
            lifespan="off",
            access_log=False,
        )
    finally:
        emulator.webhooks.stop()
        if autosaver is not None:
            autosaver.stop()
