"""Multipart uploads: initiate, parts, complete (without copying: the object becomes a
manifest of its part blobs), abort and listing (the part of `Storage` for uploads).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid

from ..values import MAX_PARTS, MIN_PART_SIZE
from . import crc64
from .blobs import Blob
from .errors import CosServerError
from .records import ObjectMeta, ObjectRecord, Part, Upload, meta_columns, meta_from_row, now
from .object_store import _successor
from .segments import MANIFEST
from .version_store import VersionStore

_BATCH = 200  # rows read per query when listing uploads


class MultipartStore(VersionStore):
    def create_upload(self, bucket: str, key: str, meta: ObjectMeta) -> Upload:
        upload = Upload(f"{int(now())}{secrets.token_hex(16)}", bucket, key, now(), meta)
        with self._lock, self._tx():
            self.bucket(bucket)
            self._db.execute(
                "INSERT INTO uploads VALUES (?,?,?,?,?,?,?,?,?)",
                (upload.upload_id, bucket, key, upload.initiated, *meta_columns(meta)),
            )
        return upload

    def get_upload(self, bucket: str, key: str, upload_id: str) -> Upload:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM uploads WHERE upload_id=? AND bucket=? AND key=?", (upload_id, bucket, key)
            ).fetchone()
        if row is None:
            self.bucket(bucket)
            raise CosServerError("NoSuchUpload")
        return Upload(row["upload_id"], row["bucket"], row["key"], row["initiated"], meta_from_row(row))

    def put_part(self, bucket: str, key: str, upload_id: str, number: int, blob: Blob,
                 shared_from: tuple[str, str, str] | None = None) -> Part | None:
        """Store a part. ``shared_from`` (bucket, key, blob reference): ``blob`` is that object's
        one blob, taken as the part without copying, if the object still has that reference
        (else None: the caller copies the bytes it has open)."""
        part = Part(number, blob.size, f'"{blob.md5}"', blob.crc64, now(), blob.name)
        with self._lock:
            try:
                with self._tx():
                    self.get_upload(bucket, key, upload_id)
                    if shared_from is not None and not self._has_ref(*shared_from):
                        return None
                    old = self._db.execute(
                        "SELECT blob FROM parts WHERE upload_id=? AND part_number=?", (upload_id, number)
                    ).fetchone()
                    self._db.execute(
                        "INSERT OR REPLACE INTO parts VALUES (?,?,?,?,?,?,?)",
                        (upload_id, number, part.size, part.etag, part.crc64, part.mtime, blob.name),
                    )
            except BaseException:
                if shared_from is None:
                    self.blobs.unlink([blob.name])
                raise
            if old:
                self._free(None, [old[0]])
        return part

    def uploads_initiated_before(self, cutoff: float) -> list[tuple[str, str, str]]:
        """(bucket, key, upload id) of every upload initiated before ``cutoff`` (the TTL sweep)."""
        with self._lock:
            rows = self._db.execute("SELECT bucket, key, upload_id FROM uploads WHERE initiated < ?", (cutoff,))
            return [(r[0], r[1], r[2]) for r in rows.fetchall()]

    def list_parts(self, upload_id: str, marker: int = 0, max_parts: int = 1000) -> tuple[list[Part], bool]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM parts WHERE upload_id=? AND part_number>? ORDER BY part_number LIMIT ?",
                (upload_id, marker, max_parts + 1),
            ).fetchall()
        parts = [Part(r["part_number"], r["size"], r["etag"], r["crc64"], r["mtime"], r["blob"]) for r in rows]
        return parts[:max_parts], len(parts) > max_parts

    def abort_upload(self, bucket: str, key: str, upload_id: str) -> None:
        with self._lock:
            with self._tx():
                self.get_upload(bucket, key, upload_id)
                blobs = [r[0] for r in self._db.execute("SELECT blob FROM parts WHERE upload_id=?", (upload_id,))]
                self._db.execute("DELETE FROM parts WHERE upload_id=?", (upload_id,))
                self._db.execute("DELETE FROM uploads WHERE upload_id=?", (upload_id,))
            self._free(None, blobs)  # a copied part may share its source's blob

    def complete_upload(self, bucket: str, key: str, upload_id: str, listed: list[tuple[int, str]]) -> ObjectRecord:
        """Check the listed parts against COS's rules and commit them as the object, without copying.

        One transaction: the object row points at a new manifest of the listed parts'
        blobs (or at the one part's blob), the upload and its parts rows go. Part files
        are already durable (fsynced when uploaded), so the commit is all it takes.
        """
        self.get_upload(bucket, key, upload_id)
        if not listed:
            raise CosServerError("MalformedXML")
        numbers = [n for n, _ in listed]
        if any(b <= a for a, b in zip(numbers, numbers[1:])):
            raise CosServerError("InvalidPartOrder")
        with self._lock:
            with self._tx():
                upload = self.get_upload(bucket, key, upload_id)  # aborted or completed meanwhile?
                stored, _ = self.list_parts(upload_id, 0, MAX_PARTS)
                by_number = {p.number: p for p in stored}
                parts = []
                for (number, etag), prev in zip(listed, [None] + numbers[:-1]):
                    part = by_number.get(number)
                    if part is None or part.etag.strip('"') != etag.strip().strip('"').lower():
                        raise CosServerError("InvalidPart")
                    if prev is not None and number != prev + 1:
                        raise CosServerError("InvalidPart", "The part numbers are not continuous.")
                    parts.append(part)
                for part in parts[:-1]:
                    if part.size < MIN_PART_SIZE:
                        raise CosServerError("EntityTooSmall")
                crc: int | None = 0
                for part in parts:
                    crc = crc64.combine(crc, int(part.crc64), part.size) if crc is not None and part.crc64 else None
                digest = hashlib.md5(b"".join(bytes.fromhex(p.etag.strip('"')) for p in parts)).hexdigest()
                etag = f'"{digest}-{len(parts)}"'
                crc_text = str(crc) if crc is not None else None
                if len(parts) == 1 and not self._db.execute(  # its blob no other object's (a part copy's)
                        "SELECT 1 FROM objects WHERE blob=? UNION ALL SELECT 1 FROM segments WHERE blob=? LIMIT 1",
                        (parts[0].blob, parts[0].blob)).fetchone():
                    ref = parts[0].blob
                else:
                    ref = MANIFEST + uuid.uuid4().hex
                    self._db.executemany("INSERT INTO segments VALUES (?,?,?,?)",
                                         [(ref, i, p.blob, p.size) for i, p in enumerate(parts)])
                record = ObjectRecord(bucket, key, sum(p.size for p in parts), etag, crc_text, now(), upload.meta,
                                      ref)
                freed, _ = self._write_current(record, meta_columns(upload.meta))
                self._db.execute("DELETE FROM parts WHERE upload_id=?", (upload_id,))
                self._db.execute("DELETE FROM uploads WHERE upload_id=?", (upload_id,))
            used = {p.blob for p in parts}
            self._free(None, [p.blob for p in stored if p.blob not in used])  # uploaded but not listed
            self._free_all(freed)
        return record

    def list_uploads(self, bucket: str, prefix: str = "", delimiter: str = "", key_marker: str = "",
                     upload_id_marker: str = "", max_uploads: int = 1000
                     ) -> tuple[list[Upload], list[str], bool, str | None, str | None]:
        """(uploads, common prefixes, truncated, next key marker, next upload-id marker).

        Paged from the ``(bucket, key, upload_id)`` index, a batch at a time, skipping a
        common prefix's uploads with one seek: the cost follows the page, not the bucket.
        """
        self.bucket(bucket)
        uploads: list[Upload] = []
        prefixes: list[str] = []
        next_key = next_id = None
        # Where to read from: ("ge", key) key >= key; ("gt", key) key > key; ("after", key, id) past that row.
        cursor: tuple | None = ("ge", prefix)
        if key_marker and key_marker >= prefix:
            cursor = ("after", key_marker, upload_id_marker) if upload_id_marker else ("gt", key_marker)
        while cursor is not None:
            rows = self._upload_rows(bucket, cursor, _BATCH)
            if not rows:
                break
            cursor = None
            for row in rows:
                key, uid = row["key"], row["upload_id"]
                if not key.startswith(prefix):
                    return uploads, prefixes, False, None, None
                cut = key.find(delimiter, len(prefix)) if delimiter else -1
                if cut >= 0:
                    common = key[: cut + len(delimiter)]
                    following = _successor(common)
                    cursor = ("ge", following) if following is not None else None
                    if key_marker and common <= key_marker and not upload_id_marker:
                        break
                    if len(uploads) + len(prefixes) >= max_uploads:
                        return uploads, prefixes, True, next_key, next_id
                    prefixes.append(common)
                    next_key, next_id = common, ""
                    break
                if len(uploads) + len(prefixes) >= max_uploads:
                    return uploads, prefixes, True, next_key, next_id
                uploads.append(Upload(uid, bucket, key, row["initiated"], meta_from_row(row)))
                next_key, next_id = key, uid
                cursor = ("after", key, uid)
        return uploads, prefixes, False, None, None

    def _upload_rows(self, bucket: str, cursor: tuple, limit: int) -> list:
        where = {"ge": "key >= ?", "gt": "key > ?", "after": "(key, upload_id) > (?, ?)"}[cursor[0]]
        with self._lock:
            return self._db.execute(
                f"SELECT * FROM uploads WHERE bucket=? AND {where} ORDER BY key, upload_id LIMIT ?",
                (bucket, *cursor[1:], limit),
            ).fetchall()
