"""The server holds up (issue 12): incomplete uploads expire after --multipart-ttl, a client
that goes away is one short log line (none with --quiet), an fsync/fdatasync failure
answers 500 and commits nothing, a new blob folder's parent is fsynced. (Stalled bodies
cut off by the body timeout: tests/server/test_limits.py; with a fault's stall: below.)"""

from __future__ import annotations

import errno
import os
import time

import pytest

from cos_web.server import start_in_thread
from cos_web.server.blobs import BlobStore
from cos_web.server.cli import config_from_args
from cos_web.server.lifecycle import DEFAULT_TTL, interval_for
from tests.conftest import FaultControl
from tests.server.conftest import BUCKET, REGION, SECRET_ID, SECRET_KEY, Raw
from tests.server.test_faults import Wire, wait_until


def server(tmp_path, **config):
    config = {"quiet": True, **config}
    return start_in_thread(port=0, data_dir=str(tmp_path), secret_id=SECRET_ID, secret_key=SECRET_KEY,
                           buckets=[BUCKET], region=REGION, **config)


def blob_files(data_dir) -> list[str]:
    return [name for _, _, names in os.walk(os.path.join(data_dir, "blobs")) for name in names]


def start_upload(raw: Raw, key: str, parts: int = 1) -> str:
    upload_id = raw.request("POST", key, query={"uploads": None}).xml_text("UploadId")
    for number in range(1, parts + 1):
        assert raw.request("PUT", key, query={"partNumber": number, "uploadId": upload_id}, body=b"u" * 10).status == 200
    return upload_id


def listed_uploads(raw: Raw) -> list[str]:
    text = raw.request("GET", query={"uploads": None}).text
    return [chunk.split("</UploadId>")[0] for chunk in text.split("<UploadId>")[1:]]


# --------------------------------------------------------------------------- multipart TTL


def test_cli_multipart_ttl():
    assert config_from_args([]).multipart_ttl == DEFAULT_TTL == 7 * 86400
    assert config_from_args(["--multipart-ttl", "1h"]).multipart_ttl == 3600
    assert config_from_args(["--multipart-ttl", "90"]).multipart_ttl == 90
    assert config_from_args(["--multipart-ttl", "2d"]).multipart_ttl == 2 * 86400
    assert config_from_args(["--multipart-ttl", "0"]).multipart_ttl == 0  # never expire
    with pytest.raises(SystemExit):
        config_from_args(["--multipart-ttl", "soon"])
    assert interval_for(DEFAULT_TTL) == 3600 and interval_for(1) == 0.25


def test_uploads_older_than_the_ttl_are_aborted(tmp_path):
    """With the default TTL (7 days) and the sweeper's clock moved on, not waited for."""
    srv = server(tmp_path)
    try:
        raw = Raw(srv.port)
        old = start_upload(raw, "old", parts=2)
        sweeper = srv.state.sweeper
        sweeper.clock = lambda: time.time() + 6 * 86400
        assert sweeper.sweep() == []  # 6 days: kept
        sweeper.clock = lambda: time.time() + 7 * 86400 + 60
        assert raw.request("PUT", "done", body=b"object").status == 200
        assert sweeper.sweep() == [(BUCKET, "old", old)]
        assert listed_uploads(raw) == []
        assert raw.request("GET", "old", query={"uploadId": old}).xml_text("Code") == "NoSuchUpload"
        assert len(blob_files(tmp_path)) == 1  # the parts' blobs are gone, the object's stays
        assert raw.request("GET", "done").body == b"object"
        new = start_upload(raw, "new")
        sweeper.clock = lambda: time.time() + 7 * 86400 - 60  # a minute short of its TTL
        assert sweeper.sweep() == [] and listed_uploads(raw) == [new]
    finally:
        srv.stop()


def test_the_sweep_runs_on_its_own(tmp_path):
    srv = server(tmp_path, multipart_ttl=0.2)
    try:
        raw = Raw(srv.port)
        start_upload(raw, "soon-gone")
        assert wait_until(lambda: listed_uploads(raw) == []), listed_uploads(raw)
        assert blob_files(tmp_path) == []
    finally:
        srv.stop()


def test_ttl_zero_never_sweeps(tmp_path):
    srv = server(tmp_path, multipart_ttl=0)
    try:
        assert srv.state.sweeper is None
    finally:
        srv.stop()


# --------------------------------------------------------------------------- client aborts


