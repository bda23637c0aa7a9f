"""Uploads interrupted from outside the page (issue 12): the server killed with SIGKILL
and started again on the same data, and a real page reload with parts in flight."""

from __future__ import annotations

import time

import pytest

from tests.browser.upload_page import KEEP, MB, PRELUDE, make_file, new_key

pytestmark = pytest.mark.browser


def test_the_server_killed_mid_upload_and_restarted(harness, tmp_path):
    # A server of its own: killed (SIGKILL: no clean shutdown) after two parts, started again
    # 3 s later on the same port and data dir. With default options the upload rides through.
    from tests.conftest import CosServer

    server = CosServer(data_dir=tmp_path / "cos-data").start()
    try:
        path, md5 = make_file(tmp_path, 6 * MB)
        name = harness.add_file(path)
        key = new_key("kill-9")
        harness.run(
            PRELUDE
            + KEEP
            + """
wire.delay = 0.3
call = cos.slice_upload_file(**BR, Key=key, Body=js.testFiles.get(name))
await wait_until(lambda: len(wire.parts_done) >= 2)
KEPT.update(call=call, wire=wire, cos=cos)
""",
            name=name,
            key=key,
            OPTS={"ChunkParallelLimit": 1},
            **server.vars,
        )
        server.stop(kill=True)
        time.sleep(3)
        server.start()
        got, inits, parts, listed = harness.run(
            KEEP
            + """
import hashlib
cos, wire = KEPT["cos"], KEPT["wire"]
data = await KEPT["call"]
body = (await cos.get_object(Bucket=BUCKET, Region=REGION, Key=key))["Body"]
left = await cos.multipart_list(Bucket=BUCKET, Region=REGION, Prefix=key)
[hashlib.md5(body).hexdigest(), wire.count("POST", "uploads"), sorted(set(wire.parts_done)), left["Upload"]]
""",
            key=key,
            timeout=90,
            **server.vars,
        )
        assert got == md5 and inits == 1 and parts == [1, 2, 3, 4, 5, 6] and listed == []
    finally:
        server.stop()


def test_a_page_reload_with_parts_in_flight_then_only_missing_parts_are_sent(
    new_harness, cos_vars, tmp_path, cos_faults
):
    # Parts 3 and 4 are held at the server when the page reloads (their XHRs die with it). The
    # new page finds the upload, checks the listed parts by MD5 and sends exactly the others.
    page = new_harness()
    path, md5 = make_file(tmp_path, 6 * MB)
    key = new_key("reload-in-flight")
    prefix = key.rsplit("/", 1)[0] + "/"
    cos_faults.add(f"prefix={prefix} op=part part=3-6 nth=1-2 action=delay:4")
    name = page.add_file(path)
    page.run(
        PRELUDE
        + """
call = cos.slice_upload_file(**BR, Key=key, Body=js.testFiles.get(name))
await wait_until(lambda: sorted(wire.parts_done) == [1, 2] and wire.in_flight == 2)
""",
        timeout=90,
        name=name,
        key=key,
        OPTS={"ChunkParallelLimit": 2},
        **cos_vars,
    )
    page.reload()  # a fresh interpreter; the two part PUTs in flight are cut off
    time.sleep(5)  # the held parts end at the server (stored or not: the new page must tell)
    name = page.add_file(path)
    listed, started, inits, got, left = page.run(
        PRELUDE
        + """
[upload] = await uploads_of(key)
listed = sorted(int(p["PartNumber"]) for p in (await cos.multipart_list_part(**BR, Key=key, UploadId=upload))["Part"])
wire.requests.clear()
data = await cos.slice_upload_file(**BR, Key=key, Body=js.testFiles.get(name))
[listed, sorted(wire.parts_started), wire.count("POST", "uploads"), await md5_of(key), await uploads_of(key)]
""",
        timeout=90,
        name=name,
        key=key,
        **cos_vars,
    )
    assert listed[:2] == [1, 2] and set(listed) <= {1, 2, 3, 4}
    assert started == sorted(set(range(1, 7)) - set(listed))  # only what the server lacked
    assert inits == 0 and got == md5 and left == []


def test_twenty_second_keys_with_the_page_clock_ten_minutes_slow(harness, tmp_path):
    # A server of its own (in this process) that mints real temporary keys valid for 20 s. The
    # page's getSTS is answered by this test with a fresh key each time it asks. The page
    # clock is 10 minutes slow, so the cache thinks each key good for 10 more minutes; the
    # upload (every part held 5 s at the server) outlives the first key: the server answers
    # ExpiredToken, the client drops that key, asks getSTS again and finishes.
    from cos_web.server import start_in_thread
    from tests.conftest import PWCONFIG

    server = start_in_thread(port=0, data_dir=str(tmp_path / "cos-data"), secret_id=PWCONFIG.SECRET_ID,
                             secret_key=PWCONFIG.SECRET_KEY, buckets=[PWCONFIG.BUCKET], region=PWCONFIG.REGION,
                             quiet=True, faults="op=part action=delay:5")  # fmt: skip
    try:
        path, md5 = make_file(tmp_path, 5 * MB)
        name = harness.add_file(path)
        key = new_key("sts-20s")
        cos_vars = {"BUCKET": PWCONFIG.BUCKET, "REGION": PWCONFIG.REGION, "DOMAIN": PWCONFIG.cos_domain(server.port)}
        harness.run(
            KEEP
            + """
import js, time
from cos_web import COS
asked = []
def get_sts(options, callback):
    asked.append(callback)  # answered by the test, from the server's own key service
sts = COS(getSTS=get_sts, Domain=DOMAIN, ChunkSize=1048576, ChunkParallelLimit=1, clock=lambda: time.time() - 600)
KEPT.update(asked=asked, cos=sts, answered=0,
            call=sts.slice_upload_file(Bucket=BUCKET, Region=REGION, Key=key, Body=js.testFiles.get(name)))
""",
            name=name,
            key=key,
            **cos_vars,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            waiting, done = harness.run(KEEP + "[len(KEPT['asked']), KEPT['call'].done()]")
            if done:
                break
            for _ in range(waiting):
                keys = server.issue_temporary_credentials(20)
                keys.pop("StartTime", None)  # signed from the page's clock, as most STS answers are used
                harness.run(KEEP + "KEPT['asked'].pop(0)(KEYS); KEPT['answered'] += 1", KEYS=keys)
            time.sleep(0.2)
        got, answered, unanswered = harness.run(
            KEEP
            + """
import hashlib
from cos_web import COS
await KEPT["call"]
reader = COS(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Domain=DOMAIN)
body = (await reader.get_object(Bucket=BUCKET, Region=REGION, Key=key))["Body"]
[hashlib.md5(body).hexdigest(), KEPT["answered"], len(KEPT["asked"])]
""",
            SECRET_ID=PWCONFIG.SECRET_ID,
            SECRET_KEY=PWCONFIG.SECRET_KEY,
            key=key,
            timeout=60,
            **cos_vars,
        )
    finally:
        server.stop()
    # the first key served until the server refused it, then one fresh key per refusal
    assert got == md5 and 2 <= answered <= 3 and unanswered == 0
