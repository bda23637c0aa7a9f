"""The metadata database (SQLite, WAL): its schema, transactions, and what every
part of `Storage` shares (the connection and its lock, the blob store, bucket
lookups, detaching and freeing an object's blobs).
"""

from __future__ import annotations

import sqlite3
import threading

from .blobs import BlobStore
from .errors import CosServerError
from .records import Bucket, bucket_from_row
from .segments import is_manifest

SCHEMA = """
CREATE TABLE IF NOT EXISTS buckets (
    name TEXT PRIMARY KEY, region TEXT NOT NULL, created REAL NOT NULL,
    acl TEXT NOT NULL, cors TEXT
);
CREATE TABLE IF NOT EXISTS objects (
    bucket TEXT NOT NULL, key TEXT NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL,
    crc64 TEXT, mtime REAL NOT NULL, content_type TEXT NOT NULL, headers TEXT NOT NULL,
    meta TEXT NOT NULL, storage_class TEXT NOT NULL, acl TEXT NOT NULL, blob TEXT NOT NULL,
    version TEXT,
    PRIMARY KEY (bucket, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS versions (
    bucket TEXT NOT NULL, key TEXT NOT NULL, seq INTEGER NOT NULL, version TEXT, marker INTEGER NOT NULL,
    size INTEGER NOT NULL, etag TEXT NOT NULL, crc64 TEXT, mtime REAL NOT NULL, content_type TEXT NOT NULL,
    headers TEXT NOT NULL, meta TEXT NOT NULL, storage_class TEXT NOT NULL, acl TEXT NOT NULL, blob TEXT NOT NULL,
    PRIMARY KEY (bucket, key, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS versions_by_id ON versions (bucket, key, version);
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
CREATE INDEX IF NOT EXISTS objects_by_blob ON objects (blob);
CREATE INDEX IF NOT EXISTS parts_by_blob ON parts (blob);
CREATE INDEX IF NOT EXISTS segments_by_blob ON segments (blob);
CREATE INDEX IF NOT EXISTS versions_by_blob ON versions (blob);
CREATE TABLE IF NOT EXISTS bucket_configs (
    bucket TEXT NOT NULL, sub TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (bucket, sub, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS restores (
    blob TEXT PRIMARY KEY, tier TEXT NOT NULL, days INTEGER NOT NULL, ready REAL NOT NULL, expires REAL NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS credentials (
    secret_id TEXT PRIMARY KEY, secret_key TEXT NOT NULL, token TEXT NOT NULL, expires REAL NOT NULL,
    policy TEXT
);
"""


def connect(path: str, durable: bool) -> sqlite3.Connection:
    """Open (and create) the database: autocommit mode, rows by name, WAL, the schema."""
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=" + ("FULL" if durable else "NORMAL"))
    if db.execute("SELECT 1 FROM sqlite_master WHERE name='objects'").fetchone():
        columns = {row[1] for row in db.execute("PRAGMA table_info(objects)")}
        if "version" not in columns:  # a data dir from before versioning
            db.execute("ALTER TABLE objects ADD COLUMN version TEXT")
    db.executescript(SCHEMA)
    columns = {row[1] for row in db.execute("PRAGMA table_info(credentials)")}
    if "policy" not in columns:  # a data dir from before temporary keys had policies
        db.execute("ALTER TABLE credentials ADD COLUMN policy TEXT")
    return db


class Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on error); nested ones join the outer one."""

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


class StoreBase:
    """The state the parts of `Storage` share; `Storage.__init__` sets it up."""

    _db: sqlite3.Connection
    _lock: threading.RLock  # around every use of the connection
    blobs: BlobStore

    def _tx(self) -> Transaction:
        return Transaction(self._db)

    def find_bucket(self, name: str) -> Bucket | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM buckets WHERE name=?", (name,)).fetchone()
        return bucket_from_row(row) if row is not None else None

    def bucket(self, name: str) -> Bucket:
        found = self.find_bucket(name)
        if found is None:
            raise CosServerError("NoSuchBucket")
        return found

    def _detach(self, ref: str) -> list[str]:
        """In a transaction: the blob files behind an object reference, forgetting a manifest's segments
        (and a restored copy of an archived object: a restore belongs to the bytes it restored)."""
        self._db.execute("DELETE FROM restores WHERE blob=?", (ref,))
        if not ref:  # a delete marker has no bytes
            return []
        if not is_manifest(ref):
            return [ref]
        names = [r[0] for r in self._db.execute("SELECT blob FROM segments WHERE manifest=?", (ref,))]
        self._db.execute("DELETE FROM segments WHERE manifest=?", (ref,))
        return names

    def _has_ref(self, bucket: str, key: str, ref: str) -> bool:
        """Whether ``key`` still has a version (current or not) whose bytes are ``ref``."""
        return self._db.execute(
            "SELECT 1 FROM objects WHERE bucket=? AND key=? AND blob=? UNION ALL "
            "SELECT 1 FROM versions WHERE bucket=? AND key=? AND blob=? AND marker=0 LIMIT 1",
            (bucket, key, ref, bucket, key, ref)).fetchone() is not None

    def _blob_list(self, ref: str, size: int) -> list[tuple[str, int]]:
        """(blob, size) of an object's bytes in order."""
        if not is_manifest(ref):
            return [(ref, size)]
        rows = self._db.execute("SELECT blob, size FROM segments WHERE manifest=? ORDER BY seq", (ref,)).fetchall()
        return [(r[0], r[1]) for r in rows]

    def _free(self, ref: str | None, names: list[str]) -> None:
        """After a commit (under the lock): unlink those of ``names`` (the blobs ``ref`` had) that no
        object, part or segment refers to any more (copies share blobs), each once its last reader closes."""
        self.blobs.free(self._unreferenced(names))

    def _unreferenced(self, names: list[str]) -> list[str]:
        """The blobs of ``names`` no row refers to: the reference count of a blob is its rows."""
        return [name for name in dict.fromkeys(names) if self._db.execute(
            "SELECT 1 FROM objects WHERE blob=? UNION ALL SELECT 1 FROM versions WHERE blob=? "
            "UNION ALL SELECT 1 FROM parts WHERE blob=? UNION ALL SELECT 1 FROM segments WHERE blob=? LIMIT 1",
            (name, name, name, name)).fetchone() is None]
