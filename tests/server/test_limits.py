"""Connection limits: idle and trickling sockets are closed, stalled bodies cut off, uploads capped.

Each server here has small timeouts; a test waits for a *condition* (a socket closed, an
answer) with a generous deadline, never asserts how long something took.
"""

from __future__ import annotations

import os
import socket
import time

import pytest

from cos_web.auth import build_authorization
from cos_web.server import start_in_thread

from .conftest import BUCKET, REGION, SECRET_ID, SECRET_KEY

DEADLINE = 15.0  # far above the timeouts below: only a server that never closes misses it


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """A server with half-second idle and body timeouts."""
    data = tmp_path_factory.mktemp("limits")
    srv = start_in_thread(port=0, data_dir=str(data), secret_id=SECRET_ID, secret_key=SECRET_KEY, buckets=[BUCKET],
                          region=REGION, quiet=True, durable=False, idle_timeout=0.5, body_timeout=0.5)
    yield srv
    srv.stop()


def host(srv) -> str:
    return f"{BUCKET}.cos.{REGION}.localhost:{srv.port}"


def head(srv, method: str, key: str, headers: dict[str, str] | None = None, sign: bool = True) -> bytes:
    headers = {"Host": host(srv), **(headers or {})}
    if sign:
        headers["Authorization"] = build_authorization(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Method=method,
                                                       Key=key, Headers={"Host": headers["Host"]})
    lines = [f"{method} /{key} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def connect(srv) -> socket.socket:
    return socket.create_connection(("127.0.0.1", srv.port), timeout=DEADLINE)


def read_until_closed(sock: socket.socket) -> tuple[bytes, bool]:
    """Everything the server sends until it closes (True) or DEADLINE passes with the socket open (False)."""
    data = b""
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        sock.settimeout(max(0.01, end - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return data, False
        except ConnectionResetError:
            return data, True
        if not chunk:
            return data, True
        data += chunk
    return data, False


def tmp_files(srv) -> list[str]:
    return os.listdir(os.path.join(srv.config.data_dir, "tmp"))


def wait_for(condition, what: str) -> None:
    end = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > end:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.02)


# ---------------------------------------------------------------- idle connections and headers
def test_a_socket_that_never_sends_is_closed(quick):
    with connect(quick) as sock:
        data, closed = read_until_closed(sock)
    assert closed and data == b""


def test_trickled_headers_are_cut_off(quick):
    with connect(quick) as sock:
        sock.sendall(b"GET /k HTTP/1.1\r\n")
        closed = False
        for i in range(200):  # one header line at a time, never the blank line that ends them
            sock.settimeout(0.1)
            try:
                if sock.recv(65536) == b"":
                    closed = True
                    break
            except socket.timeout:
                pass
            except ConnectionResetError:
                closed = True
                break
            try:
                sock.sendall(f"X-Slow-{i}: {i}\r\n".encode())
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
    assert closed


def test_idle_keep_alive_connection_is_closed(quick):
    with connect(quick) as sock:
        sock.sendall(head(quick, "GET", "missing"))
        data, closed = read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 404") and b"<Code>NoSuchKey</Code>" in data
    assert closed


def test_many_unauthenticated_idle_sockets_are_closed_and_the_server_still_answers(quick):
    socks = [connect(quick) for _ in range(60)]
    try:
        for i, sock in enumerate(socks):
            if i % 2:
                sock.sendall(b"PUT /x HTTP/1.1\r\nHost: " + host(quick).encode() + b"\r\n")  # head never ends
        for sock in socks:
            _, closed = read_until_closed(sock)
            assert closed
    finally:
        for sock in socks:
            sock.close()
    with connect(quick) as sock:
        sock.sendall(head(quick, "GET", "missing"))
        assert sock.recv(65536).startswith(b"HTTP/1.1 404")


# ---------------------------------------------------------------- request and response bodies
def test_a_stalled_body_is_cut_off_and_leaves_nothing(quick):
    key = "stalled"
    with connect(quick) as sock:
        sock.sendall(head(quick, "PUT", key, {"Content-Length": str(5 * 10**9)}) + b"abc")
        data, closed = read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 400"), data[:200]
    assert b"<Code>RequestTimeout</Code>" in data
    assert closed
    wait_for(lambda: not tmp_files(quick), "the temporary file to go")
    with connect(quick) as sock:
        sock.sendall(head(quick, "HEAD", key))
        assert sock.recv(65536).startswith(b"HTTP/1.1 404")


def test_a_stalled_xml_body_is_cut_off(quick):
    with connect(quick) as sock:
        auth = build_authorization(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Method="POST", Key="",
                                   Query={"delete": ""}, Headers={"Host": host(quick)})
        sock.sendall(f"POST /?delete HTTP/1.1\r\nHost: {host(quick)}\r\nAuthorization: {auth}\r\n"
                     f"Content-Length: 1000\r\n\r\n<Delete>".encode())
        data, closed = read_until_closed(sock)
    assert b"<Code>RequestTimeout</Code>" in data and closed


def test_a_download_nobody_reads_is_dropped(quick):
    size = 16 << 20
    with connect(quick) as sock:
        sock.sendall(head(quick, "PUT", "big", {"Content-Length": str(size)}))
        sock.sendall(b"\0" * size)
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
    with connect(quick) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(head(quick, "GET", "big"))
        time.sleep(3)  # read nothing for six body timeouts
        data, closed = read_until_closed(sock)
    assert closed and len(data) < size  # cut off, not delivered to a reader that went away


# ---------------------------------------------------------------- uploads in flight
def test_uploads_in_flight_are_capped(tmp_path):
    srv = start_in_thread(port=0, data_dir=str(tmp_path), secret_id=SECRET_ID, secret_key=SECRET_KEY,
                          buckets=[BUCKET], region=REGION, quiet=True, durable=False, max_uploads=2)
    try:
        slow = [connect(srv) for _ in range(2)]
        for i, sock in enumerate(slow):
            sock.sendall(head(srv, "PUT", f"slow{i}", {"Content-Length": "10"}) + b"12345")
        wait_for(lambda: srv.state.uploads_in_flight == 2, "two uploads in flight")
        with connect(srv) as sock:
            sock.sendall(head(srv, "PUT", "third", {"Content-Length": "3"}) + b"abc")
            data, _ = read_until_closed(sock)
        assert data.startswith(b"HTTP/1.1 503") and b"<Code>SlowDown</Code>" in data
        for sock in slow:
            sock.sendall(b"67890")
            assert sock.recv(65536).startswith(b"HTTP/1.1 200")
            sock.close()
        wait_for(lambda: srv.state.uploads_in_flight == 0, "the uploads to finish")
        with connect(srv) as sock:
            sock.sendall(head(srv, "PUT", "third", {"Content-Length": "3"}) + b"abc")
            assert sock.recv(65536).startswith(b"HTTP/1.1 200")
    finally:
        srv.stop()


def test_limits_are_cli_flags():
    from cos_web.server.cli import config_from_args

    config = config_from_args(["--idle-timeout", "5", "--body-timeout", "7.5", "--max-uploads", "3"])
    assert (config.idle_timeout, config.body_timeout, config.max_uploads) == (5.0, 7.5, 3)
    defaults = config_from_args([])
    assert (defaults.idle_timeout, defaults.body_timeout, defaults.max_uploads) == (30.0, 60.0, 64)
    for bad in (["--idle-timeout", "0"], ["--body-timeout", "-1"], ["--idle-timeout", "soon"]):
        with pytest.raises(SystemExit):
            config_from_args(bad)
