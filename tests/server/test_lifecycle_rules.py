"""Bucket lifecycle rules on the local server, over raw HTTP: what PUT ?lifecycle refuses, the
round trip, and the rules carried out by the sweep with the server's clock moved on through
the loopback admin endpoints (``/_cos_web/clock``, ``/_cos_web/lifecycle``); and
cos-python-sdk-v5's put/get/delete_bucket_lifecycle."""

from __future__ import annotations

import json
import math
import time
import urllib.error
import urllib.request
import uuid

import pytest

from cos_web.server import start_in_thread

from .conftest import BUCKET, REGION, SECRET_ID, SECRET_KEY, Raw, make_client

DAY = 86400


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server with the admin endpoints (fault injection on, no rules), no timed sweeps and no
    upload TTL: only the bucket's rules act, and only when a test runs the sweep."""
    srv = start_in_thread(port=0, data_dir=str(tmp_path_factory.mktemp("lifecycle")), secret_id=SECRET_ID,
                          secret_key=SECRET_KEY, buckets=[BUCKET], region=REGION, quiet=True, durable=False,
                          faults="", lifecycle_interval=0, multipart_ttl=0)
    yield srv
    srv.stop()


@pytest.fixture
def raw(server) -> Raw:
    admin(server, "DELETE", "/_cos_web/clock")
    yield Raw(server.port)
    admin(server, "DELETE", "/_cos_web/clock")
    Raw(server.port).request("DELETE", query={"lifecycle": ""})


@pytest.fixture
def p() -> str:
    """A fresh key prefix per test."""
    return f"lc{uuid.uuid4().hex[:10]}/"


