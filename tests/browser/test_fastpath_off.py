"""The browser tests' core subset again, in the same page, with cos_web's fast path off.

``cos_web._fastpath.set_enabled(False)`` for each test here (restored after): calls
start as plain ``loop.create_task`` tasks, replies are plain asyncio futures, awaiters
are woken by ``call_soon``. The tests are the existing ones, collected again here,
so the plain-asyncio fallback keeps exactly their assertions. (The whole browser
suite runs with the fast path off from import on with ``COS_WEB_FASTPATH=0``.)
"""

from __future__ import annotations

import sys

import pytest

from tests.browser import test_sdk_calls as calls
from tests.browser import test_sdk_modes as modes
from tests.browser import test_upload_multipart as multipart
from tests.browser import test_upload_pause as pause
from tests.browser import test_upload_retry as retry

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def fastpath_off(harness):
    was = harness.run("from cos_web import _fastpath\nwas = _fastpath.enabled()\n_fastpath.set_enabled(False)\nwas")
    yield
    harness.run("from cos_web import _fastpath\n_fastpath.set_enabled(was)", was=was)


@pytest.fixture
def run(request, harness, sdk_vars):
    """The ``run`` fixture of the module the test comes from (its PRELUDE)."""
    prelude = sys.modules[request.function.__module__].PRELUDE

    def run(code: str, **kw):
        return harness.run(prelude + code, **sdk_vars, **kw)

    return run


key = calls.key


def test_calls_here_take_the_plain_path(harness, sdk_vars):
    *types, status = harness.run(
        """
from cos_web import COS, _fastpath, transport
cos = COS(SecretId=SECRET_ID, SecretKey=SECRET_KEY, Domain=DOMAIN)
replies = []
real = _fastpath.reply_future
transport.reply_future = lambda loop: replies.append(real(loop)) or replies[-1]
try:
    task = cos.head_bucket(Bucket=BUCKET, Region=REGION)
    data = await task
finally:
    transport.reply_future = real
import asyncio
[type(task).__name__, type(replies[0]).__name__, isinstance(replies[0], asyncio.Future), data["statusCode"]]
""",
        **sdk_vars,
    )
    assert [*types, status] == ["PyodideTask", "PyodideFuture", True, 200]


# calls of the seed
test_head_bucket = calls.test_head_bucket
test_get_bucket = calls.test_get_bucket
test_head_object = calls.test_head_object
test_get_object = calls.test_get_object
test_put_object = calls.test_put_object
test_delete_object = calls.test_delete_object
test_multipart_calls = calls.test_multipart_calls
# credentials, URLs, progress, callbacks
test_get_authorization_js_function_answering_later = modes.test_get_authorization_js_function_answering_later
test_get_sts_temporary_keys_cached = modes.test_get_sts_temporary_keys_cached
test_get_object_url_signed_and_unsigned = modes.test_get_object_url_signed_and_unsigned
test_put_object_file_body_and_upload_progress = modes.test_put_object_file_body_and_upload_progress
test_callback_style_js_callback = modes.test_callback_style_js_callback
# uploads: parts, queue, pause / restart / cancel, part retries
test_multipart_upload_is_byte_exact_with_progress = multipart.test_multipart_upload_is_byte_exact_with_progress
test_file_parallel_limit_queues_files = multipart.test_file_parallel_limit_queues_files
test_pause_aborts_in_flight_parts_then_restart_finishes = pause.test_pause_aborts_in_flight_parts_then_restart_finishes
test_cancel_removes_the_upload_from_the_server = pause.test_cancel_removes_the_upload_from_the_server
test_injected_part_failures_are_retried = retry.test_injected_part_failures_are_retried
