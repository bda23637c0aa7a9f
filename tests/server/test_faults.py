"""Fault injection (docs/reliability.md): each action does what it says on the wire,
selectors pick the right requests, the CLI checks rules, the admin endpoint answers
loopback peers of a server started with faults only."""

from __future__ import annotations

import hashlib
import http.client
import os
import socket
import threading
import time
import urllib.error
import urllib.request
from email.utils import parsedate_to_datetime

import pytest

from cos_web.auth import build_authorization
from cos_web.server import start_in_thread
from cos_web.server.cli import config_from_args
from cos_web.server.fault_wire import ROUTE_NAMES, is_loopback
from cos_web.server.faults import Faults, FaultRuleError, Request, parse_rule, parse_rules
from tests.conftest import FaultControl
from tests.server.conftest import BUCKET, REGION, SECRET_ID, SECRET_KEY, Raw, make_client

ORIGIN = {"Origin": "http://page.example"}


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    """An in-process server with fault injection on (no rules yet)."""
    data = tmp_path_factory.mktemp("faults-data")
    srv = start_in_thread(port=0, data_dir=str(data), secret_id=SECRET_ID, secret_key=SECRET_KEY,
                          buckets=[BUCKET], region=REGION, quiet=True, faults="")
    srv.data_dir = str(data)
    yield srv
    srv.stop()


@pytest.fixture
def faults(faulty) -> FaultControl:
    control = FaultControl(faulty.url)
    control.clear()
    yield control
    control.clear()


@pytest.fixture
def raw(faulty) -> Raw:
    return Raw(faulty.port)


def key_of(name: str) -> str:
    return f"faults/{name}/{os.urandom(4).hex()}"


def tmp_files(srv) -> list[str]:
    return os.listdir(os.path.join(srv.data_dir, "tmp"))


def wait_until(predicate, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


class Wire:
    """A hand-driven HTTP/1.1 PUT over a raw socket: headers, then body bytes as the test says."""

    def __init__(self, port: int, key: str, length: int, timeout: float = 30, query: str = "") -> None:
        host = f"{BUCKET}.cos.{REGION}.localhost:{port}"
        headers = {"Host": host, "Content-Length": str(length)}
        auth = build_authorization(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Method="PUT", Key=key,
                                   Query=dict(p.split("=") for p in query.split("&")) if query else {},
                                   Headers=headers)
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        path = "/" + key + ("?" + query if query else "")
        head = f"PUT {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {length}\r\nAuthorization: {auth}\r\n\r\n"
        self.sock.sendall(head.encode())
        self.sent = 0

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)
        self.sent += len(data)

    def answer(self) -> bytes:
        """What comes back until the server closes (raises ConnectionResetError on a reset)."""
        out = b""
        while chunk := self.sock.recv(65536):
            out += chunk
            if b"\r\n\r\n" in out and b"Content-Length: 0" in out:
                break
        return out

    def close(self) -> None:
        self.sock.close()


# --------------------------------------------------------------------------- grammar and CLI


def test_rule_grammar():
    rule = parse_rule("op=part,init part=2-3,5 prefix=up%20loads/ nth=1 per=part action=status:503")
    assert rule.ops == {"part", "init"} and rule.parts == ((2, 3), (5, 5)) and rule.prefix == "up loads/"
    assert rule.nth == ((1, 1),) and rule.per == "part" and rule.actions[0].status == 503
    assert rule.actions[0].code == "ServiceUnavailable"
    stall, = parse_rule("action=stall:64k:1.5s").actions
    assert (stall.kind, stall.after, stall.seconds) == ("stall", 65536, 1.5)
    assert parse_rule("action=stall:500ms").actions[0].after == 0
    assert parse_rule("action=reset:1m").actions[0].after == 1 << 20
    assert parse_rule("action=reset").actions[0].after == 0
    assert parse_rule("action=clock:-1h").actions[0].seconds == -3600
    assert parse_rule("action=status:503:SlowDown").actions[0].code == "SlowDown"
    assert [a.kind for a in parse_rule("op=complete action=delay:2,drop").actions] == ["delay", "drop"]
    assert parse_rule("nth=3- action=drop").nth == ((3, (1 << 63) - 1),)
    assert parse_rule("op=PutBucketCors action=drop", routes=ROUTE_NAMES).ops == {"putbucketcors"}
    assert parse_rule("op=append action=drop").ops == {"append"}
    with pytest.raises(FaultRuleError, match="unknown 'putbucketcors'"):
        parse_rule("op=PutBucketCors action=drop")  # route names are checked against the server's table
    assert len(parse_rules("op=init action=status:500; op=part action=reset\n# a comment\nop=get action=drop")) == 3


