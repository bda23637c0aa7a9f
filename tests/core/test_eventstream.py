"""The event-stream decoder (cos_web.eventstream) against the server's encoder: round trips,
chunks split anywhere, damage (CRCs, lengths, truncation), and selectObjectContent's result shape."""

from __future__ import annotations

import struct
import zlib

import pytest

from cos_web.eventstream import Decoder, EventStreamError, Message, decode, encode
from cos_web.operations import OPERATIONS, Reply
from cos_web.server import select_stream


def sample_stream() -> bytes:
    records = [f"{i},é{i}\n".encode() for i in range(300)]
    return b"".join([*select_stream.chunk_records(records, size=512), select_stream.progress_event(10, 20, 30),
                     select_stream.stats_event(10, 20, 30), select_stream.end_event()])


def test_round_trip_of_the_servers_events():
    messages = decode(sample_stream())
    kinds = [m.event_type for m in messages]
    assert kinds[-3:] == ["Progress", "Stats", "End"] and set(kinds[:-3]) == {"Records"}
    payload = b"".join(m.payload for m in messages if m.event_type == "Records")
    assert payload == "".join(f"{i},é{i}\n" for i in range(300)).encode()
    assert b"<BytesReturned>30</BytesReturned>" in messages[-2].payload
    assert messages[-1] == Message({":message-type": "event", ":event-type": "End"}, b"")


def test_error_event():
    (message,) = decode(select_stream.error_event("CastFailed", "x cannot be cast"))
    assert message.message_type == "error" and message.event_type is None
    assert message.headers[":error-code"] == "CastFailed" and message.headers[":error-message"] == "x cannot be cast"


def test_encode_layout():
    raw = encode({"a": "bc"}, b"xyz")
    total, head_len, prelude_crc = struct.unpack_from(">III", raw)
    assert total == len(raw) == 12 + 7 + 3 + 4 and head_len == 7
    assert prelude_crc == zlib.crc32(raw[:8])
    assert raw[12:19] == b"\x01a\x07\x00\x02bc" and raw[19:22] == b"xyz"
    assert struct.unpack(">I", raw[-4:])[0] == zlib.crc32(raw[:-4])


@pytest.mark.parametrize("step", [1, 3, 7, 16, 100, 4096])
def test_split_chunks(step):
    stream = sample_stream()
    decoder = Decoder()
    got = []
    for at in range(0, len(stream), step):
        got += decoder.feed(stream[at:at + step])
    decoder.close()
    assert got == decode(stream)


def test_prelude_crc_damage():
    raw = bytearray(encode({":event-type": "End"}))
    raw[9] ^= 0xFF
    with pytest.raises(EventStreamError, match="prelude CRC"):
        decode(bytes(raw))


def test_message_crc_damage():
    raw = bytearray(encode({":event-type": "Records"}, b"payload"))
    raw[-6] ^= 0x01  # a payload byte
    with pytest.raises(EventStreamError, match="message CRC"):
        decode(bytes(raw))


def test_truncated_and_absurd_lengths():
    raw = encode({":event-type": "Records"}, b"payload")
    with pytest.raises(EventStreamError, match="ends inside"):
        decode(raw[:-1])
    prelude = struct.pack(">II", 8, 0)
    with pytest.raises(EventStreamError, match="bad message length"):
        decode(prelude + struct.pack(">I", zlib.crc32(prelude)) + b"\0" * 4)
    huge = struct.pack(">II", 1 << 30, 0)
    with pytest.raises(EventStreamError, match="bad message length"):
        Decoder().feed(huge + struct.pack(">I", zlib.crc32(huge)))


def test_non_string_header_is_refused():
    raw = bytearray(encode({"n": "v"}))
    raw[14] = 5  # the header's value type
    body = bytes(raw[:-4])
    with pytest.raises(EventStreamError, match="value type"):
        decode(body + struct.pack(">I", zlib.crc32(body)))


def test_select_result_shape_mirrors_parse_select_payload():
    """Body: the whole stream, one character a byte; Payload: the Records as text, joined."""
    stream = sample_stream() + select_stream.error_event("CastFailed", "late")
    op = OPERATIONS["selectObjectContent"]
    data = op.shape(op, {}, Reply(200, {}, {}, stream))
    assert data == {"Body": stream.decode("latin-1"),
                    "Payload": "".join(f"{i},é{i}\n" for i in range(300))}
    assert op.data_type == "bytes" and op.subresource == "select" and op.query == {"SelectType": "select-type"}
    assert op.tolerate({}, type("E", (), {"statusCode": 204})()) == {"statusCode": 204}


def test_select_result_on_a_damaged_stream_is_an_error():
    from cos_web.errors import CosError

    op = OPERATIONS["selectObjectContent"]
    with pytest.raises(CosError) as caught:
        op.shape(op, {}, Reply(200, {}, {}, sample_stream()[:-3]))
    assert caught.value.code == "EventStreamError"
