"""Archive storage classes and POST Object restore on the local server: raw HTTP (what GET/HEAD/copy
say before, during and after a restore, the errors), the restore delay (server flag, config and
create_app argument), expiry (from the store, with explicit times), restarts, cos-python-sdk-v5's
``restore_object`` and temporary-key policies."""

from __future__ import annotations

import calendar
import email.utils

import pytest
from qcloud_cos.cos_exception import CosServiceError

from cos_web.server import ServerConfig, create_app, start_in_thread
from cos_web.server.app import SERVER_KEY
from cos_web.server.cli import config_from_args
from cos_web.server.errors import CosServerError
from cos_web.server.restore_store import check_readable, expiry
from cos_web.server.storage import ObjectMeta, Storage

from .conftest import BUCKET, REGION, SECRET_ID, SECRET_KEY, Raw, make_client

DAY = 86400


def restore_xml(days="1", tier: str | None = "Standard") -> bytes:
    job = f"<CASJobParameters><Tier>{tier}</Tier></CASJobParameters>" if tier is not None else ""
    days_node = f"<Days>{days}</Days>" if days is not None else ""
    return f"<RestoreRequest>{days_node}{job}</RestoreRequest>".encode()


def restore(raw: Raw, key: str, body: bytes = restore_xml(), **headers):
    return raw.request("POST", key, query={"restore": None}, body=body, headers=headers)


def put(raw: Raw, key: str, body: bytes, storage_class: str | None = "ARCHIVE"):
    headers = {"x-cos-storage-class": storage_class} if storage_class else {}
    reply = raw.request("PUT", key, body=body, headers=headers)
    assert reply.status == 200, reply.text
    return reply


def copy_from(raw: Raw, source: str, target: str):
    return raw.request("PUT", target, headers={"x-cos-copy-source": f"{raw.host(port=False)}/{source}"})


def expiry_of(header: str) -> float:
    value = header.split('expiry-date="', 1)[1].rstrip('"')
    return calendar.timegm(email.utils.parsedate_tz(value)[:9])


@pytest.mark.parametrize("storage_class", ["ARCHIVE", "DEEP_ARCHIVE"])
def test_archived_objects_are_not_readable_until_restored(raw, key, storage_class):
    put(raw, key, b"frozen bytes", storage_class)
    for headers in ({}, {"Range": "bytes=0-3"}):
        got = raw.request("GET", key, headers=headers)
        assert (got.status, got.xml_text("Code")) == (403, "InvalidObjectState")
        assert got.headers["x-cos-storage-class"] == storage_class
    head = raw.request("HEAD", key)
    assert head.status == 200 and head.headers["x-cos-storage-class"] == storage_class
    assert head.headers["content-length"] == "12" and "x-cos-restore" not in head.headers
    copied = copy_from(raw, key, key + ".copy")
    assert (copied.status, copied.xml_text("Code")) == (403, "InvalidObjectState")

    started = restore(raw, key, restore_xml("3", "Bulk"))
    assert started.status == 202, started.text
    head = raw.request("HEAD", key)
    value = head.headers["x-cos-restore"]
    assert value.startswith('ongoing-request="false", expiry-date="') and value.endswith(' 00:00:00 GMT"')
    assert 3 * DAY <= expiry_of(value) - email.utils.parsedate_to_datetime(head.headers["date"]).timestamp() <= 4 * DAY
    got = raw.request("GET", key)
    assert (got.status, got.body) == (200, b"frozen bytes")
    assert got.headers["x-cos-restore"] == value
    assert raw.request("GET", key, headers={"Range": "bytes=7-11"}).body == b"bytes"
    assert copy_from(raw, key, key + ".copy").status == 200
    assert raw.request("GET", key + ".copy").body == b"frozen bytes"  # no x-cos-storage-class: a STANDARD copy
    assert "x-cos-storage-class" not in raw.request("HEAD", key + ".copy").headers
    # a restored copy is extended by another restore (200), not restarted
    extended = restore(raw, key, restore_xml("10", "Standard"))
    assert extended.status == 200, extended.text
    assert expiry_of(raw.request("HEAD", key).headers["x-cos-restore"]) > expiry_of(value)


