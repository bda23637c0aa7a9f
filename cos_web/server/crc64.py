"""CRC-64/ECMA as COS computes ``x-cos-hash-crc64ecma`` (crcmod's
``mkCrcFun(0x142F0E1EBA9EA3693, initCrc=0, xorOut=0xffffffffffffffff, rev=True)``,
the function cos-python-sdk-v5 checks downloads with; the same CRC as xz's CRC-64).

Implementations, fastest first:

- liblzma's ``lzma_crc64`` through ctypes (the library Python's ``lzma`` module
  links; ~1.4 GB/s here, and a ctypes call drops the GIL, so it runs beside the
  event loop instead of against it);
- crcmod's C extension (~400 MB/s, holds the GIL);
- pure Python (a few MB/s): callers ask ``FAST`` before computing it for large bodies.

``combine`` joins two CRCs without the bytes (zlib's crc32_combine algorithm), which
is how a multipart object gets its CRC; the GF(2) operators for "append 2^k zero
bytes" are computed once (as byte tables) and cached, so a combine costs
microseconds (one table pass per set bit of the part length).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys

_POLY = 0xC96C5795D7870F42  # reflected 0x42F0E1EBA9EA3693
_MASK = 0xFFFFFFFFFFFFFFFF
_CHECK = 0x995DC9BBDF1939FA  # CRC-64/XZ of b"123456789"


def _load_lzma():  # pragma: no cover - depends on the environment
    names = ["liblzma.so.5", "liblzma.5.dylib", "liblzma.dylib", "liblzma.so"]
    try:
        found = ctypes.util.find_library("lzma")
    except OSError:
        found = None
    if found:
        names.append(found)
    if sys.platform == "win32":
        names = ["liblzma.dll", "lzma.dll"]
    for name in names:
        try:
            fn = ctypes.CDLL(name).lzma_crc64  # CDLL (not PyDLL): the call releases the GIL
        except (OSError, AttributeError):
            continue
        fn.restype = ctypes.c_uint64
        fn.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint64]
        if fn(b"123456789", 9, 0) == _CHECK:
            return fn
    return None


_lzma_crc64 = _load_lzma()

try:  # pragma: no cover - depends on the environment
    import crcmod
    from crcmod import _crcfunext  # noqa: F401  (only the C extension is fast)

    _CRCMOD = True
except ImportError:  # pragma: no cover
    crcmod = None
    _CRCMOD = False

FAST = _lzma_crc64 is not None or _CRCMOD
# True when update() releases the GIL (worth running on another thread than the event loop's).
RELEASES_GIL = _lzma_crc64 is not None
IMPLEMENTATION = "liblzma" if _lzma_crc64 is not None else "crcmod" if _CRCMOD else "python"


def _table() -> list[int]:
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ _POLY if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _table()


def _python_update(crc: int, data: bytes | bytearray | memoryview) -> int:
    crc ^= _MASK
    table = _TABLE
    for byte in bytes(data):
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ _MASK


class Crc64:
    """Incremental CRC-64/ECMA: ``update(bytes)``, then ``value`` (int)."""

    def __init__(self, impl: str | None = None) -> None:
        self._kind = impl or IMPLEMENTATION
        self._crc = 0
        if self._kind == "crcmod":
            self._impl = crcmod.Crc(0x142F0E1EBA9EA3693, initCrc=0, xorOut=_MASK, rev=True)

    def update(self, data: bytes | bytearray | memoryview) -> None:
        if self._kind == "liblzma":
            if not isinstance(data, bytes):
                data = bytes(data)  # ctypes passes bytes without copying; other buffers are rare here
            self._crc = _lzma_crc64(data, len(data), self._crc)
        elif self._kind == "crcmod":
            self._impl.update(data)
        else:
            self._crc = _python_update(self._crc, data)

    @property
    def value(self) -> int:
        return self._impl.crcValue if self._kind == "crcmod" else self._crc


def crc64(data: bytes) -> int:
    c = Crc64()
    c.update(data)
    return c.value


def _times(mat: list[int] | tuple[int, ...], vec: int) -> int:
    out = 0
    i = 0
    while vec:
        if vec & 1:
            out ^= mat[i]
        vec >>= 1
        i += 1
    return out


def _square(mat: list[int] | tuple[int, ...]) -> tuple[int, ...]:
    return tuple(_times(mat, mat[n]) for n in range(64))


@functools.cache
def _zeros_op(k: int) -> tuple[int, ...]:
    """The operator that appends 2**k zero bytes to a (pre-xor) CRC register."""
    if k == 0:
        op: tuple[int, ...] = (_POLY,) + tuple(1 << n for n in range(63))  # one zero bit
        for _ in range(3):  # 2, 4, 8 bits
            op = _square(op)
        return op
    return _square(_zeros_op(k - 1))


@functools.cache
def _zeros_tables(k: int) -> tuple[tuple[int, ...], ...]:
    """``_zeros_op(k)`` as 8 byte-indexed tables, so applying it is 8 lookups, not 64 steps."""
    op = _zeros_op(k)
    tables = []
    for j in range(8):
        table = [0] * 256
        for bit in range(8):
            column = op[8 * j + bit]
            step = 1 << bit
            for b in range(step, 2 * step):
                table[b] = table[b - step] ^ column
        tables.append(tuple(table))
    return tuple(tables)


def _append_zeros(crc: int, length: int) -> int:
    k = 0
    while length:
        if length & 1:
            t = _zeros_tables(k)
            crc = (t[0][crc & 0xFF] ^ t[1][(crc >> 8) & 0xFF] ^ t[2][(crc >> 16) & 0xFF] ^ t[3][(crc >> 24) & 0xFF]
                   ^ t[4][(crc >> 32) & 0xFF] ^ t[5][(crc >> 40) & 0xFF] ^ t[6][(crc >> 48) & 0xFF]
                   ^ t[7][crc >> 56])
        length >>= 1
        k += 1
    return crc


def combine(crc1: int, crc2: int, len2: int) -> int:
    """CRC of A+B from crc(A), crc(B) and len(B)."""
    if len2 <= 0:
        return crc1
    return _append_zeros(crc1, len2) ^ crc2
