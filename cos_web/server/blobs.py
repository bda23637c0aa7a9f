"""Object bytes on disk: the blob store owns the file layout.

Under the data directory, a body being received lives in ``tmp/<random>``; once
durable it is ``blobs/<xx>/<random>`` (names are random, never derived from keys,
so no key can name a path outside the data directory). A `BlobWriter` streams to
``tmp/``, hashing as it goes (CRC-64 with the write on a worker thread; MD5, the
ETag, either there too or on a hashing thread of its own, `hash_pool`, beside the write),
starts writeback early, and on `finish` fsyncs and renames the file into
``blobs/``. `BlobStore.free` unlinks blobs nothing refers to any more (the caller,
`metadb.StoreBase._free`, has checked that no row does: blobs are shared by copies);
while a reader holds blobs open (`hold`), they wait until the last reader lets go
(`release`). Nothing here knows keys, buckets, SQL or HTTP.
"""

from __future__ import annotations

import hashlib
import os
import threading
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO

from . import crc64

# Without a fast CRC-64 (liblzma or crcmod's C extension), CRC-64 is only computed for bodies up to this size.
SLOW_CRC_LIMIT = 8 << 20
# Start writeback (fdatasync) every this many bytes so the final fsync is short.
FLUSH_EVERY = 16 << 20
# Freeing more blob files than this is left to a worker thread (the caller may be the event loop).
UNLINK_INLINE = 64


@dataclass
class Blob:
    name: str
    size: int
    md5: str
    crc64: str | None


def private_dir(path: str, only_if_ours: tuple[str, ...] = ()) -> str:
    """Make ``path`` (and missing parents) a directory only its owner can enter (0700).

    With ``only_if_ours``, an existing directory is changed only when it is empty or holds one
    of those names (a data dir pointed at ``.`` or ``/tmp`` keeps its mode).
    """
    os.makedirs(path, mode=0o700, exist_ok=True)
    if only_if_ours:
        entries = os.listdir(path)
        if entries and not any(name in entries for name in only_if_ours):
            return path
    os.chmod(path, 0o700)
    return path


def private_file(path: str) -> str:
    """Create ``path`` if missing, readable and writable by its owner only (0600)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    os.chmod(path, 0o600)
    return path


class BlobStore:
    """The ``tmp/`` and ``blobs/`` folders of a data directory. ``durable=False`` skips fsyncs."""

    def __init__(self, data_dir: str, durable: bool = True) -> None:
        self.durable = durable
        self.tmp_dir = os.path.join(data_dir, "tmp")
        self.blob_dir = os.path.join(data_dir, "blobs")
        private_dir(self.tmp_dir)
        private_dir(self.blob_dir)
        self.pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="cos-blob")
        # MD5 of a body being received runs here, beside its write on `pool` (hashlib drops the
        # GIL): a PUT's ingest is then bounded by the slower of MD5 and write+CRC, not their sum.
        # A pool of its own: a hashing job never waits for a `pool` job, so neither can starve the other.
        self.hash_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="cos-md5")
        self._lock = threading.Lock()
        self._readers: dict[str, int] = {}  # blob name -> open readers (of a multipart or copied object)
        self._doomed: set[str] = set()  # blobs to unlink when their last reader closes

    def close(self) -> None:
        self.pool.shutdown(wait=False)
        self.hash_pool.shutdown(wait=False)

    # ------------------------------------------------------------------ layout
    def new_name(self) -> str:
        """A fresh blob name; its folder exists, and a new folder's entry is durable."""
        name = uuid.uuid4().hex
        folder = os.path.join(self.blob_dir, name[:2])
        if not os.path.isdir(folder):
            os.makedirs(folder, mode=0o700, exist_ok=True)
            if self.durable:
                self.fsync_dir(self.blob_dir)
        return f"{name[:2]}/{name}"

    def path(self, name: str) -> str:
        return os.path.join(self.blob_dir, name)

    def fsync_dir(self, path: str) -> None:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def sweep(self, used: set[str]) -> None:
        """Drop leftovers of interrupted writes: temp files, and blobs not in ``used``."""
        for name in os.listdir(self.tmp_dir):
            try:
                os.unlink(os.path.join(self.tmp_dir, name))
            except OSError:
                pass
        for sub in os.listdir(self.blob_dir):
            folder = os.path.join(self.blob_dir, sub)
            for name in os.listdir(folder):
                if f"{sub}/{name}" not in used:
                    os.unlink(os.path.join(folder, name))

    # ------------------------------------------------------------------ writing
    def writer(self) -> BlobWriter:
        return BlobWriter(self)

    def copy(self, source: BinaryIO, first: int, length: int) -> Blob:
        """A new blob holding ``length`` bytes of the open file ``source`` from ``first``."""
        writer = self.writer()
        try:
            source.seek(first)
            remaining = length
            while remaining > 0:
                chunk = source.read(min(remaining, 1 << 20))
                if not chunk:
                    break
                writer.write(chunk)
                remaining -= len(chunk)
            return writer.finish()
        except BaseException:
            writer.discard()
            raise

    # ------------------------------------------------------------------ freeing
    def unlink(self, names: list[str]) -> None:
        for name in names:
            try:
                os.unlink(self.path(name))
            except FileNotFoundError:
                pass

    def hold(self, names: list[str]) -> None:
        """A reader opened these blobs: any of them freed meanwhile waits for `release`.

        Counted per blob file, not per object: objects share blobs (a copy is a new
        manifest of its source's blobs), so the reader of one object must keep the
        files alive even when another object sharing them is the one deleted last.
        """
        with self._lock:
            for name in names:
                self._readers[name] = self._readers.get(name, 0) + 1

    def release(self, names: list[str]) -> None:
        unlinkable = []
        with self._lock:
            for name in names:
                left = self._readers.get(name, 0) - 1
                if left > 0:
                    self._readers[name] = left
                    continue
                self._readers.pop(name, None)
                if name in self._doomed:
                    self._doomed.discard(name)
                    unlinkable.append(name)
        self.free(unlinkable)

    def free(self, names: list[str]) -> None:
        """Unlink ``names`` (blobs no row refers to any more), or once the last reader of each lets go."""
        if not names:
            return
        with self._lock:
            held = [n for n in names if n in self._readers]
            self._doomed.update(held)
            names = [n for n in names if n not in self._readers]
        if len(names) > UNLINK_INLINE:
            try:
                self.pool.submit(self.unlink, names)
                return
            except RuntimeError:  # pool shut down (closing)
                pass
        self.unlink(names)


