"""What ``import cos_web`` loads, and the upload modules imported on first use."""

import asyncio
import subprocess
import sys

from cos_web import COS
from cos_web.transport import MockTransport, Response


def test_import_cos_web_leaves_heavy_modules_alone():
    code = (
        "import sys, cos_web\n"
        "heavy = ['cos_web.uploads', 'cos_web.upload', 'urllib.parse', 'ipaddress', 'email.utils', 'uuid', 'hmac']\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_upload_modules_load_on_first_use():
    code = (
        "import sys, asyncio, cos_web\n"
        "from cos_web.transport import MockTransport, Response\n"
        "cos = cos_web.COS(SecretId='id', SecretKey='key', transport=MockTransport(lambda r: Response(200, {}, '')))\n"
        "cos.on('task-list-update', print)\n"
        "before = [m for m in ('cos_web.uploads', 'cos_web.upload') if m in sys.modules]\n"
        "listed = cos.get_task_list(), cos.is_upload_running(), cos.get_task('x')\n"
        "still = [m for m in ('cos_web.uploads', 'cos_web.upload') if m in sys.modules]\n"
        "async def main():\n"
        "    await cos.pause_task('nope')\n"
        "asyncio.run(main())\n"
        "after = [m for m in ('cos_web.uploads', 'cos_web.upload') if m in sys.modules]\n"
        "print(before, still, listed, after)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[] [] ([], False, None) ['cos_web.uploads', 'cos_web.upload']"


def test_upload_methods_are_plain_methods_of_the_client():
    from cos_web.uploads import Uploads

    cos = COS(SecretId="id", SecretKey="key", transport=MockTransport(lambda r: Response(200, {}, "")))
    events = []
    cos.on("task-list-update", events.append)
    assert COS.sliceUploadFile is COS.slice_upload_file and COS.uploadFile is COS.upload_file
    assert COS.cancelTask is COS.cancel_task and COS.getTaskList is COS.get_task_list
    assert cos.get_task_list() == []
    assert not cos.is_upload_running()

    async def main():
        call = cos.upload_file(Bucket="b-1250000000", Region="ap-guangzhou", Key="k", Body=b"abc")
        assert isinstance(cos._uploads, Uploads)
        return await call

    assert asyncio.run(main())["statusCode"] == 200
    assert cos.get_task_list()[0]["state"] == "success"


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