@pytest.mark.parametrize("quiet", [False, True])
def test_a_client_abort_is_one_short_line(tmp_path, capfd, quiet):
    srv = server(tmp_path, quiet=quiet, faults="op=put action=delay:0")  # the log says the PUT began
    try:
        wire = Wire(srv.port, "gone", 1 << 20)
        wire.send(b"x" * 1000)
        wire.sock.setsockopt(__import__("socket").SOL_SOCKET, __import__("socket").SO_LINGER,
                             __import__("struct").pack("ii", 1, 0))
        wire.close()  # reset mid-body
        assert wait_until(lambda: srv.state.faults.log() and not os.listdir(tmp_path / "tmp"))
        assert Raw(srv.port).request("HEAD", "gone").status == 404
    finally:
        srv.stop()
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Error handling request" not in err
    lines = [line for line in err.splitlines() if line.startswith("PUT ")]
    if quiet:
        assert lines == [] and err == ""
    else:
        assert len(lines) == 1 and " gone 499 " in lines[0], err


def test_a_fault_reset_logs_no_traceback(tmp_path, capfd):
    srv = server(tmp_path, quiet=False, faults="op=put action=reset:100; op=get action=drop")
    try:
        raw = Raw(srv.port)
        with pytest.raises(ConnectionError):
            raw.request("PUT", "k", body=b"b" * 1000)
        srv.state.faults.clear()
        raw.request("PUT", "k", body=b"b")
        srv.state.faults.add("op=get action=drop")
        with pytest.raises(Exception):
            raw.request("GET", "k")
    finally:
        srv.stop()
    err = capfd.readouterr().err
    assert "Traceback" not in err and "fault #1 reset:100" in err and "fault #3 drop" in err  # ids count on after clear()


# --------------------------------------------------------------------------- fsync failures


def test_fsync_eio_answers_500_and_keeps_the_object(tmp_path):
    srv = server(tmp_path, faults="")
    try:
        raw = Raw(srv.port)
        faults = FaultControl(srv.url)
        assert raw.request("PUT", "obj", body=b"version 1").status == 200
        faults.add("op=put,part action=fsync:eio")
        reply = raw.request("PUT", "obj", body=b"version 2")
        assert (reply.status, reply.xml_text("Code")) == (500, "InternalError")
        assert raw.request("GET", "obj").body == b"version 1"
        faults.clear()
        upload_id = start_upload(raw, "mp")
        faults.add("op=part action=fsync:eio")
        reply = raw.request("PUT", "mp", query={"partNumber": 2, "uploadId": upload_id}, body=b"part two")
        assert reply.status == 500
        parts = raw.request("GET", "mp", query={"uploadId": upload_id}).text
        assert parts.count("<Part>") == 1 and "<PartNumber>1</PartNumber>" in parts
        assert os.listdir(tmp_path / "tmp") == []
        assert len(blob_files(tmp_path)) == 2  # version 1 and part 1: no blob of a failed write
    finally:
        srv.stop()


def test_an_early_fdatasync_error_is_not_swallowed(tmp_path, monkeypatch):
    """Writeback started early (every FLUSH_EVERY bytes) fails: finish must fail too, even if a
    later fsync succeeds (Linux reports a writeback error once, then forgets it)."""
    import cos_web.server.blobs as blobs

    monkeypatch.setattr(blobs, "FLUSH_EVERY", 1024)
    store = BlobStore(str(tmp_path), durable=True)
    try:
        writer = store.writer()

        def eio(fd):
            raise OSError(errno.EIO, "Input/output error")

        writer.datasync = eio
        writer.write(b"a" * 4096)
        with pytest.raises(OSError) as failed:
            writer.finish()
        assert failed.value.errno == errno.EIO
        writer.discard()
        assert os.listdir(tmp_path / "tmp") == [] and blob_files(tmp_path) == []
    finally:
        store.close()


def test_a_new_blob_folder_is_made_durable(tmp_path, monkeypatch):
    synced = []
    monkeypatch.setattr(BlobStore, "fsync_dir", lambda self, path: synced.append(path))
    store = BlobStore(str(tmp_path), durable=True)
    try:
        writer = store.writer()
        writer.write(b"data")
        blob = writer.finish()
        folder = os.path.dirname(store.path(blob.name))
        assert synced == [store.blob_dir, folder]  # the new folder's entry, then the file's
        synced.clear()
        writer = store.writer()
        writer.write(b"more")
        again = writer.finish()
        expected = [folder] if os.path.dirname(store.path(again.name)) == folder else [store.blob_dir, store.path(again.name).rsplit("/", 1)[0]]
        assert synced == expected
    finally:
        store.close()


def test_a_fault_stall_longer_than_the_body_timeout_is_cut_off(tmp_path):
    srv = server(tmp_path, body_timeout=0.5, faults="op=put action=stall:1k:1h")
    try:
        wire = Wire(srv.port, "stalled", 64 << 10)
        wire.send(b"s" * (64 << 10))
        answer = wire.answer()
        wire.close()
        assert answer.startswith(b"HTTP/1.1 400") and b"<Code>RequestTimeout</Code>" in answer
        assert wait_until(lambda: not os.listdir(tmp_path / "tmp"))
        assert Raw(srv.port).request("HEAD", "stalled").status == 404
    finally:
        srv.stop()
