"""Stored bucket configurations (``configs.KINDS``) in the metadata DB: one row per
(bucket, sub-resource, id), the validated document as JSON. A bucket's rows go with it.
An object's tags are kept with the object (``object_tags``); they are set here too."""

from __future__ import annotations

import json

from . import object_tags
from .errors import CosServerError
from .metadb import StoreBase


class ConfigStore(StoreBase):
    def get_config(self, bucket: str, sub: str, ident: str = "") -> list | None:
        """The stored document tree, or None."""
        with self._lock:
            row = self._db.execute("SELECT body FROM bucket_configs WHERE bucket=? AND sub=? AND id=?",
                                   (bucket, sub, ident)).fetchone()
        return json.loads(row[0]) if row else None

    def put_config(self, bucket: str, sub: str, tree: list, ident: str = "", limit: int | None = None) -> None:
        """Store (replace) a document; ``limit`` caps how many ids one bucket may hold (TooManyConfigurations)."""
        with self._lock, self._tx():
            self.bucket(bucket)
            if limit is not None:
                count = self._db.execute("SELECT count(*) FROM bucket_configs WHERE bucket=? AND sub=? AND id<>?",
                                         (bucket, sub, ident)).fetchone()[0]
                if count >= limit:
                    raise CosServerError("TooManyConfigurations")
            self._db.execute("INSERT OR REPLACE INTO bucket_configs (bucket, sub, id, body) VALUES (?,?,?,?)",
                             (bucket, sub, ident, json.dumps(tree)))

    def delete_config(self, bucket: str, sub: str, ident: str = "") -> bool:
        """Remove a document; False when there was none."""
        with self._lock, self._tx():
            self.bucket(bucket)
            cur = self._db.execute("DELETE FROM bucket_configs WHERE bucket=? AND sub=? AND id=?", (bucket, sub, ident))
            return cur.rowcount > 0

    def list_configs(self, bucket: str, sub: str, after: str = "", limit: int = 100) -> list[tuple[str, list]]:
        """(id, tree) of a keyed sub-resource, in id order, ids after ``after``."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, body FROM bucket_configs WHERE bucket=? AND sub=? AND id>? ORDER BY id LIMIT ?",
                (bucket, sub, after, limit)).fetchall()
        return [(r[0], json.loads(r[1])) for r in rows]

    def set_object_tags(self, bucket: str, key: str, tags: list) -> None:
        """Replace an object's tags (NoSuchKey if there is no such object)."""
        with self._lock, self._tx():
            self.bucket(bucket)
            row = self._db.execute("SELECT headers FROM objects WHERE bucket=? AND key=?", (bucket, key)).fetchone()
            if row is None:
                raise CosServerError("NoSuchKey")
            headers = json.loads(row[0])
            object_tags.store(headers, tags)
            self._db.execute("UPDATE objects SET headers=? WHERE bucket=? AND key=?", (json.dumps(headers), bucket, key))
