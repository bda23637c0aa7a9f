"""Starting and stopping the server: blocking (CLI), or in a background thread (tests, demo)."""

from __future__ import annotations

import asyncio
import dataclasses
import signal
import threading

from aiohttp import web

from .app import CONNECTION_LOG, create_app
from .state import CosServer, ServerConfig

READ_BUFSIZE = 2 << 20
LINGER = 10.0  # at most this long (or the body timeout) the unread rest of a refused body is drained


def _config(config: ServerConfig | None, overrides: dict) -> ServerConfig:
    return dataclasses.replace(config or ServerConfig(), **overrides)


async def serve(config: ServerConfig, ready=None, stop: asyncio.Event | None = None) -> None:
    """Run until ``stop`` is set; ``ready(url, state)`` is called once the socket listens."""
    state = CosServer(config)
    app = create_app(state)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=5, read_bufsize=READ_BUFSIZE,
                           auto_decompress=False, max_field_size=16 << 10, max_line_size=32 << 10,
                           keepalive_timeout=config.idle_timeout, lingering_time=min(LINGER, config.body_timeout),
                           logger=CONNECTION_LOG)
    await runner.setup()
    try:
        site = web.TCPSite(runner, config.host, config.port, backlog=512)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        host = config.host if ":" not in config.host else f"[{config.host}]"
        if ready is not None:
            ready(f"http://{host}:{port}", state)
        await (stop or asyncio.Event()).wait()
    finally:
        await runner.cleanup()
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


class RunningServer:
    """A server on a background thread: ``url``, ``port``, ``state`` (CosServer), ``stop()``."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.url = ""
        self.port = 0
        self.state: CosServer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="cos-web-server", daemon=True)

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()

            def ready(url: str, state: CosServer) -> None:
                self.url, self.state = url, state
                self.port = int(url.rsplit(":", 1)[1])
                self._ready.set()

            await serve(self.config, ready, self._stop)

        try:
            asyncio.run(main())
        except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
            self._error = exc
        finally:
            self._ready.set()

    def start(self, timeout: float = 30) -> "RunningServer":
        self._thread.start()
        self._ready.wait(timeout)
        if self._error is not None:
            raise self._error
        if not self.url:
            raise TimeoutError("cos_web.server did not start")
        return self

    def issue_temporary_credentials(self, duration: int = 1800, policy=None) -> dict:
        """Temporary keys this server accepts; ``policy`` (CAM JSON) scopes them (see :mod:`.policy`)."""
        assert self.state is not None
        return self.state.issue_temporary_credentials(duration, policy)

    def stop(self, timeout: float = 30) -> None:
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)

    def __enter__(self) -> "RunningServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_in_thread(config: ServerConfig | None = None, **overrides) -> RunningServer:
    """Start a server on a background thread and return once it listens (``port=0`` picks a port)."""
    return RunningServer(_config(config, overrides)).start()
