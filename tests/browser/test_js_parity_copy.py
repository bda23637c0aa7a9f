"""Result parity with cos-js-sdk-v5 for server-side copies and batch uploads (issue 16):
uploadPartCopy, sliceCopyFile (one putObjectCopy, and part copies), uploadFiles.

The call results go through test_js_parity.py's ``parity`` fixture (both SDKs in one Chromium
page against the local server, compared field by field). Progress events are compared by a
runner of this file: the same calls with ``onProgress`` in both SDKs, then the events' shape and
their last values (the JS SDK reports sliceCopyFile's ``total`` as the Content-Length string:
compared as numbers, CONTRACT.md's deliberate difference).
"""

from __future__ import annotations

import json
import uuid

import pytest

from tests.browser.test_js_parity import _compare, _normalise, _reset_spare, parity  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser

MB = 1024 * 1024
SPARE = "ex-1250000000"


def _src(sdk_vars, key: str, bucket: str | None = None) -> str:
    return f"{bucket or sdk_vars['BUCKET']}.cos.{sdk_vars['REGION']}.myqcloud.com/{key}"


def test_upload_part_copy(parity, sdk_vars):  # noqa: F811
    src = _src(sdk_vars, "{P}/src.txt")
    js, py = parity([
        ("put", "putObject", {"Key": "{P}/src.txt", "Body": {"$fill": "0123456789", "n": 120000}}),
        ("init", "multipartInit", {"Key": "{P}/dst.bin"}),
        ("whole", "uploadPartCopy", {"Key": "{P}/dst.bin", "UploadId": "$ref:init.UploadId", "PartNumber": 1,
                                     "CopySource": src}),
        ("ranged", "uploadPartCopy", {"Key": "{P}/dst.bin", "UploadId": "$ref:init.UploadId", "PartNumber": 3,
                                      "CopySource": src, "CopySourceRange": "bytes=10-19"}),
        ("if_match", "uploadPartCopy", {"Key": "{P}/dst.bin", "UploadId": "$ref:init.UploadId", "PartNumber": 2,
                                        "CopySource": src, "CopySourceIfMatch": "$ref:put.ETag"}),
        ("parts", "multipartListPart", {"Key": "{P}/dst.bin", "UploadId": "$ref:init.UploadId"}),
        ("past_end", "uploadPartCopy", {"Key": "{P}/dst.bin", "UploadId": "$ref:init.UploadId", "PartNumber": 4,
                                        "CopySource": src, "CopySourceRange": "bytes=0-1200000"}),
        ("if_not", "uploadPartCopy", {"Key": "{P}/dst.bin", "UploadId": "$ref:init.UploadId", "PartNumber": 4,
                                      "CopySource": src, "CopySourceIfMatch": '"0000"'}),
        ("missing", "uploadPartCopy", {"Key": "{P}/dst.bin", "UploadId": "$ref:init.UploadId", "PartNumber": 4,
                                       "CopySource": _src(sdk_vars, "{P}/none")}),
        ("no_upload", "uploadPartCopy", {"Key": "{P}/dst.bin", "UploadId": "nope", "PartNumber": 1,
                                         "CopySource": src}),
        ("bad_sig", "uploadPartCopy", {"Key": "{P}/dst.bin", "UploadId": "$ref:init.UploadId", "PartNumber": 4,
                                       "CopySource": src}, {"sdk": "bad"}),
        ("done", "multipartComplete", {"Key": "{P}/dst.bin", "UploadId": "$ref:init.UploadId",
                                       "Parts": [{"PartNumber": 1, "ETag": "$ref:whole.ETag"},
                                                 {"PartNumber": 2, "ETag": "$ref:if_match.ETag"},
                                                 {"PartNumber": 3, "ETag": "$ref:ranged.ETag"}]}),
        ("get", "getObject", {"Key": "{P}/dst.bin"}),
    ], errors={"past_end": "InvalidArgument", "if_not": "PreconditionFailed", "missing": "NoSuchKey",
               "no_upload": "NoSuchUpload", "bad_sig": "SignatureDoesNotMatch"})  # fmt: skip
    body = "0123456789" * 120000
    assert js["whole"]["ETag"] == js["put"]["ETag"] and js["whole"]["statusCode"] == 200
    assert set(js["whole"]) >= {"ETag", "statusCode", "headers"}  # (LastModified: compared as volatile)
    assert [p["Size"] for p in js["parts"]["Part"]] == [str(len(body)), str(len(body)), "10"]
    assert js["get"]["Body"] == py["get"]["Body"] == body + body + "0123456789"
    assert js["missing"]["err"]["statusCode"] == 404 and js["if_not"]["err"]["statusCode"] == 412


