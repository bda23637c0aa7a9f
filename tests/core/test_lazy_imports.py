"""What ``import cos_web`` loads, and the upload-task methods imported on first use."""

import asyncio
import subprocess
import sys

from cos_web import COS
from cos_web.transport import MockTransport, Response


def test_import_cos_web_leaves_heavy_modules_alone():
    code = (
        "import sys, cos_web\n"
        "heavy = ['cos_web.tasks', 'cos_web.upload', 'urllib.parse', 'ipaddress', 'email.utils', 'uuid', 'hmac']\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_upload_placeholders_cover_the_mixin():
    from cos_web import client
    from cos_web.tasks import UploadMixin

    own = {n for n in UploadMixin.__dict__ if not n.startswith("__")}
    assert own == set(client._UPLOAD_ATTRS)


def test_upload_methods_resolve_on_first_use():
    cos = COS(SecretId="id", SecretKey="key", transport=MockTransport(lambda r: Response(200, {}, "")))
    events = []
    cos.on("task-list-update", events.append)  # imports cos_web.tasks, installs the real methods
    from cos_web.tasks import UploadMixin

    assert COS.__dict__["slice_upload_file"] is UploadMixin.__dict__["slice_upload_file"]
    assert COS.sliceUploadFile is UploadMixin.sliceUploadFile
    assert cos.get_task_list() == []
    assert not cos.is_upload_running()


def test_call_starts_without_being_awaited():
    sent = []
    cos = COS(SecretId="id", SecretKey="key", transport=MockTransport(lambda r: sent.append(r) or Response(200, {}, "")))

    async def main():
        result = cos.head_object(Bucket="b-1250000000", Region="ap-guangzhou", Key="k")
        for _ in range(3):
            await asyncio.sleep(0)
        assert len(sent) == 1
        assert result.done()
        return (await result)["statusCode"]

    assert asyncio.run(main()) == 200
