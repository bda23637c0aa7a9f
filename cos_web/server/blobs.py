"""Object bytes on disk: a `BlobWriter` streams to ``tmp/``, hashing as it goes
(MD5 and CRC-64, on the calling worker thread), starts writeback early, and on
`finish` fsyncs and renames the file into ``blobs/`` under a random name. Nothing
here knows keys, buckets or HTTP.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

from . import crc64

if TYPE_CHECKING:
    from .storage import Storage

# Without a fast CRC-64 (liblzma or crcmod's C extension), CRC-64 is only computed for bodies up to this size.
SLOW_CRC_LIMIT = 8 << 20
# Start writeback (fdatasync) every this many bytes so the final fsync is short.
FLUSH_EVERY = 16 << 20


@dataclass
class Blob:
    name: str
    size: int
    md5: str
    crc64: str | None



class BlobWriter:
    """Streams bytes to a temporary file, hashing as it goes; `finish` makes it durable."""

    def __init__(self, storage: "Storage") -> None:
        self._storage = storage
        self.tmp_path = os.path.join(storage.tmp_dir, uuid.uuid4().hex)
        self._file: BinaryIO | None = open(self.tmp_path, "wb", buffering=0)
        self._md5 = hashlib.md5()
        self._crc: crc64.Crc64 | None = crc64.Crc64()
        self.size = 0
        self._flushed = 0
        self._flush_job: Future | None = None

    def _wait_flush(self) -> None:
        if self._flush_job is not None:
            try:
                self._flush_job.result()
            except OSError:
                pass
            self._flush_job = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Append a chunk: write, MD5 and CRC-64 in this (worker) thread.

        All three drop the GIL for large chunks when CRC-64 comes from liblzma
        (`crc64.RELEASES_GIL`), so the event loop keeps receiving meanwhile. (A
        helper thread for the CRC bought nothing: crcmod holds the GIL anyway, and
        waiting on another job of the same pool could deadlock it under load.)
        """
        assert self._file is not None
        if self._crc is not None:
            if not crc64.FAST and self.size + len(data) > SLOW_CRC_LIMIT:
                self._crc = None
            else:
                self._crc.update(data)
        self._file.write(data)
        self._md5.update(data)
        self.size += len(data)
        if self._storage.durable and self.size - self._flushed >= FLUSH_EVERY and (
            self._flush_job is None or self._flush_job.done()
        ):
            # Start writeback early so the final fsync is short (overlaps disk with network).
            self._flushed = self.size
            self._flush_job = self._storage.pool.submit(os.fdatasync, self._file.fileno())

    @property
    def md5_hex(self) -> str:
        return self._md5.hexdigest()

    def finish(self) -> Blob:
        """fsync, rename into blobs/, and describe the result."""
        assert self._file is not None
        self._wait_flush()
        if self._storage.durable:
            os.fsync(self._file.fileno())
        self._file.close()
        self._file = None
        name = self._storage.new_blob_name()
        os.replace(self.tmp_path, self._storage.blob_path(name))
        if self._storage.durable:
            self._storage.fsync_dir(os.path.dirname(self._storage.blob_path(name)))
        crc = str(self._crc.value) if self._crc is not None else None
        return Blob(name, self.size, self._md5.hexdigest(), crc)

    def discard(self) -> None:
        self._wait_flush()
        if self._file is not None:
            self._file.close()
            self._file = None
        try:
            os.unlink(self.tmp_path)
        except FileNotFoundError:
            pass
