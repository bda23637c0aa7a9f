"""``cos.putObject`` as a task, as in cos-js-sdk-v5 (its putObject goes through the task queue unless
``SkipTask``): onTaskReady, getTaskList, FileParallelLimit, cancelTask. Both SDKs in one Chromium page
against the local server; the task lists compared field by field."""

from __future__ import annotations

import json
import uuid

import pytest

from .test_js_parity import _compare, _normalise

pytestmark = pytest.mark.browser

FIELDS = ("Bucket", "Region", "Key", "state", "loaded", "size", "percent")

JS_RUN = """async (cfg) => {
  const cos = new COS({SecretId: cfg.SECRET_ID, SecretKey: cfg.SECRET_KEY, Domain: cfg.DOMAIN, FileParallelLimit: 1});
  const W = {Bucket: cfg.BUCKET, Region: cfg.REGION};
  const pick = (t) => Object.fromEntries(cfg.fields.map((f) => [f, t[f]]));
  const out = {};
  const ids = [];
  const put = (key, body) => new Promise((res) => cos.putObject(
    Object.assign({}, W, {Key: cfg.prefix + key, Body: body, onTaskReady: (id) => ids.push(id)}),
    (err, data) => res(err ? {err: err.code} : JSON.parse(JSON.stringify(data)))));
  const first = put('/one.txt', 'one');
  const second = put('/two.txt', new Blob(['two two']));
  const third = put('/three.txt', 'three');
  out.queued = cos.getTaskList().map((t) => t.state);
  out.ids_are_strings = ids.length === 3 && ids.every((i) => typeof i === 'string' && i.length > 8);
  out.one = await first; out.two = await second; out.three = await third;
  out.after = cos.getTaskList().map(pick);
  // cancel a waiting task: it never starts, the object is not written
  const blocker = put('/four.txt', 'four');
  let neverId;
  cos.putObject(Object.assign({}, W, {Key: cfg.prefix + '/never.txt', Body: 'never', onTaskReady: (id) => { neverId = id; }}),
                () => {});
  out.waiting = cos.getTaskList().slice(-1)[0].state;
  cos.cancelTask(neverId);
  await blocker;
  out.canceled = cos.getTaskList().slice(-2).map(pick);
  out.never = await new Promise((res) => cos.headObject(Object.assign({}, W, {Key: cfg.prefix + '/never.txt'}),
    (err, data) => res(err ? {statusCode: err.statusCode} : {statusCode: data.statusCode})));
  const skipped = await new Promise((res) => cos.putObject(Object.assign({}, W, {Key: cfg.prefix + '/skip.txt', Body: 's', SkipTask: true}),
    (err, data) => res(err ? {err: err.code} : JSON.parse(JSON.stringify(data)))));
  out.skip = skipped;
  out.count_after_skip = cos.getTaskList().length;
  return out;
}"""

PY_RUN = """
import asyncio, json, js
from cos_web import COS, CosError
cfg = json.loads(CFG)
cos = COS(SecretId=cfg["SECRET_ID"], SecretKey=cfg["SECRET_KEY"], Domain=cfg["DOMAIN"], FileParallelLimit=1)
W = {"Bucket": cfg["BUCKET"], "Region": cfg["REGION"]}
pick = lambda t: {f: t[f] for f in cfg["fields"]}
out, ids = {}, []

async def result(call):
    try:
        return json.loads(json.dumps(await call))
    except CosError as e:
        return {"err": e.code}

first = cos.putObject(**W, Key=cfg["prefix"] + "/one.txt", Body="one", onTaskReady=ids.append)
second = cos.put_object(**W, Key=cfg["prefix"] + "/two.txt", Body=js.Blob.new(["two two"]), onTaskReady=ids.append)
third = cos.putObject(**W, Key=cfg["prefix"] + "/three.txt", Body="three", onTaskReady=ids.append)
out["queued"] = [t["state"] for t in cos.getTaskList()]
out["ids_are_strings"] = len(ids) == 3 and all(isinstance(i, str) and len(i) > 8 for i in ids)
out["one"], out["two"], out["three"] = await result(first), await result(second), await result(third)
out["after"] = [pick(t) for t in cos.getTaskList()]
blocker = cos.putObject(**W, Key=cfg["prefix"] + "/four.txt", Body="four")
never = cos.putObject(**W, Key=cfg["prefix"] + "/never.txt", Body="never", callback=lambda e, d: None)
out["waiting"] = cos.getTaskList()[-1]["state"]
cos.cancelTask(never.taskId)
await result(blocker)
out["canceled"] = [pick(t) for t in cos.getTaskList()[-2:]]
try:
    out["never"] = {"statusCode": (await cos.headObject(**W, Key=cfg["prefix"] + "/never.txt"))["statusCode"]}
except CosError as e:
    out["never"] = {"statusCode": e.statusCode}
out["skip"] = await result(cos.putObject(**W, Key=cfg["prefix"] + "/skip.txt", Body="s", SkipTask=True))
out["count_after_skip"] = len(cos.getTaskList())
out
"""


def test_put_object_is_a_task_as_in_the_js_sdk(harness, sdk_vars):
    token = uuid.uuid4().hex[:8]
    js_prefix, py_prefix = f"pt{token}j", f"pt{token}p"
    js_raw = harness.js(JS_RUN, {**sdk_vars, "prefix": js_prefix, "fields": list(FIELDS)})
    py_raw = harness.run(PY_RUN, CFG=json.dumps({**sdk_vars, "prefix": py_prefix, "fields": list(FIELDS)}), timeout=60)
    js_out, py_out = _normalise(js_raw, js_prefix), _normalise(py_raw, py_prefix)
    # the first task has started: the JS SDK marks it uploading at once, cos_web once its run begins
    assert js_out.pop("queued")[1:] == py_out["queued"][1:] == ["waiting", "waiting"]
    assert py_out.pop("queued")[0] in ("checking", "uploading")
    _compare(js_out, py_out)
    assert py_out["waiting"] == "waiting"
    assert [t["state"] for t in py_out["after"]] == ["success"] * 3
    assert [t["state"] for t in py_out["canceled"]] == ["success", "canceled"]
    assert py_out["never"] == {"statusCode": 404} and py_out["count_after_skip"] == 5
