"""What the lifecycle sweep (`lifecycle_run`) needs of `Storage`: the buckets with rules, their
objects and uploads a page at a time, and the two changes a rule makes to an object, each
applied only if the object is still the one the sweep looked at (same blob): a client that
overwrites an object while a sweep runs keeps its new object.
"""

from __future__ import annotations

import json

from .metadb import StoreBase
from .records import ObjectRecord, object_from_row

PAGE = 500  # rows read per lock hold, so requests interleave with a long sweep


class LifecycleStore(StoreBase):
    def lifecycle_configs(self) -> list[tuple[str, list]]:
        """(bucket, stored document) of every bucket that has a lifecycle configuration."""
        with self._lock:
            rows = self._db.execute("SELECT bucket, body FROM bucket_configs WHERE sub='lifecycle' AND id=''").fetchall()
        return [(r[0], json.loads(r[1])) for r in rows]

    def objects_page(self, bucket: str, after: str, limit: int = PAGE) -> list[ObjectRecord]:
        """The bucket's current objects with keys after ``after``, in key order."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM objects WHERE bucket=? AND key>? ORDER BY key LIMIT ?",
                                    (bucket, after, limit)).fetchall()
        return [object_from_row(r) for r in rows]

    def uploads_of(self, bucket: str) -> list[tuple[str, str, float]]:
        """(key, upload id, initiated) of the bucket's incomplete multipart uploads."""
        with self._lock:
            rows = self._db.execute("SELECT key, upload_id, initiated FROM uploads WHERE bucket=?", (bucket,))
            return [(r[0], r[1], r[2]) for r in rows.fetchall()]

    def expire_current(self, bucket: str, key: str, blob: str) -> bool:
        """DELETE the object as a client's DELETE would (on a versioned bucket: a delete marker),
        if it still holds ``blob``; whether it did."""
        with self._lock:
            row = self._db.execute("SELECT blob FROM objects WHERE bucket=? AND key=?", (bucket, key)).fetchone()
            if row is None or row[0] != blob:
                return False
            self.delete_object(bucket, key)  # type: ignore[attr-defined]  # ObjectStore's, in Storage
            return True

    def transition_current(self, bucket: str, key: str, blob: str, storage_class: str) -> bool:
        """Record a storage-class transition on the object, if it still holds ``blob``."""
        with self._lock, self._tx():
            cur = self._db.execute("UPDATE objects SET storage_class=? WHERE bucket=? AND key=? AND blob=?",
                                   (storage_class, bucket, key, blob))
            return cur.rowcount > 0

    # ---------------------------------------------------------------- versions (VersionStore's tables)
    def _noncurrent_seq(self, bucket: str, key: str, version_id: str) -> int | None:
        """Under the lock: the ``versions`` row of a version that is still noncurrent (a newer
        version or marker exists), or None."""
        version = None if version_id == "null" else version_id
        op = "IS" if version is None else "="
        row = self._db.execute(f"SELECT seq FROM versions WHERE bucket=? AND key=? AND version {op} ?",
                               (bucket, key, version)).fetchone()
        if row is None:
            return None
        newer = self._db.execute("SELECT 1 FROM objects WHERE bucket=? AND key=?", (bucket, key)).fetchone() or \
            self._db.execute("SELECT 1 FROM versions WHERE bucket=? AND key=? AND seq>?", (bucket, key, row[0])).fetchone()
        return row[0] if newer else None

    def expire_noncurrent(self, bucket: str, key: str, version_id: str) -> bool:
        """Delete a noncurrent version (or delete marker) for good, if it is still noncurrent."""
        with self._lock:
            if self._noncurrent_seq(bucket, key, version_id) is None:
                return False
            self.delete_version(bucket, key, version_id)  # type: ignore[attr-defined]  # VersionStore's
            return True

    def transition_noncurrent(self, bucket: str, key: str, version_id: str, storage_class: str) -> bool:
        """Record a storage-class transition on a noncurrent version, if it is still noncurrent."""
        with self._lock, self._tx():
            seq = self._noncurrent_seq(bucket, key, version_id)
            if seq is None:
                return False
            cur = self._db.execute("UPDATE versions SET storage_class=? WHERE bucket=? AND key=? AND seq=? AND marker=0",
                                   (storage_class, bucket, key, seq))
            return cur.rowcount > 0

    def lone_delete_markers(self, bucket: str) -> list[tuple[str, str]]:
        """(key, version id) of every delete marker that is its key's only version: an "expired
        object delete marker" (ExpiredObjectDeleteMarker removes them)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT key, version FROM versions AS v WHERE bucket=? AND marker=1 "
                "AND NOT EXISTS (SELECT 1 FROM objects AS o WHERE o.bucket=v.bucket AND o.key=v.key) "
                "AND (SELECT count(*) FROM versions AS w WHERE w.bucket=v.bucket AND w.key=v.key)=1",
                (bucket,)).fetchall()
        return [(r[0], "null" if r[1] is None else r[1]) for r in rows]

    def remove_lone_marker(self, bucket: str, key: str, version_id: str) -> bool:
        """Delete an expired object delete marker, if it is still its key's only version."""
        with self._lock:
            if (key, version_id) not in self._lone_markers_of(bucket, key):
                return False
            self.delete_version(bucket, key, version_id)  # type: ignore[attr-defined]
            return True

    def _lone_markers_of(self, bucket: str, key: str) -> list[tuple[str, str]]:
        if self._db.execute("SELECT 1 FROM objects WHERE bucket=? AND key=?", (bucket, key)).fetchone():
            return []
        rows = self._db.execute("SELECT version, marker FROM versions WHERE bucket=? AND key=?", (bucket, key)).fetchall()
        if len(rows) != 1 or not rows[0][1]:
            return []
        return [(key, "null" if rows[0][0] is None else rows[0][0])]