def test_slice_copy_file(parity, sdk_vars, sdk_server):  # noqa: F811
    _reset_spare(sdk_server, SPARE)
    src = _src(sdk_vars, "{P}/big.txt")
    small = _src(sdk_vars, "{P}/small.txt")
    big = {"$fill": "abcdefghij", "n": 250000}  # 2.5 MB: three 1 MB parts above a 1 MB CopySliceSize
    js, py = parity([
        ("put_big", "putObject", {"Key": "{P}/big.txt", "Body": big, "ContentType": "text/x-big",
                                  "ContentDisposition": "inline", "x-cos-meta-origin": "parity"}),
        ("put_small", "putObject", {"Key": "{P}/small.txt", "Body": "tiny", "CacheControl": "max-age=5"}),
        ("one_put", "sliceCopyFile", {"Key": "{P}/small.copy", "CopySource": small}),
        ("head_one", "headObject", {"Key": "{P}/small.copy"}),
        ("parts", "sliceCopyFile", {"Key": "{P}/big.copy", "CopySource": src, "CopySliceSize": MB,
                                    "CopyChunkSize": MB}),
        ("head_parts", "headObject", {"Key": "{P}/big.copy"}),
        ("get_parts", "getObject", {"Key": "{P}/big.copy"}),
        ("replaced", "sliceCopyFile", {"Key": "{P}/big.replaced", "CopySource": src, "CopySliceSize": MB,
                                       "MetadataDirective": "Replaced", "ContentType": "text/x-new",
                                       "StorageClass": "STANDARD_IA"}),
        ("head_replaced", "headObject", {"Key": "{P}/big.replaced"}),
        ("other_bucket", "sliceCopyFile", {"Key": "{P}/big.there", "CopySource": src, "CopySliceSize": MB},
         {"bucket": SPARE}),
        ("head_there", "headObject", {"Key": "{P}/big.there"}, {"bucket": SPARE}),
        ("one_put_there", "sliceCopyFile", {"Key": "{P}/small.there", "CopySource": small}, {"bucket": SPARE}),
        ("missing", "sliceCopyFile", {"Key": "{P}/x", "CopySource": _src(sdk_vars, "{P}/none")}),
        ("bad_source", "sliceCopyFile", {"Key": "{P}/x", "CopySource": "not-a-copy-source"}),
        ("bad_sig", "sliceCopyFile", {"Key": "{P}/x", "CopySource": src}, {"sdk": "bad"}),
        ("rm", "deleteMultipleObject", {"Objects": [{"Key": "{P}/big.copy"}, {"Key": "{P}/big.replaced"}]}),
    ], errors={"missing": "NotFound", "bad_source": "InvalidParameter", "bad_sig": "AccessDenied"})  # fmt: skip
    assert js["one_put"]["statusCode"] == 200 and "CopyObject" not in json.dumps(js["one_put"])
    assert js["one_put"]["ETag"] == js["put_small"]["ETag"]
    assert js["head_one"]["headers"]["cache-control"] == "max-age=5"
    assert js["parts"]["ETag"].endswith('-3"') and js["parts"]["Key"] == "{P}/big.copy"
    assert js["head_parts"]["headers"]["content-type"] == "text/x-big"  # the source's, via multipartInit
    assert js["head_parts"]["headers"]["content-disposition"] == "inline"
    assert js["get_parts"]["Body"] == py["get_parts"]["Body"] == "abcdefghij" * 250000
    assert js["head_replaced"]["headers"]["content-type"] == "text/x-new"
    assert js["head_replaced"]["headers"]["x-cos-storage-class"] == "STANDARD_IA"
    assert js["head_there"]["headers"]["content-length"] == str(2500000)
    assert js["missing"]["err"]["statusCode"] == 404


