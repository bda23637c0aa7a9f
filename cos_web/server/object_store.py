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
from .records import ObjectMeta, ObjectRecord, meta_columns, now, object_from_row
from .segments import MANIFEST, SegmentReader, is_manifest
from .version_store import DeleteOutcome, VersionStore, _successor, marker_headers


class ObjectStore(VersionStore):
    def find_object(self, bucket: str, key: str) -> ObjectRecord | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM objects WHERE bucket=? AND key=?", (bucket, key)).fetchone()
        return object_from_row(row) if row else None

    def get_object(self, bucket: str, key: str, version_id: str | None = None) -> ObjectRecord:
        """The current version (NoSuchKey, with the delete marker's headers when one is current),
        or with ``version_id`` that version (see `VersionStore.get_version`)."""
        if version_id is not None:
            return self.get_version(bucket, key, version_id)
        found = self.find_object(bucket, key)
        if found is None:
            self.bucket(bucket)
            marker = self.latest_marker(bucket, key)
            raise CosServerError("NoSuchKey", headers=marker_headers(marker) if marker else None)
        return found

    def open_object(self, bucket: str, key: str, version_id: str | None = None) -> tuple[ObjectRecord, BinaryIO]:
        """The record and an open file of its bytes, taken together so no writer can swap them.

        For a multipart object the "file" is a `SegmentReader`; ``close()`` it (as any file).
        """
        with self._lock:
            record = self.get_object(bucket, key, version_id)
            if not is_manifest(record.blob):
                return record, open(self.blobs.path(record.blob), "rb")
            rows = self._db.execute(
                "SELECT blob, size FROM segments WHERE manifest=? ORDER BY seq", (record.blob,)
            ).fetchall()
            self.blobs.hold([r[0] for r in rows])
        return record, SegmentReader(self.blobs, record.blob, [(r[0], r[1]) for r in rows])  # type: ignore[return-value]

    def put_object(self, bucket: str, key: str, blob: Blob, meta: ObjectMeta, etag: str | None = None,
                   crc: str | None = None) -> ObjectRecord:
        """Commit a finished blob as the object's new version (last commit wins).

        The previous version is dropped or kept as the bucket's versioning says (`VersionStore`);
        ``record.version`` is the new version's id.
        """
        record = ObjectRecord(bucket, key, blob.size, etag or f'"{blob.md5}"', crc if crc else blob.crc64, now(),
                              meta, blob.name)
        with self._lock:
            try:
                with self._tx():
                    self.bucket(bucket)
                    freed, _ = self._write_current(record, meta_columns(meta))
            except BaseException:
                self.blobs.unlink([blob.name])
                raise
            self._free_all(freed)
        return record

    def set_object_acl(self, bucket: str, key: str, acl: dict) -> None:
        with self._lock, self._tx():
            self.get_object(bucket, key)
            self._db.execute("UPDATE objects SET acl=? WHERE bucket=? AND key=?", (json.dumps(acl), bucket, key))

    def delete_object(self, bucket: str, key: str, version_id: str | None = None) -> DeleteOutcome:
        """DELETE Object: the object goes, or (versioned bucket) a delete marker is written;
        with ``version_id``, that version goes for good."""
        return self.delete_entries(bucket, [(key, version_id)])[0]

    def delete_objects(self, bucket: str, keys: list[str]) -> list[DeleteOutcome]:
        """Delete many keys in ONE transaction (one commit, one fsync); blobs are freed after it."""
        return self.delete_entries(bucket, [(key, None) for key in keys])

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
                freed, _ = self._write_current(record, meta_columns(meta))
            self._free_all(freed)
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
