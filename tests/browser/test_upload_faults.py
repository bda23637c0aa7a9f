"""Uploads riding through faults on the wire (issue 12): every fault is injected by the local
COS server (``cos_faults``, docs/reliability.md), so Chromium's network stack really sees the
503, the reset connection, the stalled body, the lost response; nothing is faked in the page.

Each test selects its faults by its own key prefix, so rules never touch another test's
requests. ``wire`` (tests/browser/upload_page.py) counts what the page sent.
"""

from __future__ import annotations

import pytest

from cos_web.server.cors import OPEN_RULE
from tests.browser.upload_page import KEEP, MB, make_file, new_key

pytestmark = pytest.mark.browser


def _prefix(key: str) -> str:
    """The key's own folder (unique per test): the rules' ``prefix=`` selector."""
    return key.rsplit("/", 1)[0] + "/"


UPLOAD = """
data = await cos.slice_upload_file(**BR, Key=key, Body=js.testFiles.get(name))
[await md5_of(key), sorted(wire.parts_started), wire.count("POST", "uploads"), wire.count("POST", "uploadId="),
 data["ETag"], data["UploadId"]]
"""


def test_part_503s_and_a_reset_mid_body_are_retried(upload_run, harness, tmp_path, cos_faults):
    path, md5 = make_file(tmp_path, 4 * MB)
    name = harness.add_file(path)
    key = new_key("wire-503-reset")
    p = _prefix(key)
    cos_faults.add(
        f"prefix={p} op=part action=delay:0\n"  # fires on every part PUT: the server's count of them
        f"prefix={p} op=part part=2 nth=1 action=status:503\n"
        f"prefix={p} op=part part=3 nth=1 action=reset:256k\n"
        f"prefix={p} op=part part=4 nth=1-2 action=status:500"
    )
    got, started, inits, completes, etag, _ = upload_run(UPLOAD, name=name, key=key)
    fired = cos_faults.log()
    seen = [f for f in fired if f["action"] == "delay:0"]
    faults = sorted((int(f["part"]), f["action"]) for f in fired if f["action"] != "delay:0")
    assert got == md5  # byte-exact
    assert faults == [(2, "status:503"), (3, "reset:256k"), (4, "status:500"), (4, "status:500")]
    assert len(seen) == 4 + len(faults)  # part PUTs = parts + faults
    # The page resent 2 and 4 itself; a reset on a reused connection Chromium may resend on its own.
    assert started.count(2) == 2 and started.count(4) == 3 and started.count(3) in (1, 2)
    assert inits == 1 and completes == 1 and etag.endswith('-4"')


def test_init_503_once_is_retried(upload_run, harness, tmp_path, cos_faults):
    path, md5 = make_file(tmp_path, 2 * MB + 5)
    name = harness.add_file(path)
    key = new_key("wire-init-503")
    cos_faults.add(f"prefix={_prefix(key)} op=init nth=1 action=status:503")
    got, started, inits, completes, _, _ = upload_run(UPLOAD, name=name, key=key)
    assert got == md5
    assert inits == 2 and started == [1, 2, 3] and completes == 1
    assert [f["action"] for f in cos_faults.log()] == ["status:503"]


def test_a_stalled_part_is_aborted_by_the_idle_timeout_and_sent_again(upload_run, harness, tmp_path, cos_faults):
    # The server stops reading part 2 after 64 KiB for ten minutes: far beyond the page's run
    # limit, so only the idle timeout (1.5 s here) gets this upload done.
    path, md5 = make_file(tmp_path, 3 * MB)
    name = harness.add_file(path)
    key = new_key("wire-stall")
    cos_faults.add(f"prefix={_prefix(key)} op=part part=2 nth=1 action=stall:64k:10m")
    out = upload_run(
        UPLOAD.replace("\n[", "\n[wire.parts_aborted, ") ,
        name=name,
        key=key,
        OPTS={"IdleTimeout": 1500},
    )
    aborted, got, started, inits, completes, _, _ = out
    assert got == md5
    assert started == [1, 2, 2, 3] and aborted == 1 and inits == 1 and completes == 1


