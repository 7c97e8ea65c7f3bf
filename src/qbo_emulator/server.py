"""Running the emulator: in-process for tests (`EmulatorServer`), or from the command line.

with EmulatorServer() as server:
    base = server.url                     # http://127.0.0.1:<free port>
    ...                                   # real HTTP, real clients

`ServerThread` serves any ASGI app's `uvicorn.Config` from a background thread the same way
(the ledgerbridge suites serve their API with it).
"""

from __future__ import annotations

import asyncio
import contextlib
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


class _PromptServer(uvicorn.Server):
    """uvicorn's server, stopped as soon as it is asked to.

    uvicorn looks at `should_exit` once a tenth of a second, and when it shuts down it closes
    the idle connections and then sleeps a tenth of a second before it looks whether any are
    still open (and again each tenth after). A test's server is stopped hundreds of times a
    run: here `request_exit` wakes the main loop at once, and the shutdown waits only while a
    connection is still answering (or a task of the app still runs), looking every few
    milliseconds; an answer under way is still finished, as uvicorn's graceful shutdown does."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    def request_exit(self) -> None:
        """Stop serving (from any thread): the main loop wakes now, not at its next tick."""
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: it has stopped
                loop.call_soon_threadsafe(wake.set)

    async def main_loop(self) -> None:
        self._wake = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864000
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.1):  # uvicorn's tick (its Date header, per second)
                    await self._wake.wait()
            should_exit = await self.on_tick(counter)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        state = self.server_state
        for connection in list(state.connections):
            connection.shutdown()  # idle: closed now; answering: closed after its answer
        grace = self.config.timeout_graceful_shutdown  # None: as long as answers take
        deadline = None if grace is None else time.monotonic() + grace
        while (state.connections or state.tasks) and not self.force_exit:
            if deadline is not None and time.monotonic() > deadline:
                for task in state.tasks:
                    task.cancel(msg="the server stopped before the task ended")
                break
            await asyncio.sleep(0.005)
        for server in self.servers:
            await server.wait_closed()
        if not self.force_exit:
            await self.lifespan.shutdown()


class ServerThread:
    """An ASGI app served by uvicorn (`config`) from a background thread (`name`): `start`
    returns once it listens (RuntimeError naming `what` if it does not within `timeout`
    seconds), `stop` as soon as it has stopped, with no fixed wait: once every answer under
    way has been given (RuntimeError if the server still runs after `timeout` seconds)."""

    def __init__(
        self, config: uvicorn.Config, *, name: str, what: str, daemon: bool = True
    ) -> None:
        self.url = f"http://{config.host}:{config.port}"
        self.what = what
        self._server = _PromptServer(config)
        self._thread = threading.Thread(target=self._server.run, name=name, daemon=daemon)

    def start(self, timeout: float = 10.0) -> None:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{self.what} did not start on {self.url}")
            time.sleep(0.005)

    def stop(self, timeout: float = 60.0) -> None:
        self._server.request_exit()
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self._thread.is_alive():
            raise RuntimeError(f"{self.what} on {self.url} still answers after {timeout} s")


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
        self._server = ServerThread(config, name="qbo-emulator", what="the emulator")

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> EmulatorServer:
        self.emulator.webhooks.start()
        if self.state_file is not None:
            self._autosaver = Autosaver(self.emulator, self.state_file)
            self._autosaver.start()
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()
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