def test_upload_files(parity, sdk_vars):  # noqa: F811
    where = {"Bucket": sdk_vars["BUCKET"], "Region": sdk_vars["REGION"]}
    files = [
        {**where, "Key": "{P}/a.txt", "Body": {"$blob": "first file", "type": "text/plain"}},
        {**where, "Key": "/{P}/b.bin", "Body": {"$blob": {"$fill": "b", "n": 1536 * 1024}}, "StorageClass": "STANDARD_IA"},
        {**where, "Key": "{P}/c.json", "Body": {"$blob": "{}", "type": "application/json"}, "ContentDisposition": "x"},
    ]  # fmt: skip
    js, py = parity([
        ("batch", "uploadFiles", {"files": files, "SliceSize": MB}),
        ("list", "getBucket", {"Prefix": "{P}/"}),
        ("get_b", "getObject", {"Key": "{P}/b.bin"}),
        ("rm", "deleteMultipleObject", {"Objects": [{"Key": "{P}/a.txt"}, {"Key": "{P}/b.bin"}, {"Key": "{P}/c.json"}]}),
    ], check=False)  # fmt: skip
    for out in (js, py):
        for entry in out["batch"]["files"]:
            assert entry["options"].pop("TaskId")  # random, one per task
    _compare(js, py, {"list": ("CommonPrefixes",)})
    entries = js["batch"]["files"]
    assert [e["options"]["Index"] for e in entries] == ["0", "1", "2"]  # strings, in both
    assert [e["options"]["Key"] for e in entries] == ["{P}/a.txt", "{P}/b.bin", "{P}/c.json"]  # "/" dropped
    assert all(e["error"] is None for e in entries)
    assert entries[1]["data"]["ETag"].endswith('-2"') and "-" not in entries[0]["data"]["ETag"]  # slices above SliceSize
    assert [c["Key"] for c in js["list"]["Contents"]] == ["{P}/a.txt", "{P}/b.bin", "{P}/c.json"]
    assert js["list"]["Contents"][1]["StorageClass"] == "STANDARD_IA"
    assert js["get_b"]["Body"] == "b" * 1536 * 1024


# ---------------------------------------------------------------- progress events, side by side

JS_PROGRESS = """async ([cfg, srcKey, prefix]) => {
  const cos = new COS({SecretId: cfg.SECRET_ID, SecretKey: cfg.SECRET_KEY, Domain: cfg.DOMAIN, ProgressInterval: 0,
                       CopyChunkParallelLimit: 2});
  const base = {Bucket: cfg.BUCKET, Region: cfg.REGION};
  const src = `${cfg.BUCKET}.cos.${cfg.REGION}.myqcloud.com/${srcKey}`;
  const call = (api, p) => new Promise((res) => cos[api](p, (err, data) => res(err ? {err: err.code} : data)));
  const copy = [], small = [], total = [], perFile = [], finished = [];
  await call('sliceCopyFile', {...base, Key: prefix + '/c.bin', CopySource: src, CopySliceSize: 1048576,
                               CopyChunkSize: 1048576, onProgress: (i) => copy.push(i)});
  await call('sliceCopyFile', {...base, Key: prefix + '/s.bin', CopySource: src, onProgress: (i) => small.push(i)});
  const files = [0, 1].map((n) => ({...base, Key: `${prefix}/f${n}`, Body: new Blob(['x'.repeat(700000 * (n + 1))]),
                                    onProgress: (i) => perFile.push([n, i])}));
  const result = await call('uploadFiles', {files, SliceSize: 1048576, onProgress: (i) => total.push(i),
                                            onFileFinish: (err, data, options) => finished.push(options.Index)});
  return {copy, small, total, perFile, finished: finished.sort(), n: result.files.length};
}"""

