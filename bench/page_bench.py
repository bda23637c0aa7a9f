"""The bench's cos_web side, run inside the page (Pyodide) as module ``cos_web_bench``.

Each function times itself with the page's ``performance.now()`` (the clock bench/page.js
uses), so cos_web and its JavaScript baselines are measured alike: from the call to the
result, in the same page, against the same local COS server.
"""

import asyncio

import js  # type: ignore[import-not-found]
from js import performance  # type: ignore[import-not-found]

from cos_web import COS

CFG: dict = {}


def init(cfg):
    CFG.update(cfg)


def client(**options):
    return COS(SecretId=CFG["SECRET_ID"], SecretKey=CFG["SECRET_KEY"], Domain=CFG["DOMAIN"], **options)


def _br():
    return {"Bucket": CFG["BUCKET"], "Region": CFG["REGION"]}


async def slice_upload(name, key, chunk_size, parallel):
    cos = client(ChunkParallelLimit=parallel)
    body = js.globalThis.testFiles.get(name)
    t0 = performance.now()
    data = await cos.slice_upload_file(**_br(), Key=key, Body=body, ChunkSize=chunk_size)
    return {"ms": performance.now() - t0, "size": int(body.size), "etag": data.get("ETag", "")}


async def default_upload(name, key):
    """sliceUploadFile with no ChunkSize / ChunkParallelLimit (bench/links.py): cos_web's own choice."""
    cos = client()
    body = js.globalThis.testFiles.get(name)
    t0 = performance.now()
    call = cos.slice_upload_file(**_br(), Key=key, Body=body)
    data = await call
    ms = performance.now() - t0
    run = cos._uploads.queue.controls[call.taskId].run
    ctl = run.gate.concurrency
    return {"ms": ms, "size": int(body.size), "etag": data.get("ETag", ""), "part_mb": ctl.part_size / 2**20,
            "most_in_flight": run.gate.most, "limits": [limit for _, limit, _ in ctl.rates]}


async def get_blob(key):
    cos = client()
    t0 = performance.now()
    data = await cos.get_object(**_br(), Key=key, DataType="blob")
    return {"ms": performance.now() - t0, "size": int(data["Body"].size)}


async def _pool(n, inflight, task):
    pending = iter(range(n))

    async def worker():
        for i in pending:
            await task(i)

    t0 = performance.now()
    await asyncio.gather(*(worker() for _ in range(min(n, inflight))))
    return performance.now() - t0


async def small_ops(n, inflight, prefix):
    """``n`` putObject of 1 KB (bytes, as a Python caller has them), then ``n`` headObject."""
    cos = client()
    body = b"x" * 1024
    br = _br()
    put = await _pool(n, inflight, lambda i: cos.put_object(**br, Key=f"{prefix}{i}", Body=body))
    head = await _pool(n, inflight, lambda i: cos.head_object(**br, Key=f"{prefix}{i}"))
    return {"put_ms": put, "head_ms": head}


async def head_variants(keys):
    """Sequential HEADs of ``keys`` through layers of cos_web: where its per-request time goes."""
    from pyodide.ffi import to_js  # type: ignore[import-not-found]
    from pyodide.http import pyfetch  # type: ignore[import-not-found]

    from cos_web.transport import XHRTransport

    br = _br()
    host = f"{CFG['BUCKET']}.cos.{CFG['REGION']}.localhost:{CFG['COS_PORT']}"
    signed = []
    for key in keys:
        auth = COS.get_authorization(SecretId=CFG["SECRET_ID"], SecretKey=CFG["SECRET_KEY"], Method="HEAD", Key=key,
                                     Headers={"host": host})  # fmt: skip
        signed.append((f"http://{host}/{key}", auth))
    cos, cos_xhr = client(), client(transport=XHRTransport())

    async def fast_path_off(i):
        from cos_web import _fastpath

        was = _fastpath.enabled()
        _fastpath.set_enabled(False)  # what cos_web/_fastpath.py buys: the same call on plain asyncio
        try:
            await cos.head_object(**br, Key=keys[i])
        finally:
            _fastpath.set_enabled(was)

    async def via_pyfetch(i):
        url, auth = signed[i]
        r = await pyfetch(url, method="HEAD", headers={"Authorization": auth})
        assert r.status == 200, r.status
        r.headers

    async def via_js_fetch(i):
        url, auth = signed[i]
        r = await js.fetch(url, to_js({"method": "HEAD", "headers": {"Authorization": auth}}, dict_converter=js.Object.fromEntries))
        assert r.status == 200, r.status

    async def via_one_js_promise(i):
        url, auth = signed[i]
        r = await js.bench.xhrHead(url, auth)
        assert r.status == 200, r.status

    variants = {
        "cos_web head_object (default transport: fetch)": lambda i: cos.head_object(**br, Key=keys[i]),
        "cos_web head_object with XHRTransport": lambda i: cos_xhr.head_object(**br, Key=keys[i]),
        "cos_web head_object, fast path off (COS_WEB_FASTPATH=0)": fast_path_off,
        "cos_web pipeline.send('headObject') (no call task)": lambda i: cos._pipeline.send("headObject", dict(br, Key=keys[i])),
        "pyfetch from Python, pre-signed": via_pyfetch,
        "js.fetch awaited in Python, pre-signed": via_js_fetch,
        "one JS promise (XHR + headers) awaited in Python, pre-signed": via_one_js_promise,
    }
    out = {}
    for name, fn in variants.items():
        out[name] = await _pool(len(keys), 1, fn)
    return out
