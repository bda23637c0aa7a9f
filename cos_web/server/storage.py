"""Buckets, objects, ACLs, CORS and multipart state: SQLite (WAL) plus one file per blob.

All protocol rules live here and nothing here knows HTTP. Object bytes are
written by a `BlobWriter` to ``tmp/``, hashed on the way (MD5, CRC-64), fsynced
and renamed into ``blobs/``; only then is a row committed, so a crash or a
dropped client leaves no partial object and the previous version intact.
Blob file names are random, never derived from keys, so no key can name a
path outside the data directory.

An object's ``blob`` is either one blob file (PUT, copy, single-part upload) or
a *manifest* (``m:<random>``): the ordered part blobs of a completed multipart
upload, listed in ``segments``. Completing an upload is therefore one metadata
transaction (the parts' files become the object's, no byte is copied), and a
`SegmentReader` streams such an object across its parts. Blobs of an object that
is overwritten or deleted are unlinked after the commit; for a manifest that a
reader has open, only once the last reader closes (single blobs need no such
care: the reader holds the file open). A crash between commit and unlink leaves
unreferenced files, which the start-up sweep deletes.

Methods are synchronous and thread-safe (one lock around the connection);
callers run the slow ones (complete, copy) in a worker thread.
"""

from __future__ import annotations

