"""uploadFile's and uploadFiles' SliceSize, as cos-js-sdk-v5 1.10.1 (src/advance.js) reads it.

uploadFile passes its params on to sliceUploadFile, whose part size is
``ChunkSize || SliceSize || options.ChunkSize``: a call's own SliceSize is both the
simple-or-slice threshold and the part size. uploadFiles' batch SliceSize is the
threshold only (the files' params do not get it), so a file's parts are its own
SliceSize or ChunkSize, else the client's ChunkSize.
"""

from __future__ import annotations

import asyncio
import os

from cos_web import CosError

from .fake_cos import MB, B, FakeCos, R

BR = {"Bucket": B, "Region": R}




def test_upload_file_slice_size_is_the_part_size_too():
    fake = FakeCos()
    data = os.urandom(5 * MB + 7)

    async def main():
        cos = fake.client(ChunkSize=2 * MB)
        return await cos.upload_file(**BR, Key="a", Body=data, SliceSize=MB)

    out = asyncio.run(main())
    assert fake.objects["a"] == data
    assert out["ETag"].endswith('-6"')  # 1 MB parts (the call's SliceSize), not the client's 2 MB ChunkSize


def test_upload_file_chunk_size_beats_slice_size():
    fake = FakeCos()
    data = os.urandom(5 * MB + 7)

    async def main():
        cos = fake.client()
        return await cos.upload_file(**BR, Key="b", Body=data, SliceSize=MB, ChunkSize=2 * MB)

    assert asyncio.run(main())["ETag"].endswith('-3"')


def test_upload_files_batch_slice_size_is_only_the_threshold():
    fake = FakeCos()
    big, small = os.urandom(5 * MB + 7), os.urandom(MB // 2)

    async def main():
        cos = fake.client(ChunkSize=2 * MB)
        files = [{**BR, "Key": "big", "Body": big}, {**BR, "Key": "own", "Body": big, "SliceSize": MB},
                 {**BR, "Key": "small", "Body": small}]  # fmt: skip
        return await cos.upload_files(files=files, SliceSize=MB)

    out = asyncio.run(main())
    etags = [entry["data"]["ETag"] for entry in out["files"]]
    assert etags[0].endswith('-3"')  # above the batch's 1 MB: sliced, in the client's 2 MB parts
    assert etags[1].endswith('-6"')  # a file's own SliceSize: its part size
    assert "-" not in etags[2]  # below the threshold: one putObject
    assert fake.objects["big"] == big and fake.objects["own"] == big and fake.objects["small"] == small


def test_upload_files_bad_batch_slice_size_fails_each_file_before_sending():
    fake = FakeCos()

    async def main():
        cos = fake.client()
        return await cos.upload_files(files=[{**BR, "Key": "x", "Body": b"abc"}], SliceSize="big")

    out = asyncio.run(main())
    err = out["files"][0]["error"]
    assert isinstance(err, CosError) and err.code == "InvalidParameter" and "SliceSize" in str(err)
    assert sum(fake.counts.values()) == 0