def test_restore_errors(raw, key):
    put(raw, key + ".std", b"warm", storage_class=None)
    normal = restore(raw, key + ".std")
    assert (normal.status, normal.xml_text("Code")) == (403, "InvalidObjectState")
    ia = put(raw, key + ".ia", b"warm", storage_class="STANDARD_IA")
    assert ia.status == 200 and restore(raw, key + ".ia").xml_text("Code") == "InvalidObjectState"
    missing = restore(raw, key + ".none")
    assert (missing.status, missing.xml_text("Code")) == (404, "NoSuchKey")
    no_bucket = raw.request("POST", key, query={"restore": None}, body=restore_xml(), bucket="nothere-1250000000")
    assert no_bucket.xml_text("Code") == "NoSuchBucket"
    put(raw, key, b"cold", "DEEP_ARCHIVE")
    cases = [
        (b"", 400, "MissingRequestBodyError"),
        (b"<Restore><Days>1</Days></Restore>", 400, "MalformedXML"),
        (b"<RestoreRequest><Days>1</Days>", 400, "MalformedXML"),
        (restore_xml(days=None), 400, "MalformedXML"),
        (restore_xml("0"), 400, "InvalidArgument"),
        (restore_xml("-1"), 400, "InvalidArgument"),
        (restore_xml("two"), 400, "InvalidArgument"),
        (restore_xml("36501"), 400, "InvalidArgument"),
        (restore_xml("1", "Expedited"), 400, "InvalidArgument"),  # DEEP_ARCHIVE has no Expedited retrieval
        (restore_xml("1", "Fast"), 400, "InvalidArgument"),
    ]
    for body, status, code in cases:
        reply = restore(raw, key, body)
        assert (reply.status, reply.xml_text("Code")) == (status, code), body
    bad_md5 = restore(raw, key, restore_xml(), **{"Content-MD5": "1B2M2Y8AsgTpgAmY7PhCfg=="})
    assert (bad_md5.status, bad_md5.xml_text("Code")) == (400, "BadDigest")
    assert "x-cos-restore" not in raw.request("HEAD", key).headers  # none of them started a restore
    assert restore(raw, key, restore_xml("1", tier=None)).status == 202  # Tier defaults to Standard


def test_overwrite_or_delete_drops_the_restored_copy(raw, key):
    put(raw, key, b"v1")
    assert restore(raw, key).status == 202
    assert raw.request("GET", key).status == 200
    put(raw, key, b"v2")  # a new archived version: not restored
    assert raw.request("GET", key).xml_text("Code") == "InvalidObjectState"
    assert "x-cos-restore" not in raw.request("HEAD", key).headers
    assert restore(raw, key).status == 202
    assert raw.request("GET", key).body == b"v2"
    assert raw.request("DELETE", key).status == 204
    put(raw, key, b"v3")
    assert raw.request("GET", key).status == 403


@pytest.fixture(scope="module")
def slow_restores(tmp_path_factory):
    """A server whose restores take an hour: the ongoing state can be seen."""
    srv = start_in_thread(port=0, data_dir=str(tmp_path_factory.mktemp("slow-restores")), secret_id=SECRET_ID,
                          secret_key=SECRET_KEY, buckets=[BUCKET], region=REGION, quiet=True, restore_delay=3600)
    yield srv
    srv.stop()


def test_a_restore_in_progress(slow_restores, key):
    raw = Raw(slow_restores.port)
    put(raw, key, b"deep", "DEEP_ARCHIVE")
    assert restore(raw, key).status == 202
    head = raw.request("HEAD", key)
    assert head.headers["x-cos-restore"] == 'ongoing-request="true"'
    assert raw.request("GET", key).xml_text("Code") == "InvalidObjectState"
    again = restore(raw, key)
    assert (again.status, again.xml_text("Code")) == (409, "RestoreAlreadyInProgress")
    sdk = make_client(slow_restores.port)
    with pytest.raises(CosServiceError) as info:
        sdk.restore_object(Bucket=BUCKET, Key=key, RestoreRequest={"Days": 1})
    assert (info.value.get_status_code(), info.value.get_error_code()) == (409, "RestoreAlreadyInProgress")
    assert sdk.head_object(Bucket=BUCKET, Key=key)["x-cos-restore"] == 'ongoing-request="true"'


def test_restore_delay_is_configurable(tmp_path):
    assert config_from_args([]).restore_delay == 0
    assert config_from_args(["--restore-delay", "90"]).restore_delay == 90
    assert config_from_args(["--restore-delay", "2h"]).restore_delay == 7200
    assert ServerConfig().restore_delay == 0
    app = create_app(ServerConfig(data_dir=str(tmp_path / "a"), buckets=[]), restore_delay=5)
    try:
        assert app[SERVER_KEY].config.restore_delay == 5
    finally:
        app[SERVER_KEY].close()


