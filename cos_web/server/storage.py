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

The parts: `blobs` (file layout, writing, freeing), `metadb` (schema,
transactions, what the parts share), `records` (the dataclasses and their rows),
`object_store`, `multipart_store`, `config_store` (stored bucket configurations), `segments` (manifests and their reader); this
module opens the data directory, sweeps it, and keeps buckets and temporary
credentials.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..values import MAX_BUCKETS
from .blobs import Blob, BlobStore, BlobWriter, private_dir, private_file
from .config_store import ConfigStore
from .errors import CosServerError
from .append_store import AppendStore
from .restore_store import RestoreStore
from .lifecycle_store import LifecycleStore
from .metadb import connect
from .multipart_store import MultipartStore
from .object_store import ObjectStore
from .records import Bucket, ObjectMeta, ObjectRecord, Part, Upload, now
from .segments import MANIFEST, SegmentReader, is_manifest

__all__ = [
    "Storage",
    "DataDirBusy",
    "Blob",
    "Bucket",
    "ObjectMeta",
    "ObjectRecord",
    "Upload",
    "Part",
    "SegmentReader",
    "MANIFEST",
    "is_manifest",
]


class DataDirBusy(RuntimeError):
    """Another server holds the data directory."""


class Storage(ObjectStore, MultipartStore, ConfigStore, AppendStore, RestoreStore,
              LifecycleStore):
    """The server's state. ``durable=False`` skips fsyncs (for bulk test setup)."""

    def __init__(self, data_dir: str, durable: bool = True) -> None:
        self.data_dir = os.path.abspath(data_dir)
        self.durable = durable
        private_dir(self.data_dir, only_if_ours=("LOCK", "meta.sqlite3", "owner-key.json"))
        self._lock_file = open(private_file(os.path.join(self.data_dir, "LOCK")), "a+")
        try:
            fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock_file.close()
            raise DataDirBusy(f"data dir {self.data_dir} is in use by another cos_web.server") from None
        self.blobs = BlobStore(self.data_dir, durable)
        self._lock = threading.RLock()
        # SQLite gives the -wal and -shm files the mode of the database file.
        self._db = connect(private_file(os.path.join(self.data_dir, "meta.sqlite3")), durable)
        self._sweep()

    @property
    def pool(self) -> ThreadPoolExecutor:
        """The worker threads that write and free blobs."""
        return self.blobs.pool

    @property
    def hash_pool(self) -> ThreadPoolExecutor:
        """The threads that MD5 bodies being received, beside their writes on `pool`."""
        return self.blobs.hash_pool

    def close(self) -> None:
        with self._lock:
            self._db.close()
            self._lock_file.close()
        self.blobs.close()

    def _sweep(self) -> None:
        """Drop leftovers of interrupted writes: temp files and unreferenced blobs."""
        with self._tx():  # manifests whose object row is gone (none, unless written by hand)
            self._db.execute("DELETE FROM segments WHERE manifest NOT IN "
                             "(SELECT blob FROM objects UNION SELECT blob FROM versions)")
        used = {r[0] for r in self._db.execute(
            "SELECT blob FROM objects UNION SELECT blob FROM versions UNION SELECT blob FROM parts "
            "UNION SELECT blob FROM segments")}
        self.blobs.sweep(used)

    def writer(self) -> BlobWriter:
        return self.blobs.writer()

    # ------------------------------------------------------------------ buckets
    def create_bucket(self, name: str, region: str, acl: dict, cors: list | None = None) -> Bucket:
        with self._lock, self._tx():
            if self._db.execute("SELECT 1 FROM buckets WHERE name=?", (name,)).fetchone():
                raise CosServerError("BucketAlreadyOwnedByYou")
            if self._db.execute("SELECT count(*) FROM buckets").fetchone()[0] >= MAX_BUCKETS:
                raise CosServerError("TooManyBuckets")
            created = now()
            self._db.execute(
                "INSERT INTO buckets VALUES (?,?,?,?,?)",
                (name, region, created, json.dumps(acl), json.dumps(cors) if cors is not None else None),
            )
        return Bucket(name, region, created, acl, cors)

    def list_buckets(self) -> list[Bucket]:
        with self._lock:
            names = [r[0] for r in self._db.execute("SELECT name FROM buckets ORDER BY name")]
        return [b for b in (self.find_bucket(n) for n in names) if b]

    def delete_bucket(self, name: str) -> None:
        with self._lock, self._tx():
            self.bucket(name)
            busy = self._db.execute(
                "SELECT 1 FROM objects WHERE bucket=? UNION ALL SELECT 1 FROM versions WHERE bucket=? "
                "UNION ALL SELECT 1 FROM uploads WHERE bucket=? LIMIT 1",
                (name, name, name),
            ).fetchone()
            if busy:
                raise CosServerError("BucketNotEmpty")
            self._db.execute("DELETE FROM buckets WHERE name=?", (name,))
            self._db.execute("DELETE FROM bucket_configs WHERE bucket=?", (name,))

    def set_bucket_acl(self, name: str, acl: dict) -> None:
        with self._lock, self._tx():
            self.bucket(name)
            self._db.execute("UPDATE buckets SET acl=? WHERE name=?", (json.dumps(acl), name))

    def set_bucket_cors(self, name: str, cors: list | None) -> None:
        with self._lock, self._tx():
            self.bucket(name)
            value = json.dumps(cors) if cors is not None else None
            self._db.execute("UPDATE buckets SET cors=? WHERE name=?", (value, name))

    # ------------------------------------------------------------------ temporary credentials
    def add_credential(self, secret_id: str, secret_key: str, token: str, expires: float,
                       policy: str | None = None) -> None:
        with self._lock, self._tx():
            self._db.execute("DELETE FROM credentials WHERE expires < ?", (now() - 86400,))
            self._db.execute("INSERT OR REPLACE INTO credentials (secret_id, secret_key, token, expires, policy) "
                             "VALUES (?,?,?,?,?)", (secret_id, secret_key, token, expires, policy))

    def find_credential(self, secret_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM credentials WHERE secret_id=?", (secret_id,)).fetchone()
        return dict(row) if row else None