@pytest.mark.parametrize("text, says", [
    ("op=part", "action= is required"),
    ("op=nope action=drop", "unknown 'nope'"),
    ("colour=red action=drop", "unknown field"),
    ("action=status:200", "400-599"),
    ("action=explode", "unknown"),
    ("action=stall", "stall:SECONDS"),
    ("action=delay:soon", "not a duration"),
    ("action=reset:lots", "not a byte count"),
    ("part=0 action=drop", "counts from 1"),
    ("part=a action=drop", "not a number"),
    ("p=2 action=drop", "probability"),
    ("seed=3 action=drop", "seed= goes with p="),
    ("per=tab action=drop", "one of rule"),
    ("op=put op=get action=drop", "given twice"),
    ("action=fsync:later", "fsync:eio"),
])
def test_rule_errors_name_the_field(text, says):
    with pytest.raises(FaultRuleError, match=says.replace("(", r"\(")):
        parse_rule(text)


def test_cli_flags(capsys):
    assert config_from_args([]).faults is None  # off by default
    assert config_from_args(["--faults-admin"]).faults == ""
    rules = "op=part part=2 nth=1 action=status:503; op=complete action=drop"
    assert config_from_args(["--faults", rules]).faults == rules
    with pytest.raises(SystemExit) as bad:
        config_from_args(["--faults", "op=part action=status:200"])
    assert bad.value.code == 2 and "400-599" in capsys.readouterr().err
    for host in ("0.0.0.0", "192.0.2.7"):
        with pytest.raises(SystemExit):
            config_from_args(["--host", host, "--faults-admin"])
        assert "loopback --host" in capsys.readouterr().err
    assert config_from_args(["--host", "::1", "--faults", "action=drop"]).faults == "action=drop"


# --------------------------------------------------------------------------- admin endpoint


def test_admin_adds_lists_and_clears(faults):
    ids = faults.add("op=get prefix=x/ action=status:500; op=head action=delay:1")
    assert [r["id"] for r in faults.rules()] == ids and len(ids) == 2
    with pytest.raises(ValueError, match="unknown field"):
        faults.add("op=get action=drop; bogus=1 action=drop")
    assert len(faults.rules()) == 2  # all or nothing
    faults.clear()
    assert faults.rules() == [] and faults.log() == []


def test_admin_refused_without_faults(cos_local):
    """A server started without --faults has no admin endpoint: the path is just COS (unsigned: denied)."""
    url = f"{cos_local.url}/_cos_web/faults"
    for method, body in (("GET", None), ("POST", b"action=drop"), ("DELETE", None)):
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(urllib.request.Request(url, data=body, method=method), timeout=30)
        assert err.value.code in (403, 405) and b"<Error>" in err.value.read()
    assert cos_local.state.faults is None


def test_admin_refused_from_other_hosts(tmp_path):
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("127.3.4.5")
    assert not is_loopback("192.0.2.2") and not is_loopback("") and not is_loopback(None)
    outside = _non_loopback_address()
    if outside is None:
        pytest.skip("this machine has no non-loopback IPv4 address to connect from")
    srv = start_in_thread(host="0.0.0.0", port=0, data_dir=str(tmp_path), buckets=[BUCKET], quiet=True, faults="",
                          allow_network=True)  # the bucket's open CORS rule would otherwise refuse 0.0.0.0
    try:
        request = urllib.request.Request(f"http://{outside}:{srv.port}/_cos_web/faults", data=b"action=drop",
                                         method="POST")
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(request, timeout=30)
        assert err.value.code == 403 and b"loopback only" in err.value.read()
        assert srv.state.faults.rules() == []
    finally:
        srv.stop()


def _non_loopback_address() -> str | None:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # no packet is sent; picks the outgoing interface
            address = probe.getsockname()[0]
    except OSError:
        return None
    return None if is_loopback(address) else address


