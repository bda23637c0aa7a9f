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