class BlobWriter:
    """Streams bytes to a temporary file, hashing as it goes; `finish` makes it durable."""

    def __init__(self, store: BlobStore) -> None:
        self._store = store
        self.tmp_path = os.path.join(store.tmp_dir, uuid.uuid4().hex)
        fd = os.open(self.tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # blobs are 0600
        self._file: BinaryIO | None = open(fd, "wb", buffering=0)
        self._md5 = hashlib.md5()
        self._crc: crc64.Crc64 | None = crc64.Crc64()
        self.size = 0
        self._flushed = 0
        self._flush_job: Future | None = None
        self._flush_error: OSError | None = None
        # Replaceable (a fault rule's fsync:eio): a failure of either fails `finish`.
        self.sync = os.fsync
        self.datasync = os.fdatasync

    def _wait_flush(self) -> None:
        """Wait for early writeback; keep its error for `finish` (Linux reports a failed
        writeback once: a later fsync may succeed with the data lost)."""
        if self._flush_job is not None:
            try:
                self._flush_job.result()
            except OSError as exc:
                self._flush_error = self._flush_error or exc
            self._flush_job = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Append a chunk: write, MD5 and CRC-64 in this (worker) thread.

        All three drop the GIL for large chunks when CRC-64 comes from liblzma
        (`crc64.RELEASES_GIL`), so the event loop keeps receiving meanwhile. (A
        helper thread for the CRC bought nothing: crcmod holds the GIL anyway, and
        waiting on another job of the same pool could deadlock it under load.)
        """
        self.write_data(data)
        self._md5.update(data)

    def write_data(self, data: bytes | bytearray | memoryview) -> None:
        """Append a chunk without its MD5 (the caller runs `update_md5` on the same chunks, in
        order, on another thread): write and CRC-64 here, writeback started early."""
        assert self._file is not None
        if self._crc is not None:
            if not crc64.FAST and self.size + len(data) > SLOW_CRC_LIMIT:
                self._crc = None
            else:
                self._crc.update(data)
        self._file.write(data)
        self.size += len(data)
        if self._store.durable and self.size - self._flushed >= FLUSH_EVERY and (
            self._flush_job is None or self._flush_job.done()
        ):
            # Start writeback early so the final fsync is short (overlaps disk with network).
            self._flushed = self.size
            self._flush_job = self._store.pool.submit(self.datasync, self._file.fileno())

    def update_md5(self, data: bytes | bytearray | memoryview) -> None:
        """The MD5 half of `write` (for a caller that runs it beside `write_data`)."""
        self._md5.update(data)

    @property
    def md5_hex(self) -> str:
        return self._md5.hexdigest()

    def finish(self) -> Blob:
        """fsync, rename into blobs/, and describe the result.

        Any fsync/fdatasync failure raises (the caller answers 500 and commits
        nothing; `discard` removes the temporary file, a renamed blob is unlinked).
        """
        assert self._file is not None
        self._wait_flush()
        if self._flush_error is not None:
            raise self._flush_error
        if self._store.durable:
            self.sync(self._file.fileno())
        self._file.close()
        self._file = None
        name = self._store.new_name()
        os.replace(self.tmp_path, self._store.path(name))
        if self._store.durable:
            try:
                self._store.fsync_dir(os.path.dirname(self._store.path(name)))
            except OSError:
                self._store.unlink([name])
                raise
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
