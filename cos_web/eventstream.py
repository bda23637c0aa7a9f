"""The binary event stream COS Select answers with (the AWS event-stream framing COS uses).

One message is::

    total length    uint32 BE   (the whole message, these 4 bytes and the final CRC included)
    headers length  uint32 BE
    prelude CRC     uint32 BE   (CRC32 of the 8 bytes before it)
    headers         name length uint8, name, value type uint8 (7 = string), value length uint16 BE, value
    payload         total - headers - 16 bytes
    message CRC     uint32 BE   (CRC32 of everything before it)

Pure Python (struct, zlib), so it runs the same in Pyodide and in CPython tests. The server's
encoder (``cos_web.server.select_stream``) builds messages with :func:`encode`; the client parses
with :func:`decode` or, chunk by chunk, :class:`Decoder`.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

PRELUDE = 12  # total length, headers length, prelude CRC
MIN_MESSAGE = PRELUDE + 4
MAX_MESSAGE = 16 << 20  # refuse a length past this rather than buffer it (COS's records are 1 MiB at most)
STRING = 7  # header value type: UTF-8 string

__all__ = ["EventStreamError", "Message", "Decoder", "encode", "decode"]


class EventStreamError(ValueError):
    """The bytes are not a well-formed event stream (bad length, CRC, header or truncated)."""


@dataclass(slots=True)
class Message:
    """One decoded message: its string headers and raw payload."""

    headers: dict[str, str] = field(default_factory=dict)
    payload: bytes = b""

    @property
    def event_type(self) -> str | None:
        return self.headers.get(":event-type")

    @property
    def message_type(self) -> str | None:
        return self.headers.get(":message-type")


def encode(headers: dict[str, str], payload: bytes = b"") -> bytes:
    """One message with string headers (in the given order) and ``payload``."""
    parts = []
    for name, value in headers.items():
        raw_name, raw_value = name.encode("utf-8"), value.encode("utf-8")
        if len(raw_name) > 255 or len(raw_value) > 0xFFFF:
            raise EventStreamError(f"header {name!r} is too long")
        parts.append(struct.pack(">B", len(raw_name)) + raw_name + struct.pack(">BH", STRING, len(raw_value))
                     + raw_value)
    head = b"".join(parts)
    total = PRELUDE + len(head) + len(payload) + 4
    prelude = struct.pack(">II", total, len(head))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    body = prelude + head + payload
    return body + struct.pack(">I", zlib.crc32(body))


def _headers(raw: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    at = 0
    while at < len(raw):
        if at + 1 > len(raw):
            raise EventStreamError("truncated header name length")
        name_len = raw[at]
        at += 1
        name = raw[at:at + name_len]
        at += name_len
        if at + 3 > len(raw):
            raise EventStreamError("truncated header")
        kind, value_len = struct.unpack_from(">BH", raw, at)
        at += 3
        if kind != STRING:
            raise EventStreamError(f"header {name!r} has value type {kind}, not string")
        value = raw[at:at + value_len]
        if len(value) != value_len:
            raise EventStreamError("truncated header value")
        at += value_len
        try:
            out[name.decode("utf-8")] = value.decode("utf-8")
        except UnicodeDecodeError:
            raise EventStreamError("header is not UTF-8") from None
    return out


class Decoder:
    """Incremental: :meth:`feed` bytes in any split, get the complete messages back."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    @property
    def pending(self) -> int:
        """Bytes held that do not yet make a whole message."""
        return len(self._buffer)

    def feed(self, chunk: bytes) -> list[Message]:
        self._buffer += chunk
        out: list[Message] = []
        while len(self._buffer) >= PRELUDE:
            total, head_len, prelude_crc = struct.unpack_from(">III", self._buffer, 0)
            if zlib.crc32(bytes(self._buffer[:8])) != prelude_crc:
                raise EventStreamError("prelude CRC mismatch")
            if total < MIN_MESSAGE or total > MAX_MESSAGE or head_len > total - MIN_MESSAGE:
                raise EventStreamError(f"bad message length {total} (headers {head_len})")
            if len(self._buffer) < total:
                break
            raw = bytes(self._buffer[:total])
            del self._buffer[:total]
            (message_crc,) = struct.unpack_from(">I", raw, total - 4)
            if zlib.crc32(raw[:-4]) != message_crc:
                raise EventStreamError("message CRC mismatch")
            out.append(Message(_headers(raw[PRELUDE:PRELUDE + head_len]), raw[PRELUDE + head_len:-4]))
        return out

    def close(self) -> None:
        """Raise if bytes of an unfinished message are left."""
        if self._buffer:
            raise EventStreamError(f"stream ends inside a message ({len(self._buffer)} bytes left)")


def decode(data: bytes) -> list[Message]:
    """Every message of a whole stream; raises :class:`EventStreamError` on any damage."""
    decoder = Decoder()
    messages = decoder.feed(data)
    decoder.close()
    return messages