def test_a_lost_complete_response_is_recovered_without_sending_again(upload_run, harness, tmp_path, cos_faults):
    # The server completes the upload, then resets the connection instead of answering: the
    # retried complete (by the page, or by Chromium itself on a reused connection) finds
    # NoSuchUpload, and the object's ETag (the multipart ETag of our parts) proves it is ours.
    path, md5 = make_file(tmp_path, 3 * MB + 17)
    name = harness.add_file(path)
    key = new_key("wire-lost-complete")
    p = _prefix(key)
    cos_faults.add(f"prefix={p} op=complete action=delay:0\nprefix={p} op=complete nth=1 action=drop")
    got, started, inits, completes, etag, upload_id = upload_run(UPLOAD, name=name, key=key)
    fired = [f["action"] for f in cos_faults.log()]
    assert got == md5
    assert started == [1, 2, 3, 4] and inits == 1 and completes in (1, 2)
    assert fired.count("drop") == 1 and fired.count("delay:0") == 2  # the server saw two completes
    assert etag.endswith('-4"') and upload_id


def test_cancel_during_a_delayed_init_leaves_no_upload(upload_run, harness, tmp_path, cos_faults):
    # The server creates the upload, then holds its answer for 2 s; the page cancels meanwhile.
    path, _ = make_file(tmp_path, 2 * MB)
    name = harness.add_file(path)
    key = new_key("wire-cancel-init")
    cos_faults.add(f"prefix={_prefix(key)} op=init action=delay-after:2")
    out = upload_run(
        """
call = cos.slice_upload_file(**BR, Key=key, Body=js.testFiles.get(name))
await wait_until(lambda: wire.count("POST", "uploads") == 1)
await cos.cancel_task(call.taskId)
try:
    await call
    outcome = "no error"
except CosError as e:
    outcome = e.code
[outcome, await uploads_of(key), cos.get_task(call.taskId)["state"], len(wire.parts_started),
 wire.count("DELETE", "uploadId=")]
""",
        name=name,
        key=key,
    )
    outcome, left, state, parts, aborts = out
    assert [f["action"] for f in cos_faults.log()] == ["delay-after:2"]  # the upload was created
    assert left == [] and state == "canceled" and parts == 0 and aborts == 1
    assert outcome == "Canceled"


def test_retries_run_out_with_a_clear_error_and_restart_sends_only_what_is_missing(
    upload_run, harness, tmp_path, cos_faults
):
    # Part 3 fails three times (its first attempt and both retries); restartTask then sends
    # part 3 alone: the other parts are on the server and verified.
    path, md5 = make_file(tmp_path, 4 * MB)
    name = harness.add_file(path)
    key = new_key("wire-exhausted")
    cos_faults.add(f"prefix={_prefix(key)} op=part part=3 times=3 action=status:503")
    out = upload_run(
        """
called = []
call = cos.slice_upload_file(**BR, Key=key, Body=js.testFiles.get(name),
                             callback=lambda err, data: called.append([err and err.code, data]))
await call
err = cos.get_task(call.taskId)["error"]
sent = len(wire.requests)
await asyncio.sleep(1.0)
quiet = len(wire.requests) == sent
first = list(wire.parts_started)
wire.parts_started.clear()
await cos.restart_task(call.taskId)
await wait_until(lambda: cos.get_task(call.taskId)["state"] in ("success", "error"))
[called, err, quiet, first, list(wire.parts_started), cos.get_task(call.taskId)["state"], await md5_of(key),
 wire.count("POST", "uploads")]
""",
        name=name,
        key=key,
        OPTS={"ChunkRetryTimes": 2, "RetryWindow": 0, "ChunkParallelLimit": 2},
    )
    called, err, quiet, first, resent, state, got, inits = out
    assert called[0] == ["ServiceUnavailable", None]  # the callback heard of it
    assert err["code"] == "ServiceUnavailable" and err["statusCode"] == 503
    assert err["PartNumber"] == 3 and err["Attempts"] == 3 and err["UploadId"]
    assert "part 3" in err["message"] and "3 attempts" in err["message"] and err["UploadId"] in err["message"]
    assert quiet and first.count(3) == 3 and sorted(set(first)) == [1, 2, 3, 4]
    assert resent == [3] and state == "success" and got == md5 and inits == 1


