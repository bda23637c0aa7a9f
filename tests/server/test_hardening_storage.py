"""Hardening of what the server keeps and how it starts: multi-delete in one transaction off
the event loop, big XML parsed off the loop, the uploads listing paged from the index,
private files, a random key pair per data dir, no open CORS on the network by accident.

Each test here failed on the server before the hardening (issue 13)."""

from __future__ import annotations

import os
import random
import stat
import threading

import pytest

from cos_web.server import DEMO_SECRET_ID, DEMO_SECRET_KEY, start_in_thread
from cos_web.server import xmlio
from cos_web.server.cli import config_from_args, main
from cos_web.server.records import ObjectMeta
from cos_web.server.state import OWNER_KEY_FILE, NetworkExposure

from .conftest import BUCKET, REGION, SECRET_ID, SECRET_KEY, Raw


def _trace(storage, statements: list[tuple[str, str]]):
    """Record (thread name, SQL) for every statement the storage runs; returns the undo."""
    storage._db.set_trace_callback(lambda sql: statements.append((threading.current_thread().name, sql)))
    return lambda: storage._db.set_trace_callback(None)


# ---------------------------------------------------------------- multi-delete, XML off the loop
def test_multi_delete_is_one_transaction_off_the_event_loop(cos_local, raw, key):
    keys = [f"{key}/{i}" for i in range(40)]
    for name in keys:
        assert raw.request("PUT", name, body=b"x").status == 200
    body = "<Delete>" + "".join(f"<Object><Key>{k}</Key></Object>" for k in keys + [key + "/missing"]) + "</Delete>"
    statements: list[tuple[str, str]] = []
    undo = _trace(cos_local.state.storage, statements)
    try:
        reply = raw.request("POST", query={"delete": None}, body=body.encode())
    finally:
        undo()
    assert reply.status == 200 and reply.text.count("<Deleted>") == 41
    deletes = [(thread, sql) for thread, sql in statements if sql.startswith("DELETE FROM objects")]
    assert len(deletes) == 40
    assert sum(sql == "COMMIT" for _, sql in statements) == 1
    assert all(thread != "cos-web-server" for thread, _ in deletes)  # not on the event loop's thread
    assert raw.request("GET", query={"prefix": key + "/"}).xml_text("Contents") is None


def test_big_xml_bodies_are_parsed_off_the_event_loop(raw, monkeypatch):
    threads: list[str] = []
    parse = xmlio.parse

    def spy(body, limit=xmlio.DEFAULT_LIMIT):
        threads.append(threading.current_thread().name)
        return parse(body, limit)

    monkeypatch.setattr(xmlio, "parse", spy)
    big = "<Delete>" + "".join(f"<Object><Key>{'k' * 200}{i}</Key></Object>" for i in range(900)) + "</Delete>"
    assert raw.request("POST", query={"delete": None}, body=big.encode()).status == 200
    assert threads and "cos-web-server" not in threads
    small = "<Delete><Object><Key>a</Key></Object></Delete>"
    threads.clear()
    assert raw.request("POST", query={"delete": None}, body=small.encode()).status == 200
    assert threads == ["cos-web-server"]  # small ones stay inline (a thread hop costs more)


# ---------------------------------------------------------------- listing multipart uploads
@pytest.fixture(scope="module")
def uploads_server(tmp_path_factory):
    srv = start_in_thread(port=0, data_dir=str(tmp_path_factory.mktemp("uploads")), secret_id=SECRET_ID,
                          secret_key=SECRET_KEY, buckets=[BUCKET], region=REGION, quiet=True, durable=False)
    rng = random.Random(13)
    keys = []
    for _ in range(600):
        key = "".join(rng.choice(["a", "b", "/", "c/", "\u00e9", "z"]) for _ in range(rng.randint(1, 5)))
        srv.state.storage.create_upload(BUCKET, key, ObjectMeta())
        keys.append(key)
    yield srv
    srv.stop()


def _reference(uploads, prefix, delimiter, key_marker, id_marker, max_uploads):
    """What ListMultipartUploads answers, computed from every upload (the old, unpaged way)."""
    out, prefixes, next_key, next_id = [], [], None, None
    for key, uid in sorted(uploads):
        if not key.startswith(prefix):
            continue
        if key_marker and ((key, uid) <= (key_marker, id_marker) if id_marker else key <= key_marker):
            continue
        cut = key.find(delimiter, len(prefix)) if delimiter else -1
        if cut >= 0:
            common = key[: cut + len(delimiter)]
            if (prefixes and prefixes[-1] == common) or (key_marker and common <= key_marker and not id_marker):
                continue
            if len(out) + len(prefixes) >= max_uploads:
                return out, prefixes, True, next_key, next_id
            prefixes.append(common)
            next_key, next_id = common, ""
            continue
        if len(out) + len(prefixes) >= max_uploads:
            return out, prefixes, True, next_key, next_id
        out.append((key, uid))
        next_key, next_id = key, uid
    return out, prefixes, False, None, None


