"""The client and the local server accept the same values, from the one list in `cos_web.values`.

Each check gives the same value to the client's parameter check (before anything
is sent) and to the server's validator (or over HTTP), and asserts that both
accept or both refuse. A second test reads every module of ``cos_web`` and
fails if one spells out its own copy of a list that lives in `cos_web.values`.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

from cos_web import CosError, values
from cos_web.operations import OPERATIONS
from cos_web.params import check
from cos_web.server import acl as server_acl
from cos_web.server.errors import CosServerError
from cos_web.server.transfer import check_storage_class

BUCKET_PARAMS = {"Bucket": "examplebucket-1250000000", "Region": "ap-guangzhou"}


def _client_accepts(op: str, **params) -> bool:
    try:
        check(OPERATIONS[op], {**BUCKET_PARAMS, **params}, {})
    except CosError as exc:
        assert exc.code == "InvalidParameter"
        return False
    return True


def _server_accepts(validate, *args) -> bool:
    try:
        validate(*args)
    except CosServerError as exc:
        assert exc.status == 400
        return False
    return True


STORAGE_CLASS_PROBES = sorted(values.STORAGE_CLASSES) + [
    "standard_ia",  # both upper-case it
    "Nearline",
    "MAZ_ARCHIVE",  # neither COS's nor the JS SDK's documentation names it
    "GLACIER",
    "STANDARD ",
    "",
]


@pytest.mark.parametrize("value", STORAGE_CLASS_PROBES)
def test_storage_class_same_on_both_sides(value):
    client = _client_accepts("putObject", Key="k", Body="x", StorageClass=value)
    server = _server_accepts(check_storage_class, value)
    assert client == server == (value.upper() in values.STORAGE_CLASSES)


ACL_PROBES = sorted(values.BUCKET_ACLS | values.OBJECT_ACLS) + ["PRIVATE", "public", "public-write", ""]


@pytest.mark.parametrize("value", ACL_PROBES)
def test_bucket_acl_same_on_both_sides(value):
    client = _client_accepts("putBucketAcl", ACL=value)
    server = _server_accepts(server_acl.canned, value, False)
    assert client == server == (value in values.BUCKET_ACLS)


@pytest.mark.parametrize("value", ACL_PROBES)
def test_object_acl_same_on_both_sides(value):
    for op in ("putObject", "putObjectAcl"):
        params = {"Key": "k", "Body": "x"} if op == "putObject" else {"Key": "k"}
        client = _client_accepts(op, ACL=value, **params)
        server = _server_accepts(server_acl.canned, value, True)
        assert client == server == (value in values.OBJECT_ACLS), op
    assert "public-read-write" not in values.OBJECT_ACLS  # COS: objects have no WRITE permission


@pytest.mark.parametrize("number", [0, 1, 2, values.MAX_PARTS - 1, values.MAX_PARTS, values.MAX_PARTS + 1])
def test_part_number_same_on_both_sides(number, raw, key):
    client = _client_accepts("multipartUpload", Key=key, Body="x", UploadId="u", PartNumber=number)
    upload = raw.request("POST", key, query={"uploads": None})
    upload_id = upload.xml_text("UploadId")
    reply = raw.request("PUT", key, query={"partNumber": str(number), "uploadId": upload_id}, body=b"x")
    raw.request("DELETE", key, query={"uploadId": upload_id})
    assert (reply.status == 200) == client == (1 <= number <= values.MAX_PARTS), reply.text


def test_response_overrides_are_the_ones_the_client_sends():
    sent = set(OPERATIONS["getObject"].query.values())
    assert set(values.RESPONSE_OVERRIDES) <= sent
    assert {name for name in sent if name.startswith("response-")} == set(values.RESPONSE_OVERRIDES)


def test_grant_headers_are_the_ones_the_client_sends():
    from cos_web.operations import HEADER_PARAMS

    sent = {header for header in HEADER_PARAMS.values() if header.startswith("x-cos-grant-")}
    assert sent == set(values.GRANT_HEADERS)


@pytest.mark.parametrize("storage_class", ["NEARLINE", "MAZ_ARCHIVE", "bogus"])
def test_server_checks_storage_class_on_put_and_on_copy(raw, key, storage_class):
    accepted = storage_class in values.STORAGE_CLASSES
    put = raw.request("PUT", key, body=b"abc", headers={"x-cos-storage-class": storage_class})
    assert (put.status == 200) == accepted, put.text
    raw.request("PUT", key, body=b"abc")
    source = f"{raw.host(port=False)}/{key}"
    copy = raw.request("PUT", key + "-copy", headers={"x-cos-copy-source": source,
                                                       "x-cos-storage-class": storage_class})
    assert (copy.status == 200) == accepted, copy.text


# ---------------------------------------------------------------- one copy only

PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "cos_web"
# Strings that only a copy of one of the shared lists would spell out together.
LISTED = (
    set(values.STORAGE_CLASSES)
    | (set(values.OBJECT_ACLS) - {"private"})
    | set(values.BUCKET_ACLS)
    | set(values.PERMISSIONS)
    | set(values.GRANT_HEADERS)
    | set(values.GRANT_PARAMS)
    | set(values.RESPONSE_OVERRIDES)
    | set(values.RESPONSE_PARAMS)
)
# Every name cos_web.values exports, and the names the old copies had.
LIMIT_NAMES = set(values.__all__) | {"MIN_PART", "MAX_PUT", "META_LIMIT", "BUCKET_CANNED", "OBJECT_CANNED"}


def _copies(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Set, ast.List, ast.Tuple)):
            items = node.elts
        elif isinstance(node, ast.Dict):
            items = [k for k in node.keys if k is not None] + node.values
        else:
            items = []
        listed = {i.value for i in items if isinstance(i, ast.Constant) and i.value in LISTED}
        if len(listed) >= 2:
            found.append(f"line {node.lineno}: {sorted(listed)}")
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id in LIMIT_NAMES:
                    found.append(f"line {node.lineno}: defines {target.id}")
    return found


def test_no_module_keeps_its_own_copy_of_the_value_lists():
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "values.py" and path.parent == PACKAGE:
            continue
        copies = _copies(ast.parse(path.read_text(encoding="utf-8")))
        if copies:
            offenders[str(path.relative_to(PACKAGE))] = copies
    assert offenders == {}


def test_the_copy_finder_finds_copies():
    sample = 'S = {"STANDARD", "ARCHIVE"}\nMAX_PARTS = 10000\nH = {"ok": 1, "x-cos-grant-read": "READ"}\n'
    assert len(_copies(ast.parse(sample))) == 3
