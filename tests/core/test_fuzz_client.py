"""Property-based calls at the client (hypothesis): generated parameters for every operation.

A call either sends its request or fails with a `CosError` that says what is wrong; a
parameter error (``InvalidParameter``) is raised before anything is sent; nothing else
escapes (no TypeError, ValueError, OverflowError ...), and no call hangs. The transport
records what would have gone out (`MockTransport`).

Bounded and deterministic in the normal run (``COS_FUZZ_EXAMPLES``); ``-m slow`` runs
many more random examples.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cos_web import COS, CosError
from cos_web.operations import OPERATIONS
from cos_web.params import _KINDS
from cos_web.transport import MockTransport, Response

EXAMPLES = int(os.environ.get("COS_FUZZ_EXAMPLES", "60"))
SLOW_EXAMPLES = int(os.environ.get("COS_FUZZ_SLOW_EXAMPLES", "1500"))
NORMAL = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
# The long run explores new random examples each time on a developer's machine; under CI (CI=true) it
# is derandomized, so a submission's CI result does not depend on the draw.
LONG = settings(max_examples=SLOW_EXAMPLES, deadline=None, database=None, derandomize=bool(os.environ.get("CI")),
                suppress_health_check=list(HealthCheck))
HANG = 10.0  # far above any call against an instant transport

ODD_TEXT = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", "/", "//", "../", "a/../..", "\x00", "\r\n", "\u0661", "\U0010ffff", "\ud800",
                     "e\u0301", "?a=b&c", "%zz", "k" * 2000, "\u00e9" * 500]),
)
NUMBERS = st.one_of(
    st.integers(-10, 20000), st.integers(-(2**80), 2**80), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["1", "0", "-1", "10001", "\u0661", "9" * 5000, "1e3", " 7 ", "NaN", "inf"]),
)
SCALARS = st.one_of(st.none(), st.booleans(), ODD_TEXT, NUMBERS, st.binary(max_size=16))
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=6,
)
VALID_BUCKET, VALID_REGION = st.just("test-1250000000"), st.just("ap-guangzhou")
BUCKETS = st.one_of(VALID_BUCKET, VALID_BUCKET, VALID_BUCKET, st.sampled_from(["test-1250000000", "Test-1250000000", "test", "-1250000000", "test-\u0661",
                                     "a" * 80 + "-1250000000", "test-1250000000\n"]), ODD_TEXT, NUMBERS, st.none())
REGIONS = st.one_of(VALID_REGION, VALID_REGION, VALID_REGION, st.sampled_from(["ap-guangzhou", "cos.ap-guangzhou", "AP-GUANGZHOU", "ap guangzhou", "a/b",
                                     "ap-guangzhou\r\nX: y"]), ODD_TEXT, st.none())
PARAM_NAMES = st.sampled_from([
    "Key", "Body", "PartNumber", "UploadId", "ACL", "StorageClass", "Objects", "Parts", "CORSRules",
    "CORSConfiguration", "CopySource", "MetadataDirective", "DataType", "Range", "Prefix", "Delimiter", "Marker",
    "MaxKeys", "EncodingType", "Headers", "Query", "ContentType", "ContentLength", "ContentMD5", "CacheControl",
    "Expires", "IfMatch", "IfModifiedSince", "VersionId", "AccessControlPolicy", "GrantRead", "GrantFullControl",
    "ResponseContentType", "ResponseContentDisposition", "Quiet", "MaxParts", "PartNumberMarker", "KeyMarker",
    "UploadIdMarker", "MaxUploads", "Origin", "AccessControlRequestMethod", "onProgress", "Expired", "Sign",
])
OPS = st.sampled_from(sorted(op.name for op in OPERATIONS.values()))
DICTS = st.dictionaries(ODD_TEXT, st.one_of(ODD_TEXT, NUMBERS, st.none()), max_size=3)
ITEMS = st.lists(st.one_of(
    st.fixed_dictionaries({"Key": ODD_TEXT}), st.fixed_dictionaries({"PartNumber": NUMBERS, "ETag": ODD_TEXT}),
    st.fixed_dictionaries({"AllowedOrigin": st.lists(ODD_TEXT, max_size=2), "AllowedMethod": st.lists(
        st.sampled_from(["GET", "PUT", "get", "BREW", ""]), max_size=2), "MaxAgeSeconds": NUMBERS}),
    VALUES), max_size=4)
# Values of the type each known parameter takes (its checks, not its type test, get exercised), odd inside.
BY_KIND = {
    (str,): ODD_TEXT,
    (str, int, float): st.one_of(NUMBERS, NUMBERS.map(str)),
    (bool,): st.booleans(),
    (list, tuple): ITEMS,
    (list, tuple, dict): st.one_of(ITEMS, DICTS),
    (dict,): st.one_of(DICTS, st.fixed_dictionaries({"Owner": st.fixed_dictionaries({"ID": ODD_TEXT}),
                                                     "Grants": ITEMS})),
    "callable": st.just(lambda *_: None),
    "body": st.one_of(st.binary(max_size=64), ODD_TEXT),
}


def value_for(name: str) -> st.SearchStrategy[Any]:
    kind = _KINDS.get(name)
    fitting = BY_KIND.get(kind, ODD_TEXT) if kind is not None else ODD_TEXT  # type: ignore[arg-type]
    return st.one_of(fitting, fitting, fitting, VALUES)


@st.composite
def calls(draw) -> tuple[str, dict[str, Any]]:
    name = draw(OPS)
    valid = draw(st.integers(0, 9)) < 8  # mostly a call that gets past Bucket/Region to its own checks
    params: dict[str, Any] = {"Bucket": draw(VALID_BUCKET if valid else BUCKETS),
                              "Region": draw(VALID_REGION if valid else REGIONS)}
    for extra in draw(st.lists(PARAM_NAMES, max_size=6, unique=True)):
        params[extra] = draw(value_for(extra))
    if draw(st.integers(0, 9)) < 8:
        params["Key"] = draw(st.one_of(st.just("a/b.txt"), ODD_TEXT))
    return name, params


def _answer(request) -> Response:
    return Response(200, {"x-cos-request-id": "rid", "ETag": '"0"'}, "")


def _call(name: str, params: dict[str, Any]) -> None:
    transport = MockTransport(_answer)
    cos = COS({"SecretId": "AKIDfuzz", "SecretKey": "k" * 32}, transport=transport)

    async def main() -> Any:
        return await asyncio.wait_for(getattr(cos, name)(**params), HANG)

    try:
        asyncio.run(main())
    except CosError as err:
        assert isinstance(err.message, str) and err.message.strip(), (name, params, err)
        if err.code == "InvalidParameter":
            assert transport.requests == [], (name, params, err.message)
    except asyncio.TimeoutError:
        pytest.fail(f"{name} hung with {params!r}")


@NORMAL
@given(call=calls())
def test_generated_calls_send_or_raise_a_clear_cos_error(call):
    _call(*call)


@pytest.mark.slow
@LONG
@given(call=calls())
def test_generated_calls_send_or_raise_a_clear_cos_error_long(call):
    _call(*call)


@pytest.mark.parametrize("name,value", [("Key", "a\ud800b"), ("Prefix", "\udfff"), ("ContentType", "\ud83d")])
def test_a_lone_surrogate_is_a_parameter_error(name, value):
    """Found by the fuzzing above: it used to escape as UnicodeEncodeError from the URL encoder."""
    transport = MockTransport(_answer)
    cos = COS({"SecretId": "AKIDfuzz", "SecretKey": "k" * 32}, transport=transport)
    params = {"Bucket": "test-1250000000", "Region": "ap-guangzhou", "Key": "k", name: value}
    with pytest.raises(CosError) as err:
        asyncio.run(cos.get_bucket(**params) if name == "Prefix" else cos.put_object(**params, Body=b"x"))
    assert err.value.code == "InvalidParameter" and name in err.value.message and transport.requests == []


@pytest.mark.parametrize("extra", [
    {"ResponseContentType": "\ud800"},
    {"Headers": {"x-cos-meta-a": "\udfff"}},
    {"Query": {"\ud800": "1"}},
    {"Body": "ok\ud800"},
])  # fmt: skip
def test_a_lone_surrogate_in_any_text_param_is_refused_before_sending(extra):
    """Found by the long fuzz run: only params of a registered kind were checked, so a lone surrogate in
    ResponseContentType (or a header/query value) escaped as UnicodeEncodeError from the signer."""
    sent = []
    cos = COS(SecretId="AKIDtest", SecretKey="secret", transport=MockTransport(lambda r: sent.append(r)))
    op = "putObject" if "Body" in extra else "getObject"
    with pytest.raises(CosError) as info:
        asyncio.run(getattr(cos, op)(Bucket="test-1250000000", Region="ap-guangzhou", Key="a/b.txt", **extra))
    assert info.value.code == "InvalidParameter" and "surrogate" in info.value.message
    assert sent == []


def test_a_cors_configuration_that_is_not_a_dict_is_refused_before_sending():
    """Found by the long fuzz run: CORSConfiguration="0" reached ``.get`` (AttributeError) in the check."""
    sent = []
    cos = COS(SecretId="AKIDtest", SecretKey="secret", transport=MockTransport(lambda r: sent.append(r)))
    with pytest.raises(CosError) as info:
        asyncio.run(cos.put_bucket_cors(Bucket="test-1250000000", Region="ap-guangzhou", CORSConfiguration="0"))
    assert info.value.code == "InvalidParameter" and "CORSConfiguration" in info.value.message
    assert sent == []