PY_PROGRESS = """
import json, js
from cos_web import COS
cfg = json.loads(CFG)
cos = COS(SecretId=cfg["SECRET_ID"], SecretKey=cfg["SECRET_KEY"], Domain=cfg["DOMAIN"], ProgressInterval=0,
          CopyChunkParallelLimit=2)
base = {"Bucket": cfg["BUCKET"], "Region": cfg["REGION"]}
src = f"{cfg['BUCKET']}.cos.{cfg['REGION']}.myqcloud.com/{SRC}"
copy, small, total, per_file, finished = [], [], [], [], []
await cos.sliceCopyFile(**base, Key=PREFIX + "/c.bin", CopySource=src, CopySliceSize=1048576, CopyChunkSize=1048576,
                        onProgress=lambda i: copy.append(dict(i)))
await cos.sliceCopyFile(**base, Key=PREFIX + "/s.bin", CopySource=src, onProgress=lambda i: small.append(dict(i)))
files = [dict(base, Key=f"{PREFIX}/f{n}", Body=js.Blob.new(["x" * (700000 * (n + 1))]),
              onProgress=lambda i, n=n: per_file.append([n, dict(i)])) for n in (0, 1)]
result = await cos.uploadFiles(files=files, SliceSize=1048576, onProgress=lambda i: total.append(dict(i)),
                               onFileFinish=lambda err, data, options: finished.append(options["Index"]))
{"copy": copy, "small": small, "total": total, "perFile": per_file, "finished": sorted(finished),
 "n": len(result["files"])}
"""


def _shape(events: list[dict]) -> None:
    assert events, "no progress event"
    for info in events:
        assert set(info) == {"loaded", "total", "speed", "percent"}, info
        assert 0 <= info["percent"] <= 1 and info["speed"] >= 0
    loaded = [int(info["loaded"]) for info in events]
    assert loaded == sorted(loaded), "progress went backwards"


def test_progress_events_side_by_side(harness, sdk_vars):
    token = uuid.uuid4().hex[:8]
    src = f"jp{token}/src.bin"
    put = """async ([cfg, key]) => new Promise((res) => new COS({SecretId: cfg.SECRET_ID, SecretKey: cfg.SECRET_KEY,
      Domain: cfg.DOMAIN}).putObject({Bucket: cfg.BUCKET, Region: cfg.REGION, Key: key,
      Body: 'z'.repeat(2621440)}, (err, data) => res(err ? err.code : data.statusCode)))"""
    assert harness.js(put, [sdk_vars, src]) == 200
    js = harness.js(JS_PROGRESS, [sdk_vars, src, f"jp{token}j"])
    py = harness.run(PY_PROGRESS, CFG=json.dumps(sdk_vars), SRC=src, PREFIX=f"jp{token}p", timeout=60)
    size = 2621440
    for out in (js, py):
        for name in ("copy", "small", "total"):
            _shape(out[name])
        for n in (0, 1):
            _shape([info for i, info in out["perFile"] if i == n])
        for name in ("copy", "small"):  # the last report: all of it (the JS SDK's numbers are strings here)
            last = out[name][-1]
            assert (int(last["loaded"]), int(last["total"]), last["percent"]) == (size, size, 1), (name, last)
        assert out["total"][-1]["loaded"] == out["total"][-1]["total"] == 700000 * 3
        assert out["total"][-1]["percent"] == 1
        assert {n for n, _ in out["perFile"]} == {0, 1}
        assert out["finished"] == ["0", "1"] and out["n"] == 2
    assert len(py["copy"]) >= 2  # parts reported as they finish, then the end
    assert isinstance(py["copy"][-1]["total"], int)