def test_two_tabs_upload_different_files_to_one_key(upload_run, harness, new_harness, cos_vars, tmp_path, cos_faults):
    # Tab A starts; its first two parts wait 6 s at the server, so tab B (another browser
    # context, same key, a different file of the same size) finds A's upload with no parts
    # listed. B must not adopt it: each upload gets only its own file's parts.
    from tests.browser.upload_page import PRELUDE

    path_a, md5_a = make_file(tmp_path, 4 * MB)
    path_b, md5_b = make_file(tmp_path, 4 * MB)
    key = new_key("two-tabs")
    tab_b = new_harness()  # booted first: A's parts must still be held when B starts
    name_b = tab_b.add_file(path_b)
    cos_faults.add(f"prefix={_prefix(key)} op=part nth=1-2 action=delay:6")
    name_a = harness.add_file(path_a)
    upload_run(
        KEEP
        + """
call_a = cos.slice_upload_file(**BR, Key=key, Body=js.testFiles.get(name))
await wait_until(lambda: len(wire.parts_started) == 2)
KEPT.update(call=call_a, cos=cos)
""",
        name=name_a,
        key=key,
        OPTS={"ChunkParallelLimit": 2},
    )
    b_result = tab_b.run(
        PRELUDE
        + """
data = await cos.slice_upload_file(**BR, Key=key, Body=js.testFiles.get(name))
[data["UploadId"], (await cos.head_object(**BR, Key=key))["ETag"]]
""",
        name=name_b,
        key=key,
        timeout=90,
        **cos_vars,
    )
    a_result = harness.run(
        KEEP
        + """
data = await KEPT["call"]
info = await KEPT["cos"].head_object(Bucket=BUCKET, Region=REGION, Key=key)
[data["UploadId"], info["ETag"]]
""",
        key=key,
        timeout=90,
        **cos_vars,
    )
    (b_upload, etag_b), (a_upload, etag_a) = b_result, a_result
    assert b_upload != a_upload  # B did not adopt A's upload
    assert etag_b != etag_a  # each complete made its own object
    final = upload_run("await md5_of(key)", key=key)
    assert final in (md5_a, md5_b)  # exactly one file's bytes (A's, unless B was slower than A's held parts)


def test_the_page_clock_an_hour_off_with_date_not_exposed(upload_run, harness, tmp_path, cos_faults):
    # The bucket's CORS rule does not expose Date: the client reads the server's clock from
    # ServerTime in the RequestTimeTooSkewed / "Request has expired" error body.
    path, md5 = make_file(tmp_path, 2 * MB + 3)
    name = harness.add_file(path)
    key = new_key("clock-skew")
    out = upload_run(
        """
import time
rule = dict(OPEN_RULE, ExposeHeader=[h for h in OPEN_RULE["ExposeHeader"] if h != "Date"])
await cos.put_bucket_cors(**BR, CORSRules=[rule])
try:
    seen = (await cos.head_bucket(**BR))["headers"]
    results = []
    for off in (3600, -3600):
        skewed = COS(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Domain=DOMAIN, ChunkSize=1048576,
                     clock=lambda off=off: time.time() + off)
        data = await skewed.slice_upload_file(**BR, Key=key, Body=js.testFiles.get(name))
        results.append([await md5_of(key), round(skewed.options["SystemClockOffset"] / 1000 / 60)])
finally:
    await cos.put_bucket_cors(**BR, CORSRules=[OPEN_RULE])
["date" in seen, "etag" in seen or "x-cos-request-id" in seen, results]
""",
        name=name,
        key=key,
        OPEN_RULE=OPEN_RULE,
    )
    date_seen, others_seen, results = out
    assert not date_seen and others_seen
    assert results == [[md5, -60], [md5, 60]]


def test_expired_temporary_keys_are_asked_for_again(upload_run, harness, tmp_path, cos_faults):
    # getSTS hands out 20-second keys (the local server takes its own key pair with any token);
    # the page clock is 10 minutes slow, so the cache thinks them good for 10 more minutes.
    # The server refuses the first token from part 2 on (ExpiredToken): the client drops it,
    # asks getSTS again and finishes with the fresh one.
    path, md5 = make_file(tmp_path, 4 * MB)
    name = harness.add_file(path)
    key = new_key("expired-token")
    cos_faults.add(f"prefix={_prefix(key)} op=part part=2 nth=1 action=expire-token")
    out = upload_run(
        """
import time
issued = []
def get_sts(options, callback):
    now = int(time.time())
    issued.append(f"token-{len(issued) + 1}")
    callback({"TmpSecretId": SECRET_ID, "TmpSecretKey": SECRET_KEY, "SecurityToken": issued[-1],
              "StartTime": now, "ExpiredTime": now + 20})
sts = COS(getSTS=get_sts, Domain=DOMAIN, ChunkSize=1048576, ChunkParallelLimit=1, clock=lambda: time.time() - 600)
data = await sts.slice_upload_file(**BR, Key=key, Body=js.testFiles.get(name))
[await md5_of(key), issued]
""",
        name=name,
        key=key,
    )
    got, issued = out
    fired = cos_faults.log()
    assert got == md5
    assert issued[:2] == ["token-1", "token-2"]
    assert [f["action"] for f in fired][:1] == ["expire-token"]