def admin(server, method: str, path: str, body: dict | None = None, host: str | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{server.port}{path}", data=data, method=method,
                                     headers={"Host": host or f"127.0.0.1:{server.port}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        return exc.code, json.loads(raw) if raw.startswith(b"{") else {"body": raw.decode()}


def run_at(server, when: float) -> dict:
    """Set the server's background clock to ``when`` and run the sweep; what it did."""
    status, _ = admin(server, "POST", "/_cos_web/clock", {"offset": when - time.time()})
    assert status == 200
    status, report = admin(server, "POST", "/_cos_web/lifecycle")
    assert status == 200, report
    return report


def put_rules(raw: Raw, *rules: str):
    body = f"<LifecycleConfiguration>{''.join(rules)}</LifecycleConfiguration>".encode()
    return raw.request("PUT", query={"lifecycle": ""}, body=body, headers={"Content-Type": "application/xml"})


def rule(actions: str, flt: str = "<Filter></Filter>", status: str = "Enabled", ident: str = "") -> str:
    return f"<Rule>{f'<ID>{ident}</ID>' if ident else ''}{flt}<Status>{status}</Status>{actions}</Rule>"


def prefix(p: str) -> str:
    return f"<Filter><Prefix>{p}</Prefix></Filter>"


def put(raw: Raw, key: str, headers: dict | None = None) -> float:
    """PUT an object; its Last-Modified as the server recorded it (from HEAD, whole seconds)."""
    assert raw.request("PUT", key, body=b"data", headers=headers).status == 200
    return mtime(raw, key)


def mtime(raw: Raw, key: str) -> float:
    from email.utils import parsedate_to_datetime

    return parsedate_to_datetime(raw.request("HEAD", key).headers["last-modified"]).timestamp()


def due(written: float, days: int) -> float:
    """``days`` after ``written``, at the next midnight UTC (the sweep's rounding). ``written`` is
    the Last-Modified second; the stored time may be up to a second later, so callers keep a margin."""
    return math.ceil((written + 1 + days * DAY) / DAY) * DAY


# ---------------------------------------------------------------- what PUT refuses
EXPIRE = "<Expiration><Days>30</Days></Expiration>"


@pytest.mark.parametrize("body, code", [
    ("<LifecycleConfiguration></LifecycleConfiguration>", "MalformedXML"),
    ("<Lifecycle>" + rule(EXPIRE) + "</Lifecycle>", "MalformedXML"),
    (rule(EXPIRE, status="On"), "InvalidArgument"),
    (rule(EXPIRE, status=""), "InvalidArgument"),
    ("<Rule><Status>Enabled</Status>" + EXPIRE + EXPIRE + "</Rule>", "MalformedXML"),
    (rule(""), "MalformedXML"),  # no action
    (rule("<Expiration></Expiration>"), "MalformedXML"),
    (rule("<Expiration><Days>1</Days><Date>2030-01-01T00:00:00Z</Date></Expiration>"), "MalformedXML"),
    (rule("<Expiration><Days>0</Days></Expiration>"), "InvalidArgument"),
    (rule("<Expiration><Days>-1</Days></Expiration>"), "InvalidArgument"),
    (rule("<Expiration><Days>ten</Days></Expiration>"), "InvalidArgument"),
    (rule("<Expiration><Days>36501</Days></Expiration>"), "InvalidArgument"),
    (rule("<Expiration><Date>2030-01-01T10:00:00Z</Date></Expiration>"), "InvalidArgument"),
    (rule("<Expiration><Date>next week</Date></Expiration>"), "InvalidArgument"),
    (rule("<Expiration><Date>2030-02-30T00:00:00Z</Date></Expiration>"), "InvalidArgument"),
    (rule("<Expiration><ExpiredObjectDeleteMarker>yes</ExpiredObjectDeleteMarker></Expiration>"), "InvalidArgument"),
    (rule("<Transition><Days>1</Days><StorageClass>GLACIER</StorageClass></Transition>"), "InvalidArgument"),
    (rule("<Transition><Days>1</Days><StorageClass>STANDARD</StorageClass></Transition>"), "InvalidArgument"),
    (rule("<Transition><Days>1</Days></Transition>"), "MalformedXML"),
    (rule("<Transition><StorageClass>ARCHIVE</StorageClass></Transition>"), "MalformedXML"),
    (rule("<Transition><Days>1</Days><StorageClass>ARCHIVE</StorageClass></Transition>"
          "<Transition><Days>9</Days><StorageClass>ARCHIVE</StorageClass></Transition>"), "InvalidArgument"),
    (rule("<Transition><Date>2030-01-01T00:00:00Z</Date><StorageClass>ARCHIVE</StorageClass></Transition>"
          + EXPIRE), "InvalidArgument"),  # Days and Date in one rule
    (rule("<NoncurrentVersionExpiration><NoncurrentDays>0</NoncurrentDays></NoncurrentVersionExpiration>"),
     "InvalidArgument"),
    (rule("<NoncurrentVersionTransition><NoncurrentDays>1</NoncurrentDays><StorageClass>HOT</StorageClass>"
          "</NoncurrentVersionTransition>"), "InvalidArgument"),
    (rule("<AbortIncompleteMultipartUpload><DaysAfterInitiation>0</DaysAfterInitiation>"
          "</AbortIncompleteMultipartUpload>"), "InvalidArgument"),
    (rule(EXPIRE, "<Filter><Prefix>a</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></Filter>"), "MalformedXML"),
    (rule(EXPIRE, "<Filter><Prefix>a</Prefix></Filter><Prefix>a</Prefix>"), "MalformedXML"),
    (rule(EXPIRE, "<Filter><Tag><Key>qcs:x</Key><Value>v</Value></Tag></Filter>"), "InvalidArgument"),
    (rule(EXPIRE, "<Filter><And><Tag><Key>k</Key><Value>1</Value></Tag><Tag><Key>k</Key><Value>2</Value></Tag>"
                  "</And></Filter>"), "InvalidArgument"),
    (rule("<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation>"
          "</AbortIncompleteMultipartUpload>", "<Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter>"),
     "InvalidArgument"),
    (rule(EXPIRE, "<Filter><And><ObjectSizeGreaterThan>9</ObjectSizeGreaterThan>"
                  "<ObjectSizeLessThan>5</ObjectSizeLessThan></And></Filter>"), "InvalidArgument"),
    (rule(EXPIRE, ident="x" * 256), "InvalidArgument"),
    (rule(EXPIRE, ident="same") + rule(EXPIRE, ident="same"), "InvalidArgument"),
    (rule(EXPIRE) * 1001, "InvalidArgument"),
    (rule(EXPIRE + "<Tiering>1</Tiering>"), "MalformedXML"),
])  # fmt: skip
def test_bad_configurations_are_refused(raw, body, code):
    if not body.startswith("<LifecycleConfiguration") and not body.startswith("<Lifecycle>"):
        body = f"<LifecycleConfiguration>{body}</LifecycleConfiguration>"
    reply = raw.request("PUT", query={"lifecycle": ""}, body=body.encode())
    assert (reply.status, reply.xml_text("Code")) == (400, code), reply.text
    assert raw.request("GET", query={"lifecycle": ""}).xml_text("Code") == "NoSuchLifecycleConfiguration"


def test_round_trip_and_delete(raw):
    assert raw.request("GET", query={"lifecycle": ""}).status == 404
    rules = (rule("<Transition><Days>30</Days><StorageClass>STANDARD_IA</StorageClass></Transition>"
                  "<Transition><Days>90</Days><StorageClass>ARCHIVE</StorageClass></Transition>"
                  "<Expiration><Days>365</Days></Expiration>", prefix("logs/"), ident="logs"),
             rule("<Expiration><Date>2030-01-01T00:00:00+08:00</Date></Expiration>",
                  "<Filter><And><Prefix>tmp/</Prefix><Tag><Key>kind</Key><Value>scratch</Value></Tag>"
                  "<ObjectSizeGreaterThan>10</ObjectSizeGreaterThan></And></Filter>", "Disabled", "tmp"),
             rule("<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>"
                  "<NoncurrentVersionExpiration><NoncurrentDays>7</NoncurrentDays></NoncurrentVersionExpiration>"
                  "<NoncurrentVersionTransition><NoncurrentDays>1</NoncurrentDays><StorageClass>ARCHIVE</StorageClass>"
                  "</NoncurrentVersionTransition><AbortIncompleteMultipartUpload>"
                  "<DaysAfterInitiation>3</DaysAfterInitiation></AbortIncompleteMultipartUpload>", "<Prefix>v/</Prefix>"))
    assert put_rules(raw, *rules).status == 200
    got = raw.request("GET", query={"lifecycle": ""})
    assert got.status == 200 and got.headers["content-type"].startswith("application/xml")
    assert got.text.split("?>", 1)[-1].strip() == f"<LifecycleConfiguration>{''.join(rules)}</LifecycleConfiguration>"
    assert put_rules(raw, rules[0]).status == 200  # a PUT replaces the whole configuration
    assert raw.request("GET", query={"lifecycle": ""}).text.count("<Rule>") == 1
    assert raw.request("DELETE", query={"lifecycle": ""}).status == 204
    missing = raw.request("GET", query={"lifecycle": ""})
    assert (missing.status, missing.xml_text("Code")) == (404, "NoSuchLifecycleConfiguration")
    assert raw.request("DELETE", query={"lifecycle": ""}).status == 204
    nobucket = raw.request("GET", query={"lifecycle": ""}, bucket="nope-1250000000")
    assert nobucket.xml_text("Code") == "NoSuchBucket"
    unsigned = raw.request("GET", query={"lifecycle": ""}, sign=False)
    assert unsigned.status == 403


# ---------------------------------------------------------------- what the sweep does
def test_expiration_after_days_not_before(server, raw, p):
    assert put_rules(raw, rule("<Expiration><Days>2</Days></Expiration>", prefix(p + "exp/"))).status == 200
    written = put(raw, p + "exp/a")
    put(raw, p + "keep/a")
    assert run_at(server, time.time())["expired"] == []
    assert run_at(server, due(written, 2) - 120)["expired"] == []  # two minutes short of its midnight
    assert raw.request("HEAD", p + "exp/a").status == 200
    assert run_at(server, due(written, 2) + 1)["expired"] == [[BUCKET, p + "exp/a"]]
    assert raw.request("HEAD", p + "exp/a").status == 404
    assert raw.request("HEAD", p + "keep/a").status == 200
    listing = raw.request("GET", query={"prefix": p})
    assert p + "exp/a" not in listing.text and p + "keep/a" in listing.text


def test_days_round_up_to_the_next_midnight_utc(server, raw, p):
    assert put_rules(raw, rule("<Expiration><Days>1</Days></Expiration>", prefix(p))).status == 200
    written = put(raw, p + "a")
    midnight = math.ceil((written + 1 + DAY) / DAY) * DAY
    assert midnight - written > DAY - 2  # rounded up: later than exactly one day after the write
    assert run_at(server, midnight - 2)["expired"] == []
    assert run_at(server, midnight + 1)["expired"] == [[BUCKET, p + "a"]]


def test_date_expires_everything_matching_from_that_day(server, raw, p):
    assert put_rules(raw, rule("<Expiration><Date>2020-01-01T00:00:00Z</Date></Expiration>", prefix(p))).status == 200
    put(raw, p + "a")
    put(raw, p + "b")
    report = run_at(server, time.time())
    assert sorted(report["expired"]) == [[BUCKET, p + "a"], [BUCKET, p + "b"]]
    assert put_rules(raw, rule("<Expiration><Date>2100-01-01T00:00:00Z</Date></Expiration>", prefix(p))).status == 200
    put(raw, p + "c")
    assert run_at(server, time.time() + 30 * DAY)["expired"] == []
    assert run_at(server, 4102444800 + 1)["expired"] == [[BUCKET, p + "c"]]  # 2100-01-01


def test_tag_and_size_filters(server, raw, p):
    tagged = "<Filter><And><Prefix>" + p + "</Prefix><Tag><Key>kind</Key><Value>tmp</Value></Tag></And></Filter>"
    assert put_rules(raw, rule("<Expiration><Days>1</Days></Expiration>", tagged)).status == 200
    written = put(raw, p + "tagged", {"x-cos-tagging": "kind=tmp&team=a"})
    put(raw, p + "other", {"x-cos-tagging": "kind=keep"})
    put(raw, p + "none")
    put(raw, "elsewhere-" + p.rstrip("/"), {"x-cos-tagging": "kind=tmp"})
    assert run_at(server, due(written, 1) + 60)["expired"] == [[BUCKET, p + "tagged"]]
    # tags set after the write count: the sweep reads the object's tags as they are now
    body = b"<Tagging><TagSet><Tag><Key>kind</Key><Value>tmp</Value></Tag></TagSet></Tagging>"
    assert raw.request("PUT", p + "none", query={"tagging": ""}, body=body).status == 200
    sized = "<Filter><And><Prefix>" + p + "</Prefix><ObjectSizeGreaterThan>3</ObjectSizeGreaterThan></And></Filter>"
    assert raw.request("PUT", p + "small", body=b"abc").status == 200
    assert put_rules(raw, rule("<Expiration><Days>1</Days></Expiration>", tagged),
                     rule("<Expiration><Days>1</Days></Expiration>", sized, ident="big")).status == 200
    report = run_at(server, due(time.time(), 1) + 60)
    assert sorted(report["expired"]) == [[BUCKET, p + "none"], [BUCKET, p + "other"]]  # 4 bytes: "data"
    assert raw.request("HEAD", p + "small").status == 200


def test_a_disabled_rule_does_nothing(server, raw, p):
    assert put_rules(raw, rule("<Expiration><Days>1</Days></Expiration>", prefix(p), "Disabled")).status == 200
    put(raw, p + "a")
    assert not any(run_at(server, time.time() + 400 * DAY).values())
    assert raw.request("HEAD", p + "a").status == 200


def test_incomplete_uploads_are_aborted(server, raw, p):
    assert put_rules(raw, rule("<AbortIncompleteMultipartUpload><DaysAfterInitiation>3</DaysAfterInitiation>"
                               "</AbortIncompleteMultipartUpload>", prefix(p + "mp/"))).status == 200
    started = time.time()
    init = raw.request("POST", p + "mp/big", query={"uploads": ""})
    upload_id = init.xml_text("UploadId")
    other = raw.request("POST", p + "other", query={"uploads": ""}).xml_text("UploadId")
    assert raw.request("PUT", p + "mp/big", query={"partNumber": "1", "uploadId": upload_id}, body=b"x").status == 200
    assert run_at(server, due(started, 3) - 120)["aborted"] == []
    assert run_at(server, due(started, 3) + 60)["aborted"] == [[BUCKET, p + "mp/big", upload_id]]
    listed = raw.request("GET", query={"uploads": "", "prefix": p}).text
    assert upload_id not in listed and other in listed
    assert raw.request("GET", p + "mp/big", query={"uploadId": upload_id}).xml_text("Code") == "NoSuchUpload"


def test_transitions_change_the_storage_class_and_archive_blocks_get(server, raw, p):
    assert put_rules(raw, rule("<Transition><Days>1</Days><StorageClass>STANDARD_IA</StorageClass></Transition>"
                               "<Transition><Days>3</Days><StorageClass>ARCHIVE</StorageClass></Transition>",
                               prefix(p))).status == 200
    written = put(raw, p + "a")
    assert raw.request("HEAD", p + "a").headers.get("x-cos-storage-class", "STANDARD") == "STANDARD"
    assert run_at(server, due(written, 1) + 60)["transitioned"] == [[BUCKET, p + "a", "STANDARD_IA"]]
    assert raw.request("HEAD", p + "a").headers["x-cos-storage-class"] == "STANDARD_IA"
    assert raw.request("GET", p + "a").body == b"data"
    assert run_at(server, due(written, 1) + 120)["transitioned"] == []  # done once
    assert run_at(server, due(written, 3) + 60)["transitioned"] == [[BUCKET, p + "a", "ARCHIVE"]]
    assert raw.request("HEAD", p + "a").headers["x-cos-storage-class"] == "ARCHIVE"
    blocked = raw.request("GET", p + "a")
    assert (blocked.status, blocked.xml_text("Code")) == (403, "InvalidObjectState")
    assert "<StorageClass>ARCHIVE</StorageClass>" in raw.request("GET", query={"prefix": p}).text
    restore = b"<RestoreRequest><Days>1</Days></RestoreRequest>"
    assert raw.request("POST", p + "a", query={"restore": ""}, body=restore).status == 202
    assert raw.request("GET", p + "a").body == b"data"
    # never back to a warmer class, and expiration wins over a transition due at the same time
    assert put_rules(raw, rule("<Transition><Days>1</Days><StorageClass>STANDARD_IA</StorageClass></Transition>"
                               "<Expiration><Days>5</Days></Expiration>", prefix(p))).status == 200
    assert not any(run_at(server, due(written, 4) + 60).values())
    assert run_at(server, due(written, 5) + 60)["expired"] == [[BUCKET, p + "a"]]


def test_an_object_rewritten_starts_again(server, raw, p):
    assert put_rules(raw, rule("<Expiration><Days>1</Days></Expiration>", prefix(p))).status == 200
    put(raw, p + "a")
    admin(server, "POST", "/_cos_web/clock", {"advance": 2 * DAY})
    assert raw.request("PUT", p + "a", body=b"new").status == 200  # requests keep the real clock
    assert run_at(server, time.time() + 2 * DAY)["expired"] == [[BUCKET, p + "a"]]
    assert raw.request("PUT", p + "a", body=b"newer").status == 200
    assert run_at(server, time.time())["expired"] == []


# ---------------------------------------------------------------- versioned buckets
VER = "lcver-1250000000"


def test_noncurrent_versions_and_expired_delete_markers(server, raw, p):
    assert raw.request("PUT", bucket=VER).status in (200, 409)
    on = b"<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>"
    assert raw.request("PUT", bucket=VER, query={"versioning": ""}, body=on).status == 200
    rules = (rule("<NoncurrentVersionTransition><NoncurrentDays>1</NoncurrentDays><StorageClass>ARCHIVE</StorageClass>"
                  "</NoncurrentVersionTransition>"
                  "<NoncurrentVersionExpiration><NoncurrentDays>2</NoncurrentDays></NoncurrentVersionExpiration>",
                  prefix(p + "v/")),
             rule("<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>",
                  prefix(p + "m/"), ident="markers"),
             rule("<Expiration><Days>1</Days></Expiration>", prefix(p + "e/"), ident="expire"))
    body = f"<LifecycleConfiguration>{''.join(rules)}</LifecycleConfiguration>".encode()
    try:
        assert raw.request("PUT", bucket=VER, query={"lifecycle": ""}, body=body).status == 200
        first = raw.request("PUT", p + "v/a", bucket=VER, body=b"one").headers["x-cos-version-id"]
        second = raw.request("PUT", p + "v/a", bucket=VER, body=b"two").headers["x-cos-version-id"]
        replaced = mtime_of(raw, p + "v/a", VER)  # when the first version stopped being current
        assert run_at(server, due(replaced, 1) - 120)["noncurrent_transitioned"] == []
        report = run_at(server, due(replaced, 1) + 60)
        assert report["noncurrent_transitioned"] == [[VER, p + "v/a", first, "ARCHIVE"]]
        old = raw.request("GET", p + "v/a", bucket=VER, query={"versionId": first})
        assert (old.status, old.xml_text("Code")) == (403, "InvalidObjectState")
        assert raw.request("GET", p + "v/a", bucket=VER).body == b"two"  # the current version is untouched
        assert run_at(server, due(replaced, 2) + 60)["noncurrent_expired"] == [[VER, p + "v/a", first]]
        gone = raw.request("GET", p + "v/a", bucket=VER, query={"versionId": first})
        assert (gone.status, gone.xml_text("Code")) == (404, "NoSuchVersion")
        assert raw.request("GET", p + "v/a", bucket=VER, query={"versionId": second}).body == b"two"
        # on a versioned bucket an expired object gets a delete marker; its version stays
        kept = raw.request("PUT", p + "e/a", bucket=VER, body=b"kept").headers["x-cos-version-id"]
        report = run_at(server, due(mtime_of(raw, p + "e/a", VER), 1) + 60)
        assert report["expired"] == [[VER, p + "e/a"]] and report["markers_removed"] == []
        assert raw.request("HEAD", p + "e/a", bucket=VER).status == 404
        assert raw.request("GET", p + "e/a", bucket=VER, query={"versionId": kept}).body == b"kept"
        # a delete marker left as its key's only version goes (the rule for m/ only)
        made = raw.request("PUT", p + "m/x", bucket=VER, body=b"x").headers["x-cos-version-id"]
        marker = raw.request("DELETE", p + "m/x", bucket=VER).headers["x-cos-version-id"]
        assert run_at(server, time.time())["markers_removed"] == []  # not alone yet
        assert raw.request("DELETE", p + "m/x", bucket=VER, query={"versionId": made}).status == 204
        assert run_at(server, time.time())["markers_removed"] == [[VER, p + "m/x", marker]]
        listing = raw.request("GET", bucket=VER, query={"versions": "", "prefix": p + "m/"})
        assert "<DeleteMarker>" not in listing.text and p + "m/x" not in listing.text
    finally:
        raw.request("DELETE", bucket=VER, query={"lifecycle": ""})


def mtime_of(raw: Raw, key: str, bucket: str) -> float:
    from email.utils import parsedate_to_datetime

    return parsedate_to_datetime(raw.request("HEAD", key, bucket=bucket).headers["last-modified"]).timestamp()


# ---------------------------------------------------------------- the admin endpoints
def test_the_clock_endpoint(server, raw):
    status, clock = admin(server, "GET", "/_cos_web/clock")
    assert status == 200 and clock["offset"] == 0 and abs(clock["now"] - time.time()) < 5
    status, clock = admin(server, "POST", "/_cos_web/clock", {"advance": 3 * DAY})
    assert status == 200 and clock["offset"] == 3 * DAY and clock["now"] > time.time() + 3 * DAY - 5
    assert admin(server, "POST", "/_cos_web/clock", {"advance": DAY})[1]["offset"] == 4 * DAY
    assert admin(server, "POST", "/_cos_web/clock", {"advance": "soon"})[0] == 400
    assert admin(server, "POST", "/_cos_web/clock", {"later": 1})[0] == 400
    assert admin(server, "GET", "/_cos_web/lifecycle")[0] == 405
    assert admin(server, "DELETE", "/_cos_web/clock")[1]["offset"] == 0
    # on a bucket's host the path is an object key like any other
    status, body = admin(server, "GET", "/_cos_web/clock", host=f"{BUCKET}.cos.{REGION}.localhost:{server.port}")
    assert status == 403 and "AccessDenied" in body["body"]


def test_without_fault_injection_there_are_no_admin_endpoints(tmp_path):
    srv = start_in_thread(port=0, data_dir=str(tmp_path), buckets=[BUCKET], region=REGION, quiet=True, durable=False)
    try:
        status, _ = admin(srv, "POST", "/_cos_web/lifecycle")
        assert status != 200
        assert srv.state.lifecycle is not None and not any(srv.state.lifecycle.sweep().values())
    finally:
        srv.stop()


def test_the_interval_flag():
    from cos_web.server.cli import config_from_args

    assert config_from_args([]).lifecycle_interval == 3600
    assert config_from_args(["--lifecycle-interval", "10m"]).lifecycle_interval == 600
    assert config_from_args(["--lifecycle-interval", "0"]).lifecycle_interval == 0


def test_the_sweep_runs_on_its_own(tmp_path):
    srv = start_in_thread(port=0, data_dir=str(tmp_path), secret_id=SECRET_ID, secret_key=SECRET_KEY,
                          buckets=[BUCKET], region=REGION, quiet=True, durable=False, lifecycle_interval=0.1)
    try:
        raw = Raw(srv.port)
        assert put_rules(raw, rule("<Expiration><Date>2020-01-01T00:00:00Z</Date></Expiration>",
                                   prefix("gone/"))).status == 200
        assert raw.request("PUT", "gone/a", body=b"x").status == 200
        deadline = time.monotonic() + 10
        while raw.request("HEAD", "gone/a").status == 200:
            assert time.monotonic() < deadline, "the timed sweep never ran"
            time.sleep(0.05)
    finally:
        srv.stop()


# ---------------------------------------------------------------- cos-python-sdk-v5
def test_python_sdk_lifecycle_calls(server, raw, p):
    from qcloud_cos.cos_exception import CosServiceError

    sdk = make_client(server.port)
    with pytest.raises(CosServiceError) as info:
        sdk.get_bucket_lifecycle(Bucket=BUCKET)
    assert info.value.get_error_code() == "NoSuchLifecycleConfiguration"
    config = {"Rule": [
        {"ID": "logs", "Filter": {"Prefix": p}, "Status": "Enabled", "Expiration": {"Days": 30},
         "Transition": [{"Days": 7, "StorageClass": "STANDARD_IA"}, {"Days": 14, "StorageClass": "ARCHIVE"}]},
        {"ID": "uploads", "Filter": {"Prefix": ""}, "Status": "Disabled",
         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2}},
    ]}
    sdk.put_bucket_lifecycle(Bucket=BUCKET, LifecycleConfiguration=config)
    got = sdk.get_bucket_lifecycle(Bucket=BUCKET)
    assert [r["ID"] for r in got["Rule"]] == ["logs", "uploads"]
    assert got["Rule"][0]["Transition"] == [{"Days": "7", "StorageClass": "STANDARD_IA"},
                                           {"Days": "14", "StorageClass": "ARCHIVE"}]
    assert got["Rule"][0]["Expiration"] == {"Days": "30"} and got["Rule"][1]["Status"] == "Disabled"
    with pytest.raises(CosServiceError) as info:
        sdk.put_bucket_lifecycle(Bucket=BUCKET, LifecycleConfiguration={"Rule": [
            {"ID": "x", "Filter": {"Prefix": ""}, "Status": "Enabled", "Expiration": {"Days": 0}}]})
    assert info.value.get_error_code() == "InvalidArgument"
    sdk.delete_bucket_lifecycle(Bucket=BUCKET)
    with pytest.raises(CosServiceError):
        sdk.get_bucket_lifecycle(Bucket=BUCKET)