def test_admin_path_on_a_bucket_host_is_an_object_key(faults, raw):
    assert raw.request("PUT", "_cos_web/faults", body=b"just a key").status == 200
    got = raw.request("GET", "_cos_web/faults")
    assert got.status == 200 and got.body == b"just a key"
    assert faults.rules() == []


# --------------------------------------------------------------------------- actions


def test_status_is_a_cos_error_with_cors(faults, raw, faulty):
    key = key_of("status")
    faults.add(f"op=put key={key} nth=1 action=status:503")
    reply = raw.request("PUT", key, body=b"x", headers=ORIGIN)
    assert reply.status == 503 and reply.headers["content-type"] == "application/xml"
    assert reply.xml_text("Code") == "ServiceUnavailable"
    request_id = reply.headers["x-cos-request-id"]
    assert reply.xml_text("RequestId") == request_id
    assert reply.headers["access-control-allow-origin"] == "*"
    assert "x-cos-request-id" in reply.headers["access-control-expose-headers"]
    fired, = faults.log()
    assert (fired["request_id"], fired["action"], fired["op"], fired["key"]) == (request_id, "status:503", "put", key)
    assert raw.request("HEAD", key).status == 404  # nothing stored
    assert raw.request("PUT", key, body=b"x").status == 200  # nth=1: the next one passes
    faults.add(f"key={key} action=status:500:SlowDown")
    reply = raw.request("GET", key)
    assert (reply.status, reply.xml_text("Code")) == (500, "SlowDown")


def test_reset_before_the_body(faults, faulty):
    key = key_of("reset0")
    faults.add(f"op=put key={key} action=reset")
    wire = Wire(faulty.port, key, 10)
    with pytest.raises(ConnectionResetError):
        wire.send(b"0123456789")
        wire.answer()
    wire.close()
    assert faults.log()[0]["action"] == "reset"
    assert Raw(faulty.port).request("HEAD", key).status == 404


def test_reset_after_exactly_n_body_bytes(faults, faulty):
    key = key_of("resetN")
    faults.add(f"op=put key={key} action=reset:1000")
    wire = Wire(faulty.port, key, 5000, timeout=1)
    wire.send(b"a" * 999)
    with pytest.raises(socket.timeout):  # 999 bytes in: the server still waits for the body
        wire.answer()
    wire.sock.settimeout(30)
    wire.send(b"b")  # the 1000th byte
    with pytest.raises(ConnectionResetError):
        wire.answer()
    wire.close()
    assert Raw(faulty.port).request("HEAD", key).status == 404
    assert wait_until(lambda: not tmp_files(faulty)), tmp_files(faulty)


def test_reset_past_the_body_is_after_upload_before_commit(faults, raw):
    key = key_of("resetEnd")
    faults.add(f"op=put key={key} action=reset:1m")
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        raw.request("PUT", key, body=b"whole body")
    assert raw.request("HEAD", key).status == 404


def test_stall_stops_reading_then_continues(faults, faulty, raw):
    key = key_of("stall")
    body = os.urandom(48 << 20)
    faults.add(f"op=put key={key} action=stall:1k:8s")
    wire = Wire(faulty.port, key, len(body))
    sender = threading.Thread(target=lambda: _send_quietly(wire, body), daemon=True)
    sender.start()
    faults.wait_log(1)
    sender.join(2)
    assert sender.is_alive() and wire.sent < len(body)  # the server stopped reading: the sender is stuck
    wire.close()  # the client gives up: the server drops the body and its temp file when the stall ends
    faults.clear()

    faults.add(f"op=put key={key} action=stall:64k:0.5s")
    started = time.monotonic()
    reply = raw.request("PUT", key, body=body[: 1 << 20])
    assert reply.status == 200 and time.monotonic() - started >= 0.5
    assert raw.request("GET", key).body == body[: 1 << 20]
    assert faults.log()[0]["action"] == "stall:64k:0.5s"


def _send_quietly(wire: Wire, body: bytes) -> None:
    try:
        for at in range(0, len(body), 1 << 16):
            wire.send(body[at:at + (1 << 16)])
    except OSError:
        pass


