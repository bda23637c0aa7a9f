"""Appendable objects (APPEND Object): a manifest that grows one segment per append.

An appendable object's ``blob`` is a manifest reference of its own kind
(``m:append:<random>``, see `segments.APPENDABLE`): its segments are the appended
blocks, in order. An append is one metadata transaction that adds a segment row and
updates the object's size, ETag, CRC-64 and mtime; no byte already stored is read
or copied. Overwriting (PUT, copy, multipart) or deleting the key drops the
manifest like any other, so the object is then ``normal`` again.

Checksums (COS documents neither for the whole object; these are our choices,
docs/server.md "Appendable objects"):

- CRC-64 of the whole object, combined from the blocks' CRCs (what a PUT of the
  same bytes would give);
- ETag: the first block's MD5; after that ``MD5(previous ETag digest + block MD5)``,
  so it changes with every append, never repeats for different content histories,
  and costs nothing to compute (an MD5 of the whole object would mean re-reading it).
"""

from __future__ import annotations

import hashlib
import uuid

from ..values import MAX_APPEND_SIZE
from . import crc64
from .blobs import Blob
from .errors import CosServerError
from .metadb import StoreBase
from .records import ObjectMeta, ObjectRecord, meta_columns, now, object_from_row
from .segments import APPENDABLE, is_appendable


def chain_etag(previous: str, block_md5: str) -> str:
    """The appendable object's ETag after a block with MD5 ``block_md5`` (hex) is appended."""
    digest = hashlib.md5(bytes.fromhex(previous.strip('"')) + bytes.fromhex(block_md5)).hexdigest()
    return f'"{digest}"'


class AppendStore(StoreBase):
    def append_object(self, bucket: str, key: str, position: int, blob: Blob, meta: ObjectMeta) -> ObjectRecord:
        """Append ``blob`` at ``position`` (the object's current length), creating the object at 0.

        ObjectNotAppendable (409) for a normal object, PositionNotEqualToLength (409) when
        ``position`` is not the current length, EntityTooLarge past `MAX_APPEND_SIZE`.
        ``meta`` is used only when the append creates the object. On any refusal the blob is unlinked.
        """
        with self._lock:
            try:
                with self._tx():
                    self.bucket(bucket)
                    row = self._db.execute("SELECT * FROM objects WHERE bucket=? AND key=?", (bucket, key)).fetchone()
                    current = object_from_row(row) if row else None
                    if current is not None and not is_appendable(current.blob):
                        raise CosServerError("ObjectNotAppendable")
                    length = current.size if current is not None else 0
                    if position != length:
                        raise CosServerError("PositionNotEqualToLength",
                                             headers={"x-cos-next-append-position": str(length)})
                    if length + blob.size > MAX_APPEND_SIZE:
                        raise CosServerError("EntityTooLarge", "An appendable object cannot grow past 5 GB.")
                    if current is None:
                        record = ObjectRecord(bucket, key, blob.size, f'"{blob.md5}"', blob.crc64, now(), meta,
                                              APPENDABLE + uuid.uuid4().hex)
                        self._db.execute("INSERT INTO segments VALUES (?,?,?,?)", (record.blob, 0, blob.name, blob.size))
                        self._db.execute(
                            "INSERT INTO objects (bucket, key, size, etag, crc64, mtime, content_type, headers, meta, "
                            "storage_class, acl, blob) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                            (bucket, key, record.size, record.etag, record.crc64, record.mtime, *meta_columns(meta),
                             record.blob),
                        )
                        return record
                    seq = self._db.execute("SELECT COALESCE(MAX(seq), -1) + 1 FROM segments WHERE manifest=?",
                                           (current.blob,)).fetchone()[0]
                    crc = None
                    if current.crc64 is not None and blob.crc64 is not None:
                        crc = str(crc64.combine(int(current.crc64), int(blob.crc64), blob.size))
                    current.size += blob.size
                    current.etag = chain_etag(current.etag, blob.md5)
                    current.crc64 = crc
                    current.mtime = now()
                    self._db.execute("INSERT INTO segments VALUES (?,?,?,?)", (current.blob, seq, blob.name, blob.size))
                    self._db.execute("UPDATE objects SET size=?, etag=?, crc64=?, mtime=? WHERE bucket=? AND key=?",
                                     (current.size, current.etag, current.crc64, current.mtime, bucket, key))
                    return current
            except BaseException:
                self.blobs.unlink([blob.name])
                raise
