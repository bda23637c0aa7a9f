"""cos_web in a plain Web Worker, where a JupyterLite kernel runs: no window, no document."""


def test_cos_web_imports_in_a_worker(worker):
    info = worker.run(
        """
import js, sys, cos_web
{
    "version": cos_web.__version__,
    "file": cos_web.__file__,
    "has_window": hasattr(js, "window"),
    "has_document": hasattr(js, "document"),
    "has_local_storage": hasattr(js, "localStorage"),
    "is_worker": str(js.self.constructor.name),
    "has_fetch": hasattr(js, "fetch"),
    "has_xhr": hasattr(js, "XMLHttpRequest"),
}
"""
    )
    assert info["version"] == __import__("cos_web").__version__
    assert "site-packages/cos_web" in info["file"]
    assert info["is_worker"] == "DedicatedWorkerGlobalScope"
    assert not info["has_window"] and not info["has_document"] and not info["has_local_storage"]
    assert info["has_fetch"] and info["has_xhr"]


def test_worker_errors_and_files(worker, tmp_path):
    import pytest

    from tests.conftest import PageError

    with pytest.raises(PageError, match="ZeroDivisionError"):
        worker.run("1 / 0")
    path = tmp_path / "w.bin"
    path.write_bytes(b"worker" * 100)
    name = worker.add_file(path)
    data = worker.run("import js\n(await js.testFiles.get(name).arrayBuffer()).to_bytes()", name=name)
    assert data == path.read_bytes()


# --------------------------------------------------------------------------- SDK calls in a worker
# The same calls as in a page, inside a dedicated worker (where a JupyterLite kernel runs):
# fetch and XHR transports, bytes/str/Blob/File bodies, Python and JavaScript getAuthorization.

import uuid

import pytest

WORKER_PRELUDE = """
import js
from cos_web import COS, CosError
B, R = BUCKET, REGION
cos = COS(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Domain=DOMAIN)
"""


@pytest.fixture
def wrun(worker, cos_server):
    def run(code: str, **kw):
        return worker.run(WORKER_PRELUDE + code, **cos_server.vars, **kw)

    return run


@pytest.fixture
def prefix():
    return f"worker/{uuid.uuid4().hex[:8]}/"


def test_object_round_trip_in_worker(wrun, prefix):
    out = wrun(
        """
data = bytes(range(256)) * 1000
put = await cos.put_object(Bucket=B, Region=R, Key=prefix + "a.bin", Body=data)
got = await cos.get_object(Bucket=B, Region=R, Key=prefix + "a.bin")
await cos.put_object(Bucket=B, Region=R, Key=prefix + "t.txt", Body="héllo wörker")
text = await cos.get_object(Bucket=B, Region=R, Key=prefix + "t.txt", DataType="text")
blob = await cos.get_object(Bucket=B, Region=R, Key=prefix + "a.bin", DataType="blob")
listing = await cos.get_bucket(Bucket=B, Region=R, Prefix=prefix)
try:
    await cos.head_object(Bucket=B, Region=R, Key=prefix + "missing")
    missing = None
except CosError as err:
    missing = err.statusCode
{
    "put": put["statusCode"], "etag": put["ETag"], "same": got["Body"] == data,
    "text": text["Body"], "blob": [str(blob["Body"].constructor.name), blob["Body"].size],
    "keys": sorted(c["Key"] for c in listing["Contents"]), "missing": missing,
}
""",
        prefix=prefix,
    )
    assert out["put"] == 200 and out["etag"].startswith('"')
    assert out["same"] and out["text"] == "héllo wörker"
    assert out["blob"] == ["Blob", 256000]
    assert out["keys"] == [prefix + "a.bin", prefix + "t.txt"]
    assert out["missing"] == 404


def test_xhr_progress_and_file_body_in_worker(worker, wrun, prefix, tmp_path):
    path = tmp_path / "picked.bin"
    path.write_bytes(bytes(range(251)) * 8000)  # ~2 MB, a File from the page, posted to the worker
    name = worker.add_file(path)
    out = wrun(
        """
file = js.testFiles.get(name)
seen = []
data = await cos.put_object(Bucket=B, Region=R, Key=prefix + name, Body=file,
                            onProgress=lambda info: seen.append(dict(info)))
back = await cos.get_object(Bucket=B, Region=R, Key=prefix + name, onProgress=lambda info: seen.append(dict(info)))
{"status": data["statusCode"], "size": len(back["Body"]), "last": seen[-1] if seen else None,
 "body_ok": back["Body"] == (await file.arrayBuffer()).to_bytes(), "events": len(seen)}
""",
        prefix=prefix,
        name=name,
    )
    assert out["status"] == 200 and out["body_ok"] and out["size"] == path.stat().st_size
    assert out["events"] >= 2 and out["last"]["percent"] == 1