def test_stall_cut_short_by_the_client_leaves_no_temp_file(faults, faulty):
    key = key_of("stallgone")
    faults.add(f"op=put key={key} action=stall:1k:1s")
    wire = Wire(faulty.port, key, 1 << 20)
    wire.send(b"z" * 4096)
    faults.wait_log(1)
    wire.close()
    assert wait_until(lambda: not tmp_files(faulty)), tmp_files(faulty)
    assert Raw(faulty.port).request("HEAD", key).status == 404


def test_drop_commits_then_sends_nothing(faults, raw):
    key = key_of("drop")
    faults.add(f"op=put key={key} action=drop")
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        raw.request("PUT", key, body=b"stored anyway")
    head = raw.request("HEAD", key)
    assert head.status == 200 and head.headers["etag"] == f'"{hashlib.md5(b"stored anyway").hexdigest()}"'
    assert faults.log()[0]["action"] == "drop"


def test_drop_of_complete_leaves_the_object_and_no_upload(faults, faulty):
    key = key_of("dropcomplete")
    client = make_client(faulty.port)
    upload_id = client.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
    etag = client.upload_part(Bucket=BUCKET, Key=key, Body=b"p" * 1024, PartNumber=1, UploadId=upload_id)["ETag"]
    faults.add("op=complete action=drop")
    with pytest.raises(Exception):
        client.complete_multipart_upload(Bucket=BUCKET, Key=key, UploadId=upload_id,
                                         MultipartUpload={"Part": [{"PartNumber": "1", "ETag": etag}]})
    assert client.get_object(Bucket=BUCKET, Key=key)["Body"].get_raw_stream().read() == b"p" * 1024
    raw = Raw(faulty.port)
    assert raw.request("GET", key, query={"uploadId": upload_id}).xml_text("Code") == "NoSuchUpload"
    assert faults.log()[0]["upload_id"] == upload_id


def test_drop_of_a_streamed_get(faults, raw):
    key = key_of("dropget")
    assert raw.request("PUT", key, body=b"y" * 100).status == 200
    faults.add(f"op=get key={key} action=drop")
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        raw.request("GET", key)
    assert raw.request("HEAD", key).status == 200


def test_delay_before_and_after(faults, raw):
    key = key_of("delay")
    faults.add(f"op=put key={key} action=delay:0.3s; op=head key={key} action=delay-after:300ms")
    started = time.monotonic()
    assert raw.request("PUT", key, body=b"d").status == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    assert raw.request("HEAD", key).status == 200
    assert time.monotonic() - started >= 0.3
    assert [f["action"] for f in faults.log()] == ["delay:0.3s", "delay-after:300ms"]


def test_clock_offset_shifts_date_and_signature_checks(faults, raw):
    faults.add("op=list action=clock:+1h")
    now = int(time.time())
    reply = raw.request("GET", key_time=f"{now - 60};{now + 7200}")
    assert reply.status == 200
    ahead = parsedate_to_datetime(reply.headers["date"]).timestamp() - time.time()
    assert 3600 - 60 < ahead < 3600 + 60
    # A signature valid for 10 minutes from now has expired on a clock 1 h ahead ...
    reply = raw.request("GET", key_time=f"{now};{now + 600}")
    assert reply.xml_text("Code") == "AccessDenied" and "expired" in reply.xml_text("Message")
    assert reply.xml_text("ServerTime") > time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 3000))
    faults.clear()
    # ... and one starting now is too far ahead of a clock 1 h behind.
    faults.add("op=list action=clock:-1h")
    reply = raw.request("GET", key_time=f"{now};{now + 600}")
    assert reply.xml_text("Code") == "RequestTimeTooSkewed"
    faults.clear()
    assert raw.request("GET").status == 200


@pytest.mark.parametrize("action, code", [("expire-token", "ExpiredToken"), ("invalid-token", "InvalidToken")])
def test_token_faults_kill_that_token(faults, faulty, action, code):
    first = faulty.issue_temporary_credentials(600)
    key = key_of("token")

    def put(creds):
        return Raw(faulty.port).request(
            "PUT", key, body=b"t", headers={"x-cos-security-token": creds["XCosSecurityToken"]},
            secret_id=creds["SecretId"], secret_key=creds["SecretKey"])

    assert put(first).status == 200
    faults.add(f"op=put nth=1 action={action}")
    assert Raw(faulty.port).request("PUT", key, body=b"permanent key").status == 200  # no token: not picked
    reply = put(first)
    assert (reply.status, reply.xml_text("Code")) == (400, code)
    assert put(first).xml_text("Code") == code  # that token stays dead
    assert put(faulty.issue_temporary_credentials(600)).status == 200  # fresh keys work
    assert [f["action"] for f in faults.log()][0] == action


