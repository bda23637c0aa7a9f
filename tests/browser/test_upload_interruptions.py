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
