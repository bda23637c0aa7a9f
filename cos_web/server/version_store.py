"""Object versions (the part of `Storage` for versioning): a bucket's versioning status, the
versions a write keeps, delete markers, reads and deletes by version id, and the listing.

Layout: ``objects`` holds each key's *current* version when it is an object (what GET, HEAD,
the plain listing and every other part of the server see, unchanged); ``versions`` holds the
rest, newest first by ``seq`` within a key: noncurrent versions and delete markers (a delete
marker may be current: then the key has no ``objects`` row). ``objects.version`` and
``versions.version`` are the version id, NULL for the "null" version (an object written
while versioning was never enabled, or while it was suspended).

Invariant: a key's newest version is in ``objects`` unless it is a delete marker. Deleting
the current version by id promotes the next one back into ``objects`` when it is an object.

Every version owns its blob (a file or a manifest, as any object): superseding a version
moves its row, never its bytes; a version's blobs are freed only when that version is
deleted. Status (``bucket_configs`` row ``versioning``): "" (never enabled), "Enabled",
"Suspended"; once enabled it can only be suspended.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from dataclasses import dataclass

from ..values import VERSIONING_STATUSES
from .errors import CosServerError
from .metadb import StoreBase
from .records import ObjectRecord, meta_from_row, now, object_from_row

STATUSES = VERSIONING_STATUSES
TOP = 1 << 62  # the seq a key's objects row sorts as (newer than every row of versions)
_COLUMNS = "size, etag, crc64, mtime, content_type, headers, meta, storage_class, acl, blob"
_counter = itertools.count()
_counter_lock = threading.Lock()


def new_version_id() -> str:
    """A fresh version id: base64 of a decimal number from the clock (COS's ids look alike)."""
    with _counter_lock:
        serial = next(_counter) % 1000
    digits = f"{time.time_ns()}{serial:03d}"
    return base64.b64encode(digits.encode()).decode().rstrip("=")


def shown(version: str | None) -> str:
    """A version id as COS shows it: ``null`` for the null version."""
    return "null" if version is None else version


def stored(version_id: str) -> str | None:
    """A version id as given (``null`` is the null version)."""
    return None if version_id == "null" else version_id


@dataclass
class VersionEntry:
    """One row of a versions listing."""

    key: str
    version_id: str  # "null" for the null version
    latest: bool
    marker: bool  # a delete marker
    mtime: float
    etag: str
    size: int
    storage_class: str


@dataclass
class DeleteOutcome:
    """What one delete did: the version id it names, and whether that is a delete marker."""

    version_id: str | None  # None: no versioning (nothing to report)
    marker: bool = False


@dataclass
class NoncurrentVersion:
    """A noncurrent version (or delete marker) and when it stopped being current."""

    key: str
    version_id: str
    marker: bool
    since: float  # the mtime of the version that replaced it
    size: int


def _successor(prefix: str) -> str | None:
    """The smallest string greater than every string starting with ``prefix`` (None: there is none).

    Skips the surrogate block (no key holds one) and carries past U+10FFFF.
    """
    stem = prefix.rstrip("\U0010ffff")
    if not stem:
        return None
    nxt = ord(stem[-1]) + 1
    return stem[:-1] + chr(0xE000 if 0xD800 <= nxt <= 0xDFFF else nxt)


class VersionStore(StoreBase):
    # ------------------------------------------------------------------ status
    def versioning(self, bucket: str) -> str:
        """The bucket's status: "" (never enabled), "Enabled" or "Suspended"."""
        with self._lock:
            row = self._db.execute("SELECT body FROM bucket_configs WHERE bucket=? AND sub='versioning' AND id=''",
                                   (bucket,)).fetchone()
        return json.loads(row[0]) if row else ""

    def set_versioning(self, bucket: str, status: str) -> None:
        if status not in STATUSES:
            raise CosServerError("MalformedXML", "Status must be Enabled or Suspended.")
        with self._lock, self._tx():
            self.bucket(bucket)
            self._db.execute("INSERT OR REPLACE INTO bucket_configs (bucket, sub, id, body) VALUES (?, 'versioning', '', ?)",
                             (bucket, json.dumps(status)))

    # ------------------------------------------------------------------ inside a write's transaction
    def _next_seq(self, bucket: str, key: str) -> int:
        return self._db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM versions WHERE bucket=? AND key=?",
                                (bucket, key)).fetchone()[0]

    def _archive_current(self, bucket: str, key: str) -> None:
        """Move the objects row of ``key`` (if any) to versions, as its newest noncurrent version."""
        seq = self._next_seq(bucket, key)
        self._db.execute(
            f"INSERT INTO versions (bucket, key, seq, version, marker, {_COLUMNS}) "
            f"SELECT bucket, key, ?, version, 0, {_COLUMNS} FROM objects WHERE bucket=? AND key=?",
            (seq, bucket, key))
        self._db.execute("DELETE FROM objects WHERE bucket=? AND key=?", (bucket, key))

    def _drop_null_versions(self, bucket: str, key: str, freed: list[tuple[str, list[str]]]) -> None:
        """Delete the null version of ``key`` wherever it is (a Suspended bucket's write replaces it)."""
        for (ref,) in self._db.execute("SELECT blob FROM versions WHERE bucket=? AND key=? AND version IS NULL "
                                       "AND marker=0", (bucket, key)).fetchall():
            freed.append((ref, self._detach(ref)))
        self._db.execute("DELETE FROM versions WHERE bucket=? AND key=? AND version IS NULL", (bucket, key))
        row = self._db.execute("SELECT blob FROM objects WHERE bucket=? AND key=? AND version IS NULL",
                               (bucket, key)).fetchone()
        if row:
            freed.append((row[0], self._detach(row[0])))
            self._db.execute("DELETE FROM objects WHERE bucket=? AND key=?", (bucket, key))

    def _supersede(self, bucket: str, key: str, freed: list[tuple[str, list[str]]]) -> tuple[str | None, str]:
        """Make room for a new current version of ``key``: (its version id or None, the bucket's status).

        Never enabled: the current object is dropped (its blobs go to ``freed``). Enabled: it
        becomes noncurrent. Suspended: the null version is dropped, any other current one kept.
        The caller then writes the new row (or a delete marker).
        """
        status = self.versioning(bucket)
        if status == "Enabled":
            self._archive_current(bucket, key)
            return new_version_id(), status
        if status == "Suspended":
            self._drop_null_versions(bucket, key, freed)
            self._archive_current(bucket, key)
            return None, status
        row = self._db.execute("SELECT blob FROM objects WHERE bucket=? AND key=?", (bucket, key)).fetchone()
        if row:
            freed.append((row[0], self._detach(row[0])))
            self._db.execute("DELETE FROM objects WHERE bucket=? AND key=?", (bucket, key))
        return None, status

    def _write_current(self, record: ObjectRecord, columns: tuple) -> tuple[list[tuple[str, list[str]]], str]:
        """In a transaction: make ``record`` the current version of its key; (blobs to free, status).

        ``columns`` are ``meta_columns(record.meta)``; ``record.version`` is set to the new id
        (``"null"`` in a Suspended bucket, None where versioning was never enabled).
        """
        freed: list[tuple[str, list[str]]] = []
        version, status = self._supersede(record.bucket, record.key, freed)
        self._db.execute(
            "INSERT OR REPLACE INTO objects (bucket, key, size, etag, crc64, mtime, content_type, headers, meta, "
            "storage_class, acl, blob, version) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (record.bucket, record.key, record.size, record.etag, record.crc64, record.mtime, *columns, record.blob,
             version))
        record.version = version if status != "Suspended" else "null"
        return freed, status

    def _free_all(self, freed: list[tuple[str, list[str]]]) -> None:
        for ref, names in freed:
            self._free(ref, names)

    # ------------------------------------------------------------------ reads
    def find_version(self, bucket: str, key: str, version_id: str) -> ObjectRecord | None:
        """The version ``version_id`` of ``key`` (``record.delete_marker`` for a marker), or None."""
        version = stored(version_id)
        op = "IS" if version is None else "="
        with self._lock:
            row = self._db.execute(f"SELECT * FROM objects WHERE bucket=? AND key=? AND version {op} ?",
                                   (bucket, key, version)).fetchone()
            if row is not None:
                return object_from_row(row)
            row = self._db.execute(f"SELECT * FROM versions WHERE bucket=? AND key=? AND version {op} ?",
                                   (bucket, key, version)).fetchone()
        if row is None:
            return None
        record = ObjectRecord(bucket, key, row["size"], row["etag"], row["crc64"], row["mtime"], meta_from_row(row),
                              row["blob"], row["version"], bool(row["marker"]))
        return record

    def get_version(self, bucket: str, key: str, version_id: str, method: str = "GET") -> ObjectRecord:
        """The version, or COS's error: NoSuchVersion (404); a delete marker is MethodNotAllowed (405)."""
        found = self.find_version(bucket, key, version_id)
        if found is None:
            self.bucket(bucket)
            raise CosServerError("NoSuchVersion")
        if found.delete_marker:
            raise CosServerError("MethodNotAllowed", headers=marker_headers(found))
        return found

    def latest_marker(self, bucket: str, key: str) -> ObjectRecord | None:
        """The delete marker that is the current version of ``key``, if it is one."""
        with self._lock:
            if self._db.execute("SELECT 1 FROM objects WHERE bucket=? AND key=?", (bucket, key)).fetchone():
                return None
            row = self._db.execute("SELECT * FROM versions WHERE bucket=? AND key=? ORDER BY seq DESC LIMIT 1",
                                   (bucket, key)).fetchone()
        if row is None or not row["marker"]:
            return None
        return ObjectRecord(bucket, key, 0, "", None, row["mtime"], meta_from_row(row), "", row["version"], True)

    def set_version_acl(self, bucket: str, key: str, version_id: str, acl: dict) -> None:
        """Re-ACL one version (NoSuchVersion, or MethodNotAllowed for a delete marker)."""
        version = stored(version_id)
        op = "IS" if version is None else "="
        with self._lock, self._tx():
            self.get_version(bucket, key, version_id)
            for table in ("objects", "versions"):
                self._db.execute(f"UPDATE {table} SET acl=? WHERE bucket=? AND key=? AND version {op} ?",
                                 (json.dumps(acl), bucket, key, version))

    # ------------------------------------------------------------------ deletes
    def _delete_one(self, bucket: str, key: str, version_id: str | None, status: str,
                    freed: list[tuple[str, list[str]]]) -> DeleteOutcome:
        if version_id is not None:
            return self._delete_version(bucket, key, version_id, freed)
        if status == "":
            row = self._db.execute("SELECT blob FROM objects WHERE bucket=? AND key=?", (bucket, key)).fetchone()
            if row:
                freed.append((row[0], self._detach(row[0])))
                self._db.execute("DELETE FROM objects WHERE bucket=? AND key=?", (bucket, key))
            return DeleteOutcome(None)
        version, _ = self._supersede(bucket, key, freed)
        self._db.execute(
            f"INSERT INTO versions (bucket, key, seq, version, marker, {_COLUMNS}) "
            "VALUES (?,?,?,?,1,0,'',NULL,?,'','{}','{}','','{}','')",
            (bucket, key, self._next_seq(bucket, key), version, now()))
        return DeleteOutcome(shown(version), True)

    def _delete_version(self, bucket: str, key: str, version_id: str,
                        freed: list[tuple[str, list[str]]]) -> DeleteOutcome:
        version = stored(version_id)
        op = "IS" if version is None else "="
        row = self._db.execute(f"SELECT blob FROM objects WHERE bucket=? AND key=? AND version {op} ?",
                               (bucket, key, version)).fetchone()
        if row is not None:
            freed.append((row[0], self._detach(row[0])))
            self._db.execute("DELETE FROM objects WHERE bucket=? AND key=?", (bucket, key))
            self._promote(bucket, key)
            return DeleteOutcome(version_id)
        row = self._db.execute(f"SELECT seq, marker, blob FROM versions WHERE bucket=? AND key=? AND version {op} ?",
                               (bucket, key, version)).fetchone()
        if row is None:
            return DeleteOutcome(version_id)  # nothing to delete: still a success, as COS answers
        seq, marker, ref = row
        if not marker:
            freed.append((ref, self._detach(ref)))
        self._db.execute("DELETE FROM versions WHERE bucket=? AND key=? AND seq=?", (bucket, key, seq))
        self._promote(bucket, key)
        return DeleteOutcome(version_id, bool(marker))

    def _promote(self, bucket: str, key: str) -> None:
        """Keep the invariant: with no objects row, the newest version, if an object, becomes current."""
        if self._db.execute("SELECT 1 FROM objects WHERE bucket=? AND key=?", (bucket, key)).fetchone():
            return
        row = self._db.execute("SELECT seq, marker FROM versions WHERE bucket=? AND key=? ORDER BY seq DESC LIMIT 1",
                               (bucket, key)).fetchone()
        if row is None or row[1]:
            return
        self._db.execute(
            f"INSERT INTO objects (bucket, key, {_COLUMNS}, version) "
            f"SELECT bucket, key, {_COLUMNS}, version FROM versions WHERE bucket=? AND key=? AND seq=?",
            (bucket, key, row[0]))
        self._db.execute("DELETE FROM versions WHERE bucket=? AND key=? AND seq=?", (bucket, key, row[0]))

    def delete_entries(self, bucket: str, entries: list[tuple[str, str | None]]) -> list[DeleteOutcome]:
        """Delete many (key, version id or None) in ONE transaction; what each did.

        Without a version id: the object goes (never-enabled bucket) or a delete marker is
        written. With one: that version goes for good (a delete marker too). Blobs are freed
        after the commit.
        """
        freed: list[tuple[str, list[str]]] = []
        with self._lock:
            with self._tx():
                self.bucket(bucket)
                status = self.versioning(bucket)
                outcomes = [self._delete_one(bucket, key, vid, status, freed) for key, vid in entries]
            self._free_all(freed)
        return outcomes

    def delete_version(self, bucket: str, key: str, version_id: str) -> DeleteOutcome:
        """Delete one version for good (for lifecycle rules too: NoncurrentVersionExpiration)."""
        return self.delete_entries(bucket, [(key, version_id)])[0]

    # ------------------------------------------------------------------ noncurrent versions (lifecycle)
    def noncurrent_versions(self, bucket: str, prefix: str = "", before: float | None = None
                            ) -> list[NoncurrentVersion]:
        """Every noncurrent version and non-current delete marker of keys under ``prefix``, with the
        time it stopped being current (the next newer version's mtime); only those that stopped
        before ``before`` when given. For a rule's NoncurrentVersionExpiration: delete each with
        `delete_version`."""
        out: list[NoncurrentVersion] = []
        hi = _prefix_end(prefix)
        with self._lock:
            rows = self._db.execute(
                "SELECT key, seq, version, marker, mtime, size FROM versions WHERE bucket=? AND key>=? "
                + ("AND key<? " if hi is not None else "") + "ORDER BY key, seq DESC",
                (bucket, prefix, hi) if hi is not None else (bucket, prefix)).fetchall()
            current = {r[0]: r[1] for r in self._db.execute(
                "SELECT key, mtime FROM objects WHERE bucket=? AND key>=? " + ("AND key<?" if hi is not None else ""),
                (bucket, prefix, hi) if hi is not None else (bucket, prefix))}
        newer_mtime: float | None = None
        last_key = None
        for key, _seq, version, marker, mtime, size in rows:
            if key != last_key:
                last_key, newer_mtime = key, current.get(key)
                if newer_mtime is None:  # the newest row is the current version (a delete marker)
                    newer_mtime = mtime
                    continue
            since = newer_mtime
            newer_mtime = mtime
            if before is None or since < before:
                out.append(NoncurrentVersion(key, shown(version), bool(marker), since, size))
        return out

    # ------------------------------------------------------------------ listing
    def list_versions(self, bucket: str, prefix: str = "", delimiter: str = "", key_marker: str = "",
                      version_id_marker: str = "", max_keys: int = 1000
                      ) -> tuple[list[VersionEntry], list[str], bool, str | None, str | None]:
        """(versions and delete markers, common prefixes, truncated, next key marker, next version-id marker).

        Ordered by key, newest first within a key. Paged by (key-marker, version-id-marker): with
        a version-id marker, the page starts after that version of key-marker; without one,
        after every version of key-marker (and, when it is a common prefix, after all of it).
        """
        self.bucket(bucket)
        entries: list[VersionEntry] = []
        prefixes: list[str] = []
        resume_seq: int | None = None
        if version_id_marker and key_marker:
            resume_seq = self._seq_of(bucket, key_marker, version_id_marker)
        start, inclusive = (key_marker, False) if key_marker >= prefix and key_marker else (prefix, True)
        if resume_seq is not None:
            start, inclusive = key_marker, True
        elif delimiter and key_marker.startswith(prefix):
            cut = key_marker.find(delimiter, len(prefix))
            if cut >= 0 and key_marker == key_marker[: cut + len(delimiter)]:
                start, inclusive = _successor(key_marker), True  # type: ignore[assignment]
        next_key: str | None = None
        next_vid: str | None = None
        while start is not None:
            keys = self._keys_from(bucket, start, inclusive, 200)
            if not keys:
                break
            start = None
            for key in keys:
                if not key.startswith(prefix):
                    return entries, prefixes, False, None, None
                cut = key.find(delimiter, len(prefix)) if delimiter else -1
                if cut >= 0:
                    common = key[: cut + len(delimiter)]
                    if len(entries) + len(prefixes) >= max_keys:
                        return entries, prefixes, True, next_key, next_vid
                    prefixes.append(common)
                    next_key, next_vid = common, None
                    start, inclusive = _successor(common), True  # type: ignore[assignment]
                    break
                after = resume_seq if key == key_marker else None
                for entry in self._key_versions(bucket, key, after):
                    if len(entries) + len(prefixes) >= max_keys:
                        return entries, prefixes, True, next_key, next_vid
                    entries.append(entry)
                    next_key, next_vid = key, entry.version_id
                start, inclusive = key, False
        return entries, prefixes, False, None, None

    def _seq_of(self, bucket: str, key: str, version_id: str) -> int | None:
        version = stored(version_id)
        op = "IS" if version is None else "="
        with self._lock:
            if self._db.execute(f"SELECT 1 FROM objects WHERE bucket=? AND key=? AND version {op} ?",
                                (bucket, key, version)).fetchone():
                return TOP
            row = self._db.execute(f"SELECT seq FROM versions WHERE bucket=? AND key=? AND version {op} ?",
                                   (bucket, key, version)).fetchone()
        return row[0] if row else None

    def _keys_from(self, bucket: str, start: str, inclusive: bool, limit: int) -> list[str]:
        """The next ``limit`` keys (objects or versions) from ``start``, in order."""
        op = ">=" if inclusive else ">"
        with self._lock:
            rows = self._db.execute(
                f"SELECT key FROM objects WHERE bucket=? AND key {op} ? UNION "
                f"SELECT key FROM versions WHERE bucket=? AND key {op} ? ORDER BY key LIMIT ?",
                (bucket, start, bucket, start, limit)).fetchall()
        return [r[0] for r in rows]

    def _key_versions(self, bucket: str, key: str, after: int | None) -> list[VersionEntry]:
        """Every version of ``key``, newest first (only those older than seq ``after`` when given)."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {TOP} AS seq, version, 0 AS marker, mtime, etag, size, storage_class FROM objects "
                "WHERE bucket=? AND key=? UNION ALL "
                "SELECT seq, version, marker, mtime, etag, size, storage_class FROM versions "
                "WHERE bucket=? AND key=? ORDER BY seq DESC", (bucket, key, bucket, key)).fetchall()
        out = []
        for i, (seq, version, marker, mtime, etag, size, storage_class) in enumerate(rows):
            if after is not None and seq >= after:
                continue
            out.append(VersionEntry(key, shown(version), i == 0, bool(marker), mtime, etag, size, storage_class))
        return out


def _prefix_end(prefix: str) -> str | None:
    return _successor(prefix) if prefix else None


def marker_headers(record: ObjectRecord) -> dict[str, str]:
    """What a response about a delete marker carries."""
    return {"x-cos-delete-marker": "true", "x-cos-version-id": shown(record.version)}
