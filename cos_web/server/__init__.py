"""cos_web.server: a local COS (XML API) server: durable, authenticated, CORS-aware.

    python -m cos_web.server --port 9000 --data-dir DIR --secret-id ID --secret-key KEY --bucket NAME-APPID

Library use::

    from cos_web.server import ServerConfig, start_in_thread
    srv = start_in_thread(port=0, data_dir=tmp, buckets=["test-1250000000"], quiet=True)
    srv.url, srv.port                       # http://127.0.0.1:PORT
    srv.config.secret_id, srv.config.secret_key   # the data dir's own random pair (none was passed)
    srv.issue_temporary_credentials(1800)   # SecretId/SecretKey/XCosSecurityToken/ExpiredTime
    srv.stop()

``run_server(config)`` serves in the foreground; ``create_app(config)`` gives the
aiohttp Application to mount elsewhere. Needs the ``cos-web[server]`` extra.
"""

from .app import create_app
from .errors import CosServerError
from .runner import RunningServer, run_server, serve, start_in_thread
from .state import DEMO_BUCKET, DEMO_SECRET_ID, DEMO_SECRET_KEY, CosServer, ServerConfig

__all__ = [
    "DEMO_BUCKET",
    "DEMO_SECRET_ID",
    "DEMO_SECRET_KEY",
    "CosServer",
    "CosServerError",
    "RunningServer",
    "ServerConfig",
    "create_app",
    "run_server",
    "serve",
    "start_in_thread",
]