def test_uploads_listing_is_paged_from_the_index(uploads_server):
    storage = uploads_server.state.storage
    everything = [(u.key, u.upload_id) for u in storage.list_uploads(BUCKET, max_uploads=10**6)[0]]
    assert len(everything) == 600
    rng = random.Random(7)
    for _ in range(150):
        prefix = rng.choice(["", "a", "b/", "c/", "\u00e9", "zz"])
        delimiter = rng.choice(["", "/", "c"])
        key_marker, id_marker = "", ""
        if rng.random() < 0.6:
            key_marker, id_marker = rng.choice(everything)
            key_marker = rng.choice([key_marker, key_marker[:2], key_marker + "/"])
            id_marker = id_marker if rng.random() < 0.5 else ""
        max_uploads = rng.choice([1, 2, 7, 50, 1000])
        uploads, prefixes, truncated, next_key, next_id = storage.list_uploads(
            BUCKET, prefix, delimiter, key_marker, id_marker, max_uploads)
        got = ([(u.key, u.upload_id) for u in uploads], prefixes, truncated, next_key, next_id)
        assert got == _reference(everything, prefix, delimiter, key_marker, id_marker, max_uploads), (
            prefix, delimiter, key_marker, id_marker, max_uploads)
    statements: list[tuple[str, str]] = []
    undo = _trace(storage, statements)
    try:
        reply = Raw(uploads_server.port).request("GET", query={"uploads": None, "max-uploads": "5"})
    finally:
        undo()
    assert reply.status == 200 and reply.text.count("<Upload>") == 5
    reads = [sql for _, sql in statements if sql.startswith("SELECT * FROM uploads")]
    assert reads and all("LIMIT" in sql for sql in reads)  # never every row of the bucket


# ---------------------------------------------------------------- files on disk
def _mode(path: str) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_data_dir_and_files_are_private(tmp_path):
    data = tmp_path / "data"
    srv = start_in_thread(port=0, data_dir=str(data), buckets=[BUCKET], region=REGION, quiet=True)
    try:
        raw = Raw(srv.port)
        secret_id, secret_key = srv.state.config.secret_id, srv.state.config.secret_key
        assert raw.request("PUT", "k", body=b"x" * 10, secret_id=secret_id, secret_key=secret_key).status == 200
        assert _mode(data) == 0o700
        for name in ("meta.sqlite3", "meta.sqlite3-wal", "LOCK", OWNER_KEY_FILE):
            assert _mode(data / name) == 0o600, name
        for folder in ("blobs", "tmp"):
            assert _mode(data / folder) == 0o700
        blobs = [p for p in (data / "blobs").rglob("*") if p.is_file()]
        assert blobs and all(_mode(p) == 0o600 for p in blobs)
    finally:
        srv.stop()


def test_a_data_dir_of_something_else_keeps_its_mode(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    os.chmod(tmp_path, 0o755)
    srv = start_in_thread(port=0, data_dir=str(tmp_path), buckets=[], quiet=True)
    srv.stop()
    assert _mode(tmp_path) == 0o755 and _mode(tmp_path / "meta.sqlite3") == 0o600


# ---------------------------------------------------------------- keys
def test_each_data_dir_gets_its_own_random_key_pair(tmp_path):
    first = start_in_thread(port=0, data_dir=str(tmp_path / "one"), buckets=[BUCKET], region=REGION, quiet=True)
    try:
        one = (first.state.config.secret_id, first.state.config.secret_key)
        raw = Raw(first.port)
        reply = raw.request("GET", "k", secret_id=DEMO_SECRET_ID, secret_key=DEMO_SECRET_KEY)
        assert (reply.status, reply.xml_text("Code")) == (403, "InvalidAccessKeyId")  # no constant key works
        assert raw.request("GET", "k", secret_id=one[0], secret_key=one[1]).xml_text("Code") == "NoSuchKey"
    finally:
        first.stop()
    second = start_in_thread(port=0, data_dir=str(tmp_path / "two"), buckets=[], quiet=True)
    two = (second.state.config.secret_id, second.state.config.secret_key)
    second.stop()
    again = start_in_thread(port=0, data_dir=str(tmp_path / "one"), buckets=[], quiet=True)
    kept = (again.state.config.secret_id, again.state.config.secret_key)
    again.stop()
    assert one[0] != two[0] and one[1] != two[1] and kept == one
    assert one[0] != DEMO_SECRET_ID and len(one[1]) >= 32


def test_cli_keys_both_or_neither_and_printed_without_the_secret(tmp_path, capsys, monkeypatch):
    assert config_from_args([]).secret_id is None
    with pytest.raises(SystemExit):
        config_from_args(["--secret-id", "AKIDonly"])
    explicit = config_from_args(["--secret-id", "AKIDx", "--secret-key", "k"])
    assert (explicit.secret_id, explicit.secret_key) == ("AKIDx", "k")
    started = {}
    monkeypatch.setattr("cos_web.server.runner.run_server", lambda config: started.setdefault("config", config))
    assert main(["--data-dir", str(tmp_path), "--port", "0"]) == 0
    config = started["config"]
    err = capsys.readouterr().err
    assert config.secret_id in err and config.secret_key not in err
    assert str(tmp_path / OWNER_KEY_FILE) in err


# ---------------------------------------------------------------- open CORS on the network
def test_open_cors_beyond_loopback_is_refused_unless_allowed(tmp_path, capfd):
    with pytest.raises(NetworkExposure, match="allow-network"):
        start_in_thread(host="0.0.0.0", port=0, data_dir=str(tmp_path / "a"), buckets=[BUCKET], quiet=True)
    srv = start_in_thread(host="0.0.0.0", port=0, data_dir=str(tmp_path / "b"), buckets=[BUCKET], quiet=True,
                          allow_network=True)
    srv.stop()
    assert "WARNING" in capfd.readouterr().err
    quiet = start_in_thread(host="0.0.0.0", port=0, data_dir=str(tmp_path / "c"), buckets=[], quiet=True)
    quiet.stop()  # no bucket open to every origin: nothing to refuse
    assert "WARNING" not in capfd.readouterr().err
    assert main(["--host", "0.0.0.0", "--port", "0", "--data-dir", str(tmp_path / "d")]) == 2
    assert "--allow-network" in capfd.readouterr().err
