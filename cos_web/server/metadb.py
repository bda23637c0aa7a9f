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
        if not is_manifest(ref):
            return [ref]
        names = [r[0] for r in self._db.execute("SELECT blob FROM segments WHERE manifest=?", (ref,))]
        self._db.execute("DELETE FROM segments WHERE manifest=?", (ref,))
        return names

    def _free(self, ref: str | None, names: list[str]) -> None:
        """After a commit: unlink ``names`` (the blobs of ``ref``), or once ``ref``'s last reader closes."""
        self.blobs.free(ref, names)