import bisect
import fcntl
import hashlib
import json
import os
import secrets
import sqlite3
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from . import crc64
from ..values import MAX_BUCKETS, MAX_PARTS, MIN_PART_SIZE
from .blobs import Blob, BlobWriter
from .errors import CosServerError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS buckets (
    name TEXT PRIMARY KEY, region TEXT NOT NULL, created REAL NOT NULL,
    acl TEXT NOT NULL, cors TEXT
);
CREATE TABLE IF NOT EXISTS objects (
    bucket TEXT NOT NULL, key TEXT NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL,
    crc64 TEXT, mtime REAL NOT NULL, content_type TEXT NOT NULL, headers TEXT NOT NULL,
    meta TEXT NOT NULL, storage_class TEXT NOT NULL, acl TEXT NOT NULL, blob TEXT NOT NULL,
    PRIMARY KEY (bucket, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS uploads (
    upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key TEXT NOT NULL, initiated REAL NOT NULL,
    content_type TEXT NOT NULL, headers TEXT NOT NULL, meta TEXT NOT NULL,
    storage_class TEXT NOT NULL, acl TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS uploads_by_key ON uploads (bucket, key, upload_id);
CREATE TABLE IF NOT EXISTS parts (
    upload_id TEXT NOT NULL, part_number INTEGER NOT NULL, size INTEGER NOT NULL,
    etag TEXT NOT NULL, crc64 TEXT, mtime REAL NOT NULL, blob TEXT NOT NULL,
    PRIMARY KEY (upload_id, part_number)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS segments (
    manifest TEXT NOT NULL, seq INTEGER NOT NULL, blob TEXT NOT NULL, size INTEGER NOT NULL,
    PRIMARY KEY (manifest, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS credentials (
    secret_id TEXT PRIMARY KEY, secret_key TEXT NOT NULL, token TEXT NOT NULL, expires REAL NOT NULL
);
"""


MANIFEST = "m:"  # prefix of an object's blob reference that names a list of part blobs
# Freeing more blob files than this is left to a worker thread (the caller may be the event loop).
UNLINK_INLINE = 64


def is_manifest(ref: str) -> bool:
    return ref.startswith(MANIFEST)


class DataDirBusy(RuntimeError):
    """Another server holds the data directory."""


@dataclass
class Bucket:
    name: str
    region: str
    created: float
    acl: dict
    cors: list | None


@dataclass
class ObjectMeta:
    """What PUT, copy (Replaced) and multipart init store besides the bytes."""

    content_type: str = "application/octet-stream"
    headers: dict = field(default_factory=dict)  # cache-control, content-disposition, ...
    meta: dict = field(default_factory=dict)  # x-cos-meta-* (names lower-cased)
    storage_class: str = "STANDARD"
    acl: dict = field(default_factory=lambda: {"canned": "default", "grants": []})


@dataclass
class ObjectRecord:
    bucket: str
    key: str
    size: int
    etag: str
    crc64: str | None
    mtime: float
    meta: ObjectMeta
    blob: str


@dataclass
class Upload:
    upload_id: str
    bucket: str
    key: str
    initiated: float
    meta: ObjectMeta


@dataclass
class Part:
    number: int
    size: int
    etag: str
    crc64: str | None
    mtime: float
    blob: str


def _now() -> float:
    return time.time()


def _meta_json(meta: ObjectMeta) -> tuple[str, str, str, str, str]:
    return (
        meta.content_type,
        json.dumps(meta.headers),
        json.dumps(meta.meta),
        meta.storage_class,
        json.dumps(meta.acl),
    )


def _meta_from(row: sqlite3.Row) -> ObjectMeta:
    return ObjectMeta(
        row["content_type"],
        json.loads(row["headers"]),
        json.loads(row["meta"]),
        row["storage_class"],
        json.loads(row["acl"]),
    )


def _object(row: sqlite3.Row) -> ObjectRecord:
    return ObjectRecord(
        row["bucket"], row["key"], row["size"], row["etag"], row["crc64"], row["mtime"], _meta_from(row), row["blob"]
    )


def _successor(prefix: str) -> str | None:
    """The smallest string greater than every string starting with ``prefix`` (None: there is none).

    Skips the surrogate block (no key holds one) and carries past U+10FFFF.
    """
    stem = prefix.rstrip("\U0010ffff")
    if not stem:
        return None
    nxt = ord(stem[-1]) + 1
    return stem[:-1] + chr(0xE000 if 0xD800 <= nxt <= 0xDFFF else nxt)


class Storage:
    """The server's state. ``durable=False`` skips fsyncs (for bulk test setup)."""

    def __init__(self, data_dir: str, durable: bool = True) -> None:
        self.data_dir = os.path.abspath(data_dir)
        self.durable = durable
        self.tmp_dir = os.path.join(self.data_dir, "tmp")
        self.blob_dir = os.path.join(self.data_dir, "blobs")
        os.makedirs(self.tmp_dir, exist_ok=True)
        os.makedirs(self.blob_dir, exist_ok=True)
        self._lock_file = open(os.path.join(self.data_dir, "LOCK"), "a+")
        try:
            fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock_file.close()
            raise DataDirBusy(f"data dir {self.data_dir} is in use by another cos_web.server") from None
        self._lock = threading.RLock()
        self._readers: dict[str, int] = {}  # manifest -> open SegmentReaders
        self._doomed: dict[str, list[str]] = {}  # manifest -> blobs to unlink when its last reader closes
        self.pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="cos-blob")
        self._db = sqlite3.connect(
            os.path.join(self.data_dir, "meta.sqlite3"), check_same_thread=False, isolation_level=None
        )
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=" + ("FULL" if durable else "NORMAL"))
        self._db.executescript(_SCHEMA)
        self._sweep()

    # ------------------------------------------------------------------ plumbing
    def close(self) -> None:
        with self._lock:
            self._db.close()
            self._lock_file.close()
        self.pool.shutdown(wait=False)

    def _sweep(self) -> None:
        """Drop leftovers of interrupted writes: temp files and unreferenced blobs."""
        for name in os.listdir(self.tmp_dir):
            try:
                os.unlink(os.path.join(self.tmp_dir, name))
            except OSError:
                pass
        with self._tx():  # manifests whose object row is gone (none, unless written by hand)
            self._db.execute("DELETE FROM segments WHERE manifest NOT IN (SELECT blob FROM objects)")
        used = {r[0] for r in self._db.execute(
            "SELECT blob FROM objects UNION SELECT blob FROM parts UNION SELECT blob FROM segments")}
        for sub in os.listdir(self.blob_dir):
            folder = os.path.join(self.blob_dir, sub)
            for name in os.listdir(folder):
                if f"{sub}/{name}" not in used:
                    os.unlink(os.path.join(folder, name))

    def new_blob_name(self) -> str:
        name = uuid.uuid4().hex
        os.makedirs(os.path.join(self.blob_dir, name[:2]), exist_ok=True)
        return f"{name[:2]}/{name}"

    def blob_path(self, name: str) -> str:
        return os.path.join(self.blob_dir, name)

    def fsync_dir(self, path: str) -> None:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _unlink_blobs(self, names: list[str]) -> None:
        for name in names:
            try:
                os.unlink(self.blob_path(name))
            except FileNotFoundError:
                pass

    def _detach(self, ref: str) -> list[str]:
        """In a transaction: the blob files behind an object reference, forgetting a manifest's segments."""
        if not is_manifest(ref):
            return [ref]
        names = [r[0] for r in self._db.execute("SELECT blob FROM segments WHERE manifest=?", (ref,))]
        self._db.execute("DELETE FROM segments WHERE manifest=?", (ref,))
        return names

    def _free(self, ref: str | None, names: list[str]) -> None:
        """After a commit: unlink ``names`` (the blobs of ``ref``), or once ``ref``'s last reader closes."""
        if not names:
            return
        with self._lock:
            if ref is not None and ref in self._readers:
                self._doomed.setdefault(ref, []).extend(names)
                return
        if len(names) > UNLINK_INLINE:
            try:
                self.pool.submit(self._unlink_blobs, names)
                return
            except RuntimeError:  # pool shut down (closing)
                pass
        self._unlink_blobs(names)

    def _release(self, ref: str) -> None:
        with self._lock:
            left = self._readers.get(ref, 0) - 1
            if left > 0:
                self._readers[ref] = left
                return
            self._readers.pop(ref, None)
            names = self._doomed.pop(ref, [])
        self._free(None, names)

    def writer(self) -> BlobWriter:
        return BlobWriter(self)

    def _tx(self):
        return _Transaction(self._db)

    # ------------------------------------------------------------------ buckets
    def create_bucket(self, name: str, region: str, acl: dict, cors: list | None = None) -> Bucket:
        with self._lock, self._tx():
            if self._db.execute("SELECT 1 FROM buckets WHERE name=?", (name,)).fetchone():
                raise CosServerError("BucketAlreadyOwnedByYou")
            if self._db.execute("SELECT count(*) FROM buckets").fetchone()[0] >= MAX_BUCKETS:
                raise CosServerError("TooManyBuckets")
            created = _now()
            self._db.execute(
                "INSERT INTO buckets VALUES (?,?,?,?,?)",
                (name, region, created, json.dumps(acl), json.dumps(cors) if cors is not None else None),
            )
        return Bucket(name, region, created, acl, cors)

    def find_bucket(self, name: str) -> Bucket | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM buckets WHERE name=?", (name,)).fetchone()
        if row is None:
            return None
        cors = json.loads(row["cors"]) if row["cors"] else None
        return Bucket(row["name"], row["region"], row["created"], json.loads(row["acl"]), cors)

    def bucket(self, name: str) -> Bucket:
        found = self.find_bucket(name)
        if found is None:
            raise CosServerError("NoSuchBucket")
        return found

    def list_buckets(self) -> list[Bucket]:
        with self._lock:
            names = [r[0] for r in self._db.execute("SELECT name FROM buckets ORDER BY name")]
        return [b for b in (self.find_bucket(n) for n in names) if b]

    def delete_bucket(self, name: str) -> None:
        with self._lock, self._tx():
            self.bucket(name)
            busy = self._db.execute(
                "SELECT 1 FROM objects WHERE bucket=? UNION ALL SELECT 1 FROM uploads WHERE bucket=? LIMIT 1",
                (name, name),
            ).fetchone()
            if busy:
                raise CosServerError("BucketNotEmpty")
            self._db.execute("DELETE FROM buckets WHERE name=?", (name,))

    def set_bucket_acl(self, name: str, acl: dict) -> None:
        with self._lock, self._tx():
            self.bucket(name)
            self._db.execute("UPDATE buckets SET acl=? WHERE name=?", (json.dumps(acl), name))

    def set_bucket_cors(self, name: str, cors: list | None) -> None:
        with self._lock, self._tx():
            self.bucket(name)
            value = json.dumps(cors) if cors is not None else None
            self._db.execute("UPDATE buckets SET cors=? WHERE name=?", (value, name))

    # ------------------------------------------------------------------ objects
    def find_object(self, bucket: str, key: str) -> ObjectRecord | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM objects WHERE bucket=? AND key=?", (bucket, key)).fetchone()
        return _object(row) if row else None

    def get_object(self, bucket: str, key: str) -> ObjectRecord:
        found = self.find_object(bucket, key)
        if found is None:
            self.bucket(bucket)
            raise CosServerError("NoSuchKey")
        return found

    def open_object(self, bucket: str, key: str) -> tuple[ObjectRecord, BinaryIO]:
        """The record and an open file of its bytes, taken together so no writer can swap them.

        For a multipart object the "file" is a `SegmentReader`; ``close()`` it (as any file).
        """
        with self._lock:
            record = self.get_object(bucket, key)
            if not is_manifest(record.blob):
                return record, open(self.blob_path(record.blob), "rb")
            rows = self._db.execute(
                "SELECT blob, size FROM segments WHERE manifest=? ORDER BY seq", (record.blob,)
            ).fetchall()
            self._readers[record.blob] = self._readers.get(record.blob, 0) + 1
        return record, SegmentReader(self, record.blob, [(r[0], r[1]) for r in rows])  # type: ignore[return-value]

    def put_object(self, bucket: str, key: str, blob: Blob, meta: ObjectMeta, etag: str | None = None,
                   crc: str | None = None) -> ObjectRecord:
        """Commit a finished blob as the object's new version (last commit wins)."""
        record = ObjectRecord(bucket, key, blob.size, etag or f'"{blob.md5}"', crc if crc else blob.crc64, _now(),
                              meta, blob.name)
        with self._lock:
            try:
                with self._tx():
                    self.bucket(bucket)
                    old = self._db.execute(
                        "SELECT blob FROM objects WHERE bucket=? AND key=?", (bucket, key)
                    ).fetchone()
                    freed = self._detach(old[0]) if old else []
                    self._db.execute(
                        "INSERT OR REPLACE INTO objects VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                        (bucket, key, record.size, record.etag, record.crc64, record.mtime, *_meta_json(meta),
                         blob.name),
                    )
            except BaseException:
                self._unlink_blobs([blob.name])
                raise
            if old:
                self._free(old[0], freed)
        return record

    def set_object_acl(self, bucket: str, key: str, acl: dict) -> None:
        with self._lock, self._tx():
            self.get_object(bucket, key)
            record = self.find_object(bucket, key)
            assert record is not None
            self._db.execute("UPDATE objects SET acl=? WHERE bucket=? AND key=?", (json.dumps(acl), bucket, key))

    def delete_object(self, bucket: str, key: str) -> bool:
        with self._lock:
            with self._tx():
                row = self._db.execute("SELECT blob FROM objects WHERE bucket=? AND key=?", (bucket, key)).fetchone()
                if row:
                    freed = self._detach(row[0])
                    self._db.execute("DELETE FROM objects WHERE bucket=? AND key=?", (bucket, key))
            if row:
                self._free(row[0], freed)
        return bool(row)

    def copy_blob(self, source: BinaryIO, first: int, length: int) -> Blob:
        """A new blob holding ``length`` bytes of the open file ``source`` from ``first``."""
        writer = self.writer()
        try:
            source.seek(first)
            remaining = length
            while remaining > 0:
                chunk = source.read(min(remaining, 1 << 20))
                if not chunk:
                    break
                writer.write(chunk)
                remaining -= len(chunk)
            return writer.finish()
        except BaseException:
            writer.discard()
            raise

    def list_objects(self, bucket: str, prefix: str = "", delimiter: str = "", marker: str = "",
                     max_keys: int = 1000) -> tuple[list[ObjectRecord], list[str], bool, str | None]:
        """(contents, common prefixes, truncated, next marker), paged from the key index."""
        self.bucket(bucket)
        contents: list[ObjectRecord] = []
        prefixes: list[str] = []
        start, inclusive = (marker, False) if marker > prefix else (prefix, True)
        if delimiter and marker.startswith(prefix):
            cut = marker.find(delimiter, len(prefix))
            if cut >= 0 and marker == marker[: cut + len(delimiter)]:
                start, inclusive = _successor(marker), True  # type: ignore[assignment]
        last: str | None = None
        while True:
            if start is None:  # nothing sorts after the marker or the last common prefix
                return contents, prefixes, False, None
            op = ">=" if inclusive else ">"
            with self._lock:
                rows = self._db.execute(
                    f"SELECT * FROM objects WHERE bucket=? AND key {op} ? ORDER BY key LIMIT ?",
                    (bucket, start, 200),
                ).fetchall()
            if not rows:
                return contents, prefixes, False, None
            for row in rows:
                key = row["key"]
                if not key.startswith(prefix):
                    return contents, prefixes, False, None
                cut = key.find(delimiter, len(prefix)) if delimiter else -1
                if len(contents) + len(prefixes) >= max_keys:
                    return contents, prefixes, True, last
                if cut >= 0:
                    common = key[: cut + len(delimiter)]
                    prefixes.append(common)
                    last = common
                    start, inclusive = _successor(common), True  # type: ignore[assignment]
                    break
                contents.append(_object(row))
                last = key
                start, inclusive = key, False

    # ------------------------------------------------------------------ multipart
    def create_upload(self, bucket: str, key: str, meta: ObjectMeta) -> Upload:
        upload = Upload(f"{int(_now())}{secrets.token_hex(16)}", bucket, key, _now(), meta)
        with self._lock, self._tx():
            self.bucket(bucket)
            self._db.execute(
                "INSERT INTO uploads VALUES (?,?,?,?,?,?,?,?,?)",
                (upload.upload_id, bucket, key, upload.initiated, *_meta_json(meta)),
            )
        return upload

    def get_upload(self, bucket: str, key: str, upload_id: str) -> Upload:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM uploads WHERE upload_id=? AND bucket=? AND key=?", (upload_id, bucket, key)
            ).fetchone()
        if row is None:
            self.bucket(bucket)
            raise CosServerError("NoSuchUpload")
        return Upload(row["upload_id"], row["bucket"], row["key"], row["initiated"], _meta_from(row))

    def put_part(self, bucket: str, key: str, upload_id: str, number: int, blob: Blob) -> Part:
        part = Part(number, blob.size, f'"{blob.md5}"', blob.crc64, _now(), blob.name)
        with self._lock:
            try:
                with self._tx():
                    self.get_upload(bucket, key, upload_id)
                    old = self._db.execute(
                        "SELECT blob FROM parts WHERE upload_id=? AND part_number=?", (upload_id, number)
                    ).fetchone()
                    self._db.execute(
                        "INSERT OR REPLACE INTO parts VALUES (?,?,?,?,?,?,?)",
                        (upload_id, number, part.size, part.etag, part.crc64, part.mtime, blob.name),
                    )
            except BaseException:
                self._unlink_blobs([blob.name])
                raise
            if old:
                self._unlink_blobs([old[0]])
        return part

    def list_parts(self, upload_id: str, marker: int = 0, max_parts: int = 1000) -> tuple[list[Part], bool]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM parts WHERE upload_id=? AND part_number>? ORDER BY part_number LIMIT ?",
                (upload_id, marker, max_parts + 1),
            ).fetchall()
        parts = [Part(r["part_number"], r["size"], r["etag"], r["crc64"], r["mtime"], r["blob"]) for r in rows]
        return parts[:max_parts], len(parts) > max_parts

    def abort_upload(self, bucket: str, key: str, upload_id: str) -> None:
        with self._lock:
            with self._tx():
                self.get_upload(bucket, key, upload_id)
                blobs = [r[0] for r in self._db.execute("SELECT blob FROM parts WHERE upload_id=?", (upload_id,))]
                self._db.execute("DELETE FROM parts WHERE upload_id=?", (upload_id,))
                self._db.execute("DELETE FROM uploads WHERE upload_id=?", (upload_id,))
            self._unlink_blobs(blobs)

    def complete_upload(self, bucket: str, key: str, upload_id: str, listed: list[tuple[int, str]]) -> ObjectRecord:
        """Check the listed parts against COS's rules and commit them as the object, without copying.

        One transaction: the object row points at a new manifest of the listed parts'
        blobs (or at the one part's blob), the upload and its parts rows go. Part files
        are already durable (fsynced when uploaded), so the commit is all it takes.
        """
        self.get_upload(bucket, key, upload_id)
        if not listed:
            raise CosServerError("MalformedXML")
        numbers = [n for n, _ in listed]
        if any(b <= a for a, b in zip(numbers, numbers[1:])):
            raise CosServerError("InvalidPartOrder")
        with self._lock:
            with self._tx():
                upload = self.get_upload(bucket, key, upload_id)  # aborted or completed meanwhile?
                stored, _ = self.list_parts(upload_id, 0, MAX_PARTS)
                by_number = {p.number: p for p in stored}
                parts = []
                for (number, etag), prev in zip(listed, [None] + numbers[:-1]):
                    part = by_number.get(number)
                    if part is None or part.etag.strip('"') != etag.strip().strip('"').lower():
                        raise CosServerError("InvalidPart")
                    if prev is not None and number != prev + 1:
                        raise CosServerError("InvalidPart", "The part numbers are not continuous.")
                    parts.append(part)
                for part in parts[:-1]:
                    if part.size < MIN_PART_SIZE:
                        raise CosServerError("EntityTooSmall")
                crc: int | None = 0
                for part in parts:
                    crc = crc64.combine(crc, int(part.crc64), part.size) if crc is not None and part.crc64 else None
                digest = hashlib.md5(b"".join(bytes.fromhex(p.etag.strip('"')) for p in parts)).hexdigest()
                etag = f'"{digest}-{len(parts)}"'
                crc_text = str(crc) if crc is not None else None
                if len(parts) == 1:
                    ref = parts[0].blob
                else:
                    ref = MANIFEST + uuid.uuid4().hex
                    self._db.executemany("INSERT INTO segments VALUES (?,?,?,?)",
                                         [(ref, i, p.blob, p.size) for i, p in enumerate(parts)])
                record = ObjectRecord(bucket, key, sum(p.size for p in parts), etag, crc_text, _now(), upload.meta,
                                      ref)
                old = self._db.execute("SELECT blob FROM objects WHERE bucket=? AND key=?", (bucket, key)).fetchone()
                freed = self._detach(old[0]) if old else []
                self._db.execute(
                    "INSERT OR REPLACE INTO objects VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (bucket, key, record.size, etag, crc_text, record.mtime, *_meta_json(upload.meta), ref),
                )
                self._db.execute("DELETE FROM parts WHERE upload_id=?", (upload_id,))
                self._db.execute("DELETE FROM uploads WHERE upload_id=?", (upload_id,))
            used = {p.blob for p in parts}
            self._free(None, [p.blob for p in stored if p.blob not in used])  # uploaded but not listed
            if old:
                self._free(old[0], freed)
        return record

    def list_uploads(self, bucket: str, prefix: str = "", delimiter: str = "", key_marker: str = "",
                     upload_id_marker: str = "", max_uploads: int = 1000
                     ) -> tuple[list[Upload], list[str], bool, str | None, str | None]:
        """(uploads, common prefixes, truncated, next key marker, next upload-id marker)."""
        self.bucket(bucket)
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM uploads WHERE bucket=? AND key>=? ORDER BY key, upload_id", (bucket, prefix)
            ).fetchall()
        uploads: list[Upload] = []
        prefixes: list[str] = []
        next_key = next_id = None
        for row in rows:
            key, uid = row["key"], row["upload_id"]
            if not key.startswith(prefix):
                break
            if key_marker:
                if upload_id_marker:
                    if key < key_marker or (key == key_marker and uid <= upload_id_marker):
                        continue
                elif key <= key_marker:
                    continue
            cut = key.find(delimiter, len(prefix)) if delimiter else -1
            if cut >= 0:
                common = key[: cut + len(delimiter)]
                if prefixes and prefixes[-1] == common:
                    continue
                if key_marker and common <= key_marker and not upload_id_marker:
                    continue
                if len(uploads) + len(prefixes) >= max_uploads:
                    return uploads, prefixes, True, next_key, next_id
                prefixes.append(common)
                next_key, next_id = common, ""
                continue
            if len(uploads) + len(prefixes) >= max_uploads:
                return uploads, prefixes, True, next_key, next_id
            uploads.append(Upload(uid, bucket, key, row["initiated"], _meta_from(row)))
            next_key, next_id = key, uid
        return uploads, prefixes, False, None, None

    # ------------------------------------------------------------------ temporary credentials
    def add_credential(self, secret_id: str, secret_key: str, token: str, expires: float) -> None:
        with self._lock, self._tx():
            self._db.execute("DELETE FROM credentials WHERE expires < ?", (_now() - 86400,))
            self._db.execute("INSERT OR REPLACE INTO credentials VALUES (?,?,?,?)",
                             (secret_id, secret_key, token, expires))

    def find_credential(self, secret_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM credentials WHERE secret_id=?", (secret_id,)).fetchone()
        return dict(row) if row else None


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._depth_owner = False

    def __enter__(self) -> None:
        if not self._db.in_transaction:
            self._db.execute("BEGIN IMMEDIATE")
            self._depth_owner = True

    def __exit__(self, exc_type, exc, tb) -> None:
        if not self._depth_owner:
            return
        if exc_type is None:
            self._db.execute("COMMIT")
        else:
            self._db.execute("ROLLBACK")


class SegmentReader:
    """A multipart object's bytes as one read-only file: ``seek``, ``read``, ``tell``, ``close``.

    Opens one part file at a time. The storage keeps the parts on disk until this is
    closed, even if the object is overwritten or deleted meanwhile (no torn reads).
    """

    def __init__(self, storage: Storage, ref: str, segments: list[tuple[str, int]]) -> None:
        self._storage = storage
        self._ref: str | None = ref
        self._names = [name for name, _ in segments]
        self._starts: list[int] = []
        total = 0
        for _, size in segments:
            self._starts.append(total)
            total += size
        self._sizes = [size for _, size in segments]
        self.size = total
        self._pos = 0
        self._index = -1
        self._fh: BinaryIO | None = None

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self.size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def read(self, n: int = -1) -> bytes:
        """Up to ``n`` bytes (all the rest for -1), never past the end of the current part."""
        if self._ref is None:
            raise ValueError("read of a closed SegmentReader")
        if self._pos >= self.size or n == 0:
            return b""
        if n < 0:
            out = bytearray()
            while chunk := self.read(1 << 20):
                out += chunk
            return bytes(out)
        i = bisect.bisect_right(self._starts, self._pos) - 1
        while self._sizes[i] == 0:  # empty parts (only a last part can be, but be safe)
            i += 1
        within = self._pos - self._starts[i]
        if i != self._index:
            if self._fh is not None:
                self._fh.close()
            self._fh = None
            self._fh = open(self._storage.blob_path(self._names[i]), "rb")
            self._index = i
        assert self._fh is not None
        if self._fh.tell() != within:
            self._fh.seek(within)
        data = self._fh.read(min(n, self._sizes[i] - within))
        if not data:
            raise OSError(f"part blob {self._names[i]} is shorter than recorded")
        self._pos += len(data)
        return data

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        ref, self._ref = self._ref, None
        if ref is not None:
            self._storage._release(ref)

    def __enter__(self) -> SegmentReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
