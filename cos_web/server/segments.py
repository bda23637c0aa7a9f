"""Multipart objects as manifests: an object whose ``blob`` is ``m:<random>`` is the
ordered list of its part blobs (rows of ``segments``), and `SegmentReader` reads
such an object as one file.
"""

from __future__ import annotations

import bisect
from typing import BinaryIO

from .blobs import BlobStore

MANIFEST = "m:"  # prefix of an object's blob reference that names a list of part blobs
APPENDABLE = MANIFEST + "append:"  # an appendable object's manifest (its appended blocks); never hex


def is_manifest(ref: str) -> bool:
    return ref.startswith(MANIFEST)


def is_appendable(ref: str) -> bool:
    """Whether the object with this blob reference was made by APPEND Object (``x-cos-object-type``)."""
    return ref.startswith(APPENDABLE)


class SegmentReader:
    """A multipart object's bytes as one read-only file: ``seek``, ``read``, ``tell``, ``close``.

    Opens one part file at a time. The blob store keeps the parts on disk until this
    is closed (it is opened holding their names), even if the object (or another one
    sharing them) is overwritten or deleted meanwhile (no torn reads).
    """

    def __init__(self, blobs: BlobStore, ref: str, segments: list[tuple[str, int]]) -> None:
        self._blobs = blobs
        self._ref: str | None = ref
        self._names = [name for name, _ in segments]
        self._starts: list[int] = []
        total = 0
        for _, size in segments:
            self._starts.append(total)
            total += size
        self._sizes = [size for _, size in segments]
        self.size = total
        self._pos = 0
        self._index = -1
        self._fh: BinaryIO | None = None

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self.size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def read(self, n: int = -1) -> bytes:
        """Up to ``n`` bytes (all the rest for -1), never past the end of the current part."""
        if self._ref is None:
            raise ValueError("read of a closed SegmentReader")
        if self._pos >= self.size or n == 0:
            return b""
        if n < 0:
            out = bytearray()
            while chunk := self.read(1 << 20):
                out += chunk
            return bytes(out)
        i = bisect.bisect_right(self._starts, self._pos) - 1
        while self._sizes[i] == 0:  # empty parts (only a last part can be, but be safe)
            i += 1
        within = self._pos - self._starts[i]
        if i != self._index:
            if self._fh is not None:
                self._fh.close()
            self._fh = None
            self._fh = open(self._blobs.path(self._names[i]), "rb")
            self._index = i
        assert self._fh is not None
        if self._fh.tell() != within:
            self._fh.seek(within)
        data = self._fh.read(min(n, self._sizes[i] - within))
        if not data:
            raise OSError(f"part blob {self._names[i]} is shorter than recorded")
        self._pos += len(data)
        return data

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        ref, self._ref = self._ref, None
        if ref is not None:
            self._blobs.release(self._names)

    def __enter__(self) -> SegmentReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
