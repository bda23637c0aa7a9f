"""The SDK's own percent-encoder / decoder and HMAC-SHA1 against the stdlib they replace."""

import hashlib
import hmac
import random
from urllib.parse import quote, unquote

import pytest

from cos_web.auth import camsafe_encode, hmac_sha1_hex, percent_decode, percent_encode
from cos_web.urls import encode_key, encode_uri_component

ALPHABET = (
    [chr(i) for i in range(128)]
    + list("éü中文字ñ€𝄞😀ſKİı\u00a0\u2028\ufeff\uffff")
    + [chr(i) for i in range(0x80, 0x800, 37)]
)


def _strings(n: int, seed: int = 7):
    rng = random.Random(seed)
    yield ""
    yield "plain-_.~AZaz09"
    for _ in range(n):
        yield "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 40)))


@pytest.mark.parametrize("safe", ["", "/", "!*'()", "-_.~", "!*'()/:"])
def test_percent_encode_equals_quote(safe):
    for s in _strings(2000, seed=len(safe)):
        assert percent_encode(s, safe) == quote(s, safe=safe), repr(s)


def test_named_encoders():
    for s in _strings(500):
        assert camsafe_encode(s) == quote(s, safe="-_.~")
        assert encode_uri_component(s) == quote(s, safe="-_.!~*'()")
        assert encode_key(s) == quote(s, safe="-_.~").replace("%2F", "/")


def test_percent_encode_refuses_lone_surrogates_like_quote():
    with pytest.raises(UnicodeEncodeError):
        quote("a\ud800b")
    with pytest.raises(UnicodeEncodeError):
        percent_encode("a\ud800b")


def test_percent_encode_bytes_falls_back_to_quote():
    assert percent_encode(b"a b\xff") == quote(b"a b\xff")


def test_percent_decode_equals_unquote():
    rng = random.Random(3)
    pieces = ["%", "%2", "%2F", "%2f", "%E4%B8%AD", "%E4%B8", "%e4", "%FF", "%zz", "a", "/", "中", "%C3", "%A9", " "]
    cases = [quote(s) for s in _strings(500)] + [
        "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12))) for _ in range(3000)
    ]
    for s in cases:
        assert percent_decode(s) == unquote(s), repr(s)


def test_hmac_sha1_equals_hmac_module():
    rng = random.Random(5)
    for n in (0, 1, 20, 63, 64, 65, 100, 200):
        key = bytes(rng.randrange(256) for _ in range(n))
        msg = bytes(rng.randrange(256) for _ in range(rng.randint(0, 300)))
        assert hmac_sha1_hex(key, msg) == hmac.new(key, msg, hashlib.sha1).hexdigest()