def test_timeline_from_the_store(tmp_path):
    """Ongoing, readable, expired, restorable again: the store at chosen times (no waiting)."""
    storage = Storage(str(tmp_path / "s"), durable=False)
    try:
        storage.create_bucket(BUCKET, REGION, {"canned": "private", "grants": []})
        writer = storage.writer()
        writer.write(b"archived")
        storage.put_object(BUCKET, "k", writer.finish(), ObjectMeta(storage_class="ARCHIVE"))
        record = storage.get_object(BUCKET, "k")
        t0 = 1_800_000_000.0  # 2027-01-15T08:00:00Z
        assert storage.restore_object(BUCKET, "k", 2, "Expedited", 600, t0) == 202
        assert check_readable(storage, record, t0 + 1, "HEAD") == {"x-cos-restore": 'ongoing-request="true"'}
        with pytest.raises(CosServerError) as info:
            check_readable(storage, record, t0 + 599, "GET")
        assert info.value.code == "InvalidObjectState"
        with pytest.raises(CosServerError) as info:
            storage.restore_object(BUCKET, "k", 2, "Standard", 600, t0 + 599)
        assert info.value.code == "RestoreAlreadyInProgress"
        ends = expiry(t0 + 600, 2)
        assert ends == calendar.timegm((2027, 1, 18, 0, 0, 0))  # ready + 2 days, up to midnight UTC
        assert check_readable(storage, record, t0 + 600, "GET") == {
            "x-cos-restore": 'ongoing-request="false", expiry-date="Mon, 18 Jan 2027 00:00:00 GMT"'}
        assert check_readable(storage, record, ends - 1, "GET")
        with pytest.raises(CosServerError):
            check_readable(storage, record, ends, "GET")  # the copy is gone
        assert check_readable(storage, record, ends, "HEAD") == {}
        assert storage.restore_object(BUCKET, "k", 1, "Bulk", 600, ends + 10) == 202  # a new restore
        assert check_readable(storage, record, ends + 11, "HEAD") == {"x-cos-restore": 'ongoing-request="true"'}
    finally:
        storage.close()


def test_restore_state_survives_a_restart(tmp_path):
    data = str(tmp_path / "restart")
    options = dict(port=0, data_dir=data, secret_id=SECRET_ID, secret_key=SECRET_KEY, buckets=[BUCKET], region=REGION,
                   quiet=True)  # fmt: skip
    srv = start_in_thread(**options)
    try:
        raw = Raw(srv.port)
        put(raw, "done", b"restored")
        put(raw, "waiting", b"not yet")
        assert restore(raw, "done").status == 202
        header = raw.request("HEAD", "done").headers["x-cos-restore"]
    finally:
        srv.stop()
    srv = start_in_thread(**options, restore_delay=3600)
    try:
        raw = Raw(srv.port)
        assert raw.request("HEAD", "done").headers["x-cos-restore"] == header
        assert raw.request("GET", "done").body == b"restored"
        assert restore(raw, "waiting").status == 202
    finally:
        srv.stop()
    srv = start_in_thread(**options)
    try:
        raw = Raw(srv.port)
        assert raw.request("HEAD", "waiting").headers["x-cos-restore"] == 'ongoing-request="true"'
        assert raw.request("GET", "waiting").xml_text("Code") == "InvalidObjectState"
    finally:
        srv.stop()


def test_python_sdk_restore_object(sdk, key):
    sdk.put_object(Bucket=BUCKET, Key=key, Body=b"archive me", StorageClass="ARCHIVE")
    with pytest.raises(CosServiceError) as info:
        sdk.get_object(Bucket=BUCKET, Key=key)
    assert (info.value.get_status_code(), info.value.get_error_code()) == (403, "InvalidObjectState")
    assert "x-cos-restore" not in sdk.head_object(Bucket=BUCKET, Key=key)
    assert sdk.restore_object(Bucket=BUCKET, Key=key,
                              RestoreRequest={"Days": 2, "CASJobParameters": {"Tier": "Expedited"}}) is None
    head = sdk.head_object(Bucket=BUCKET, Key=key)
    assert head["x-cos-storage-class"] == "ARCHIVE"
    assert head["x-cos-restore"].startswith('ongoing-request="false", expiry-date="')
    assert sdk.get_object(Bucket=BUCKET, Key=key)["Body"].get_raw_stream().read() == b"archive me"
    sdk.put_object(Bucket=BUCKET, Key=key + ".std", Body=b"x")
    with pytest.raises(CosServiceError) as info:
        sdk.restore_object(Bucket=BUCKET, Key=key + ".std", RestoreRequest={"Days": 1})
    assert (info.value.get_status_code(), info.value.get_error_code()) == (403, "InvalidObjectState")


def test_temporary_key_needs_the_restore_action(cos_local, raw, key):
    put(raw, key, b"cold")
    policy = {"version": "2.0", "statement": [{"effect": "allow", "action": ["name/cos:GetObject"],
                                               "resource": ["*"]}]}
    keys = cos_local.issue_temporary_credentials(600, policy)
    sdk = make_client(cos_local.port, keys["SecretId"], keys["SecretKey"], keys["XCosSecurityToken"])
    with pytest.raises(CosServiceError) as info:
        sdk.restore_object(Bucket=BUCKET, Key=key, RestoreRequest={"Days": 1})
    assert info.value.get_error_code() == "AccessDenied"
    policy["statement"][0]["action"] = ["name/cos:PostObjectRestore"]
    keys = cos_local.issue_temporary_credentials(600, policy)
    sdk = make_client(cos_local.port, keys["SecretId"], keys["SecretKey"], keys["XCosSecurityToken"])
    sdk.restore_object(Bucket=BUCKET, Key=key, RestoreRequest={"Days": 1})
    assert raw.request("GET", key).status == 200