def test_python_and_js_get_authorization_in_worker(wrun, prefix):
    out = wrun(
        """
from pyodide.ffi import create_proxy

calls = []

async def py_auth(options, callback):
    calls.append(("py", options["Method"], options["Key"]))
    return COS.get_authorization(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Method=options["Method"],
                                 Key=options["Key"], Query=options["Query"], Headers=options["Headers"])

def sign_for_js(options):
    options = options.to_py()
    calls.append(("js", options["Method"], options["Key"]))
    return COS.get_authorization(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Method=options["Method"],
                                 Key=options["Key"], Query=options["Query"], Headers=options["Headers"])

js.signForJs = create_proxy(sign_for_js)
js_auth = js.eval("(options, callback) => { setTimeout(() => callback({Authorization: self.signForJs(options)}), 0); }")

by_py = COS(getAuthorization=py_auth, Domain=DOMAIN)
by_js = COS(getAuthorization=js_auth, Domain=DOMAIN)
await by_py.put_object(Bucket=B, Region=R, Key=prefix + "py.txt", Body="from python")
await by_js.put_object(Bucket=B, Region=R, Key=prefix + "js.txt", Body="from javascript")
a = (await by_js.get_object(Bucket=B, Region=R, Key=prefix + "py.txt", DataType="text"))["Body"]
b = (await by_py.get_object(Bucket=B, Region=R, Key=prefix + "js.txt", DataType="text"))["Body"]
[a, b, [list(c) for c in calls]]
""",
        prefix=prefix,
    )
    a, b, calls = out
    assert (a, b) == ("from python", "from javascript")
    assert {c[0] for c in calls} == {"py", "js"}
    assert ["py", "put", prefix + "py.txt"] in [[c[0], c[1].lower(), c[2]] for c in calls]


def test_slice_upload_in_worker(worker, wrun, prefix, tmp_path):
    """sliceUploadFile with progress, pause/restart and its resume state, in a worker (no localStorage)."""
    from cos_web import COS

    if not hasattr(COS, "slice_upload_file"):
        pytest.skip("cos_web has no slice_upload_file yet (the upload issue)")
    path = tmp_path / "big.bin"
    path.write_bytes(bytes(range(256)) * (5 * 4096 + 7))  # ~5 MB: 5 parts of 1 MB
    name = worker.add_file(path)
    out = wrun(
        """
file = js.testFiles.get(name)
seen = []
data = await cos.slice_upload_file(Bucket=B, Region=R, Key=prefix + name, Body=file, ChunkSize=1024 * 1024,
                                   onProgress=lambda info: seen.append(dict(info)["percent"]))
back = await cos.get_object(Bucket=B, Region=R, Key=prefix + name)
{"etag": data.get("ETag"), "same": back["Body"] == (await file.arrayBuffer()).to_bytes(), "last": seen[-1] if seen else None}
""",
        prefix=prefix,
        name=name,
        timeout=120,
    )
    assert out["same"] and out["etag"] and out["last"] == 1


def test_pause_restart_and_resume_in_worker(worker, wrun, prefix, tmp_path):
    """pauseTask/restartTask in a worker, and resume by a fresh client (the server's listing is the
    resume state: nothing in localStorage, which a worker lacks)."""
    path = tmp_path / "resume.bin"
    path.write_bytes(bytes(range(256)) * (8 * 4096 + 3))  # 8 MB + 768 B: 9 parts of 1 MB
    name = worker.add_file(path)
    out = wrun(
        """
import asyncio

file = js.testFiles.get(name)
expected = (await file.arrayBuffer()).to_bytes()
MB = 1024 * 1024


def client():
    return COS(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Domain=DOMAIN, ProgressInterval=10)


async def start_and_pause(cos, key, seen):
    ids = []
    call = cos.slice_upload_file(Bucket=B, Region=R, Key=key, Body=file, ChunkSize=MB, AsyncLimit=1,
                                 TaskReady=ids.append, onProgress=lambda info: seen.append(dict(info)["loaded"]))
    for _ in range(3000):
        if seen and seen[-1] >= 2 * MB:
            break
        await asyncio.sleep(0.005)
    await cos.pause_task(ids[0])
    paused_at = seen[-1]
    await asyncio.sleep(0.3)
    return call, ids[0], paused_at


# 1. pause, then restart in the same client
cos1, seen1 = client(), []
call, task_id, paused_at = await start_and_pause(cos1, prefix + "restart.bin", seen1)
state_paused = [t["state"] for t in cos1.get_task_list() if t["id"] == task_id]
stalled = seen1[-1] == paused_at
await cos1.restart_task(task_id)
done1 = await call
back1 = (await cos1.get_object(Bucket=B, Region=R, Key=prefix + "restart.bin"))["Body"] == expected

# 2. pause, then a fresh client (as after a reload) uploads the same file: it resumes
cos2, seen2 = client(), []
_, _, paused_at2 = await start_and_pause(cos2, prefix + "resume.bin", seen2)
cos3, seen3 = client(), []
done3 = await cos3.slice_upload_file(Bucket=B, Region=R, Key=prefix + "resume.bin", Body=file, ChunkSize=MB,
                                     onProgress=lambda info: seen3.append(dict(info)["loaded"]))
back3 = (await cos3.get_object(Bucket=B, Region=R, Key=prefix + "resume.bin"))["Body"] == expected
{"state_paused": state_paused, "stalled": stalled, "paused_at": paused_at, "size": len(expected),
 "etag1": done1.get("ETag"), "back1": back1, "final1": seen1[-1],
 "paused_at2": paused_at2, "first3": seen3[0] if seen3 else None, "etag3": done3.get("ETag"), "back3": back3}
""",
        prefix=prefix,
        name=name,
        timeout=180,
    )
    size = out["size"]
    assert out["state_paused"] == ["paused"] and out["stalled"], out
    assert 0 < out["paused_at"] < size, out
    assert out["back1"] and out["etag1"] and out["final1"] == size, out
    assert out["back3"] and out["etag3"], out
    # The fresh client started from the parts already on the server, not from zero.
    assert out["first3"] is not None and out["first3"] >= 1024 * 1024, out
