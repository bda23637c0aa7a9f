"""Starting and stopping servers: blocking (CLI), or in a background thread (tests, the demo).

`BackgroundApp` runs any aiohttp application on a thread of its own (the demo's page
server uses it); `RunningServer` is one running the local COS server.
"""

from __future__ import annotations

import asyncio
import dataclasses
import signal
import threading
from collections.abc import Callable

from aiohttp import web

from .app import CONNECTION_LOG, create_app
from .state import CosServer, ServerConfig

READ_BUFSIZE = 2 << 20
LINGER = 10.0  # at most this long (or the body timeout) the unread rest of a refused body is drained


def _config(config: ServerConfig | None, overrides: dict) -> ServerConfig:
    return dataclasses.replace(config or ServerConfig(), **overrides)


async def serve_app(app: web.Application, host: str, port: int, ready: Callable[[str], None] | None = None,
                    stop: asyncio.Event | None = None, **runner_options) -> None:
    """Serve ``app`` until ``stop`` is set; ``ready(url)`` is called once the socket listens."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False, **runner_options)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, backlog=512)
        await site.start()
        bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        shown = host if ":" not in host else f"[{host}]"
        if ready is not None:
            ready(f"http://{shown}:{bound}")
        await (stop or asyncio.Event()).wait()
    finally:
        await runner.cleanup()


async def serve(config: ServerConfig, ready=None, stop: asyncio.Event | None = None) -> None:
    """Run until ``stop`` is set; ``ready(url, state)`` is called once the socket listens."""
    state = CosServer(config)
    try:
        await serve_app(create_app(state), config.host, config.port,
                        (lambda url: ready(url, state)) if ready is not None else None, stop,
                        shutdown_timeout=5, read_bufsize=READ_BUFSIZE, auto_decompress=False,
                        max_field_size=16 << 10, max_line_size=32 << 10, keepalive_timeout=config.idle_timeout,
                        lingering_time=min(LINGER, config.body_timeout), logger=CONNECTION_LOG)
    finally:
        state.close()


def run_server(config: ServerConfig | None = None, **overrides) -> None:
    """Serve in the foreground until SIGINT/SIGTERM; prints ``listening on http://HOST:PORT``."""
    cfg = _config(config, overrides)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError):
                pass

        def ready(url: str, _state: CosServer) -> None:
            print(f"listening on {url}", flush=True)

        await serve(cfg, ready, stop)

    asyncio.run(main())


class BackgroundApp:
    """An aiohttp application served on a background thread: ``url``, ``port``, ``start()``, ``stop()``.

    ``serve(ready, stop)`` is the coroutine to run (``ready(url)`` once listening, return once
    ``stop`` is set); errors while starting are raised by ``start()`` in the calling thread.
    """

    name = "cos-web-app"

    def __init__(self) -> None:
        self.url = ""
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)

    async def serve(self, ready: Callable[[str], None], stop: asyncio.Event) -> None:
        raise NotImplementedError

    def _listening(self, url: str) -> None:
        self.url = url
        self.port = int(url.rsplit(":", 1)[1])
        self._ready.set()

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            await self.serve(self._listening, self._stop)

        try:
            asyncio.run(main())
        except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
            self._error = exc
        finally:
            self._ready.set()

    def start(self, timeout: float = 30):
        self._thread.start()
        self._ready.wait(timeout)
        if self._error is not None:
            raise self._error
        if not self.url:
            raise TimeoutError(f"{self.name} did not start")
        return self

    def stop(self, timeout: float = 30) -> None:
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class RunningServer(BackgroundApp):
    """The local COS server on a background thread: ``url``, ``port``, ``state`` (CosServer), ``stop()``."""

    name = "cos-web-server"

    def __init__(self, config: ServerConfig) -> None:
        super().__init__()
        self.config = config
        self.state: CosServer | None = None

    async def serve(self, ready: Callable[[str], None], stop: asyncio.Event) -> None:
        def listening(url: str, state: CosServer) -> None:
            self.state = state
            self.config = state.config  # with the key pair the data dir gave it, when none was passed
            ready(url)

        await serve(self.config, listening, stop)

    def issue_temporary_credentials(self, duration: int = 1800, policy=None) -> dict:
        """Temporary keys this server accepts; ``policy`` (CAM JSON) scopes them (see :mod:`.policy`)."""
        assert self.state is not None
        return self.state.issue_temporary_credentials(duration, policy)


def start_in_thread(config: ServerConfig | None = None, **overrides) -> RunningServer:
    """Start a server on a background thread and return once it listens (``port=0`` picks a port)."""
    return RunningServer(_config(config, overrides)).start()