# --------------------------------------------------------------------------- selectors


def _multipart(faulty, key: str, parts: int, retries: int = 0) -> tuple[str, list[int]]:
    """Upload ``parts`` small parts with http.client; returns the UploadId and each part's status."""
    raw = Raw(faulty.port)
    upload_id = raw.request("POST", key, query={"uploads": None}).xml_text("UploadId")
    statuses = []
    for number in range(1, parts + 1):
        for _ in range(retries + 1):
            reply = raw.request("PUT", key, query={"partNumber": number, "uploadId": upload_id}, body=b"q" * 100)
            statuses.append(reply.status)
            if reply.status == 200:
                break
    return upload_id, statuses


def test_selectors_op_part_prefix_nth(faults, faulty):
    key = key_of("sel")
    faults.add(f"op=part part=2 prefix=faults/sel/ nth=2 action=status:503; op=init prefix=elsewhere/ action=reset")
    upload_id, statuses = _multipart(faulty, key, 3, retries=1)
    assert statuses == [200, 200, 200]  # part 2's first attempt is the rule's first match
    _, statuses = _multipart(faulty, key, 3, retries=1)
    assert statuses == [200, 503, 200, 200]  # the second upload's part 2 is its 2nd match
    fired, = faults.log()
    assert (fired["op"], fired["part"], fired["key"]) == ("part", 2, key)


def test_nth_per_part_fails_every_first_attempt(faults, faulty):
    key = key_of("perpart")
    faults.add("op=part per=part nth=1 action=status:500")
    _, statuses = _multipart(faulty, key, 3, retries=1)
    assert statuses == [500, 200, 500, 200, 500, 200]
    assert [f["part"] for f in faults.log()] == [1, 2, 3]


def test_times_caps_a_rule(faults, faulty):
    faults.add("op=part times=2 action=status:503")
    _, statuses = _multipart(faulty, key_of("times"), 3, retries=2)
    assert statuses == [503, 503, 200, 200, 200]


def test_probability_with_a_seed_is_reproducible():
    def run(seed: str, order) -> list[tuple]:
        faults = Faults(f"op=part p=0.3 seed={seed} action=status:503", quiet=True)
        return sorted((f.request.part, f.request.request_id) for req in order for f in faults.pick(req))

    requests = [Request("part", "UploadPart", "PUT", "b-1", "k", part=n, request_id=f"{n}.{attempt}")
                for n in range(1, 201) for attempt in (1, 2)]
    first = run("7", requests)
    assert 80 < len(first) < 160  # about 30% of 400
    interleaved = sorted(requests, key=lambda r: (r.request_id.split(".")[1], -r.part))
    assert run("7", interleaved) == first  # parts in any order (each part's attempts in order): same faults
    assert run("8", requests) != first
    assert run("7", requests[:1]) == [f for f in first if f == (1, "1.1")]


def test_probability_over_http(faults, faulty):
    faults.add("op=part p=0 action=reset; op=part p=1 seed=3 times=1 action=status:500")
    _, statuses = _multipart(faulty, key_of("p"), 2, retries=1)
    assert statuses == [500, 200, 200]


def test_rules_given_at_start(tmp_path):
    srv = start_in_thread(port=0, data_dir=str(tmp_path), secret_id=SECRET_ID, secret_key=SECRET_KEY,
                          buckets=[BUCKET], region=REGION, quiet=True, faults="op=put nth=1 action=status:503")
    try:
        raw = Raw(srv.port)
        assert raw.request("PUT", "k", body=b"1").status == 503
        assert raw.request("PUT", "k", body=b"1").status == 200
        assert FaultControl(srv.url).log()[0]["action"] == "status:503"
    finally:
        srv.stop()


def test_append_is_an_op(faults, raw):
    key = key_of("append")
    faults.add(f"op=append key={key} nth=1 action=status:503")
    query = {"append": None, "position": 0}
    assert raw.request("POST", key, query=query, body=b"first").status == 503
    assert raw.request("POST", key, query=query, body=b"first").status == 200
    assert faults.log()[0]["op"] == "append"
