"""Objects: look up, open, commit, re-ACL, delete, copy and list (the part of `Storage` for objects).

A copy shares its source's blobs (`share_object`: a new manifest of the same files);
a blob is freed only once no object, part or segment row refers to it.
"""

from __future__ import annotations

import json
import uuid
from typing import BinaryIO

from .blobs import Blob
from .errors import CosServerError
from .metadb import StoreBase
from .records import ObjectMeta, ObjectRecord, meta_columns, now, object_from_row
from .segments import MANIFEST, SegmentReader, is_manifest


def _successor(prefix: str) -> str | None:
    """The smallest string greater than every string starting with ``prefix`` (None: there is none).

    Skips the surrogate block (no key holds one) and carries past U+10FFFF.
    """
    stem = prefix.rstrip("\U0010ffff")
    if not stem:
        return None
    nxt = ord(stem[-1]) + 1
    return stem[:-1] + chr(0xE000 if 0xD800 <= nxt <= 0xDFFF else nxt)


class ObjectStore(StoreBase):
    def find_object(self, bucket: str, key: str) -> ObjectRecord | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM objects WHERE bucket=? AND key=?", (bucket, key)).fetchone()
        return object_from_row(row) if row else None

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
                return record, open(self.blobs.path(record.blob), "rb")
            rows = self._db.execute(
                "SELECT blob, size FROM segments WHERE manifest=? ORDER BY seq", (record.blob,)
            ).fetchall()
            self.blobs.hold([r[0] for r in rows])
        return record, SegmentReader(self.blobs, record.blob, [(r[0], r[1]) for r in rows])  # type: ignore[return-value]

    def put_object(self, bucket: str, key: str, blob: Blob, meta: ObjectMeta, etag: str | None = None,
                   crc: str | None = None) -> ObjectRecord:
        """Commit a finished blob as the object's new version (last commit wins)."""
        record = ObjectRecord(bucket, key, blob.size, etag or f'"{blob.md5}"', crc if crc else blob.crc64, now(),
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
                        (bucket, key, record.size, record.etag, record.crc64, record.mtime, *meta_columns(meta),
                         blob.name),
                    )
            except BaseException:
                self.blobs.unlink([blob.name])
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

    def delete_objects(self, bucket: str, keys: list[str]) -> list[bool]:
        """Delete many keys in ONE transaction (one commit, one fsync); which of them existed.

        Blobs are freed after the commit, as for `delete_object`.
        """
        found: list[bool] = []
        freed: list[tuple[str, list[str]]] = []
        with self._lock:
            with self._tx():
                for key in keys:
                    row = self._db.execute("SELECT blob FROM objects WHERE bucket=? AND key=?", (bucket, key)).fetchone()
                    found.append(row is not None)
                    if row:
                        freed.append((row[0], self._detach(row[0])))
                        self._db.execute("DELETE FROM objects WHERE bucket=? AND key=?", (bucket, key))
            for ref, names in freed:
                self._free(ref, names)
        return found

    def share_object(self, source: ObjectRecord, bucket: str, key: str, meta: ObjectMeta) -> ObjectRecord | None:
        """PUT-copy without copying: ``bucket/key`` becomes a new manifest of ``source``'s blobs
        (its ETag and CRC-64 kept), if the source still has the version the caller opened and
        checked (else None: the caller copies the bytes it has open). One transaction; the
        shared blobs live on while any row refers to them (`metadb.StoreBase._free`)."""
        ref = MANIFEST + uuid.uuid4().hex
        with self._lock:
            with self._tx():
                self.bucket(bucket)
                if not self._has_ref(source.bucket, source.key, source.blob):
                    return None
                blobs = self._blob_list(source.blob, source.size)
                self._db.executemany("INSERT INTO segments (manifest, seq, blob, size) VALUES (?,?,?,?)",
                                     [(ref, i, name, size) for i, (name, size) in enumerate(blobs)])
                record = ObjectRecord(bucket, key, source.size, source.etag, source.crc64, now(), meta, ref)
                old = self._db.execute("SELECT blob FROM objects WHERE bucket=? AND key=?", (bucket, key)).fetchone()
                freed = self._detach(old[0]) if old else []
                self._db.execute(
                    "INSERT OR REPLACE INTO objects VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (bucket, key, record.size, record.etag, record.crc64, record.mtime, *meta_columns(meta), ref),
                )
            if old:
                self._free(old[0], freed)
        return record

    def single_blob(self, record: ObjectRecord) -> str | None:
        """The one blob file holding all of ``record``'s bytes (a plain object, or a manifest of one), or None."""
        with self._lock:
            blobs = self._blob_list(record.blob, record.size)
        return blobs[0][0] if len(blobs) == 1 else None

    def copy_blob(self, source: BinaryIO, first: int, length: int) -> Blob:
        """A new blob holding ``length`` bytes of the open file ``source`` from ``first``."""
        return self.blobs.copy(source, first, length)

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
                contents.append(object_from_row(row))
                last = key
                start, inclusive = key, False
