"""CRC-64/ECMA as COS computes ``x-cos-hash-crc64ecma`` (crcmod's
``mkCrcFun(0x142F0E1EBA9EA3693, initCrc=0, xorOut=0xffffffffffffffff, rev=True)``,
the function cos-python-sdk-v5 checks downloads with).

Uses crcmod's C extension when it is installed (hundreds of MB/s); the pure
Python fallback is slow (a few MB/s), so callers ask ``FAST`` before computing
it for large bodies. ``combine`` joins two CRCs without the bytes (zlib's
crc32_combine algorithm), which is how a multipart object gets its CRC.
"""

from __future__ import annotations

_POLY = 0xC96C5795D7870F42  # reflected 0x42F0E1EBA9EA3693
_MASK = 0xFFFFFFFFFFFFFFFF

try:  # pragma: no cover - depends on the environment
    import crcmod
    from crcmod import _crcfunext  # noqa: F401  (only the C extension is fast)

    FAST = True
except ImportError:  # pragma: no cover
    crcmod = None
    FAST = False


def _table() -> list[int]:
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ _POLY if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _table()


class Crc64:
    """Incremental CRC-64/ECMA: ``update(bytes)``, then ``value`` (int)."""

    def __init__(self) -> None:
        if FAST:
            self._impl = crcmod.Crc(0x142F0E1EBA9EA3693, initCrc=0, xorOut=_MASK, rev=True)
        else:
            self._impl = None
            self._crc = 0

    def update(self, data: bytes | bytearray | memoryview) -> None:
        if self._impl is not None:
            self._impl.update(data)
            return
        crc = self._crc ^ _MASK
        table = _TABLE
        for byte in bytes(data):
            crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
        self._crc = crc ^ _MASK

    @property
    def value(self) -> int:
        return self._impl.crcValue if self._impl is not None else self._crc


def crc64(data: bytes) -> int:
    c = Crc64()
    c.update(data)
    return c.value


def _times(mat: list[int], vec: int) -> int:
    out = 0
    i = 0
    while vec:
        if vec & 1:
            out ^= mat[i]
        vec >>= 1
        i += 1
    return out


def _square(mat: list[int]) -> list[int]:
    return [_times(mat, mat[n]) for n in range(64)]


def combine(crc1: int, crc2: int, len2: int) -> int:
    """CRC of A+B from crc(A), crc(B) and len(B)."""
    if len2 <= 0:
        return crc1
    odd = [_POLY] + [1 << n for n in range(63)]  # operator for one zero bit
    even = _square(odd)  # two zero bits
    odd = _square(even)  # four zero bits
    while True:
        even = _square(odd)
        if len2 & 1:
            crc1 = _times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = _square(even)
        if len2 & 1:
            crc1 = _times(odd, crc1)
        len2 >>= 1
        if not len2:
            break
    return crc1 ^ crc2