def test_a_signer_exception_stops_the_task_with_a_clear_error(upload_run, harness, tmp_path, cos_faults):
    path, _ = make_file(tmp_path, 6 * MB)
    name = harness.add_file(path)
    key = new_key("signer-throws")
    out = upload_run(
        """
def signer(options, callback):
    if str(options["Query"].get("partNumber")) == "3":
        raise RuntimeError("the page's signer broke")
    return COS.get_authorization(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Method=options["Method"],
                                 Key=options["Key"], Query=options["Query"], Headers=options["Headers"])
signed = COS(getAuthorization=signer, Domain=DOMAIN, ChunkSize=1048576, ChunkParallelLimit=3)
wire2 = Wire(signed._pipeline.transport)
signed._pipeline.transport = wire2
heard = []
call = signed.slice_upload_file(**BR, Key=key, Body=js.testFiles.get(name),
                                callback=lambda err, data: heard.append([err.code, err.message, data]))
await call
after_settle = len(wire2.requests)
await asyncio.sleep(1.5)
quiet = len(wire2.requests) == after_settle
try:
    await signed.slice_upload_file(**BR, Key=key, Body=js.testFiles.get(name))
    awaited = None
except CosError as e:
    awaited = [e.code, e.extra.get("PartNumber")]
[heard, quiet, signed.get_task(call.taskId)["state"], awaited, sorted(set(wire2.parts_started))]
""",
        name=name,
        key=key,
    )
    heard, quiet, state, awaited, parts = out
    assert len(heard) == 1 and heard[0][0] == "CredentialsError" and heard[0][2] is None
    assert "part 3" in heard[0][1] and "getAuthorization failed" in heard[0][1] and "signer broke" in heard[0][1]
    assert quiet and state == "error" and awaited == ["CredentialsError", 3]
    assert 3 not in parts


def test_a_hung_sts_callback_times_out(harness, cos_vars):
    out = harness.run(
        """
from cos_web import COS, CosError
def get_sts(options, callback):
    pass  # never calls back
cos = COS(getSTS=get_sts, Domain=DOMAIN, CredentialsTimeout=300)
try:
    await cos.head_bucket(Bucket=BUCKET, Region=REGION)
except CosError as e:
    result = [e.code, e.message]
result
""",
        **cos_vars,
    )
    assert out == ["CredentialsError", "getSTS did not answer within 0.3 s"]


def test_an_upload_rides_through_ten_seconds_of_an_unreachable_server(
    upload_run, harness, cos_vars, tmp_path, cos_faults
):
    # Default options. Every request for this upload is reset for 10 s once part 2 has been
    # sent (the page sees connection errors, as with a server that is down), then the rules go.
    import time

    path, md5 = make_file(tmp_path, 4 * MB)
    name = harness.add_file(path)
    key = new_key("outage")
    upload_run(
        KEEP
        + """
wire.delay = 0.5  # each part waits in the page first: the outage begins mid-upload
call = cos.slice_upload_file(**BR, Key=key, Body=js.testFiles.get(name))
await wait_until(lambda: wire.parts_done)
KEPT.update(call=call, wire=wire, cos=cos)
""",
        name=name,
        key=key,
        OPTS={"ChunkParallelLimit": 1},
    )
    cos_faults.add(f"prefix={_prefix(key)} op=any action=reset")
    time.sleep(10)
    resets = len(cos_faults.log())
    cos_faults.clear()
    got, sent = harness.run(
        KEEP
        + """
import hashlib
data = await KEPT["call"]
body = (await KEPT["cos"].get_object(Bucket=BUCKET, Region=REGION, Key=key))["Body"]
[hashlib.md5(body).hexdigest(), len(KEPT["wire"].parts_started)]
""",
        key=key,
        timeout=60,
        **cos_vars,
    )
    assert got == md5 and resets >= 4 and sent >= 4 + 2
