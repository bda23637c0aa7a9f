"""Every public method and static of cos-js-sdk-v5 1.10.1 exists on ``cos_web.COS``, under its
JavaScript name and its snake_case name.

The names are read from the JS SDK's sources (node_modules/cos-js-sdk-v5/src), not listed
here: ``API_MAP`` of base.js and advance.js, the task methods task.js puts on a client
(``getTaskList``, ``pauseTask`` ...), the event methods of event.js, the deprecated
``...ACL`` / ``...CORS`` aliases base.js adds (JS name only: they are the JS spellings),
and the statics cos.js sets (``COS.version``, ``COS.getAuthorization``, ``COS.util.*``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cos_web import COS

SRC = Path(__file__).resolve().parents[2] / "node_modules" / "cos-js-sdk-v5" / "src"


def _read(name: str) -> str:
    path = SRC / name
    if not path.exists():
        pytest.fail(f"{path} is missing: run npm ci (the JS SDK is a dev dependency)")
    return path.read_text(encoding="utf-8")


def _api_map(name: str) -> list[str]:
    block = re.search(r"var API_MAP = \{(.*?)\n\};", _read(name), re.S)
    assert block, f"no API_MAP in {name}"
    return re.findall(r"^\s*(\w+):", block.group(1), re.M)


def _snake(name: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)


def _instance_names() -> list[str]:
    names = _api_map("base.js") + _api_map("advance.js")
    names += [n for n in re.findall(r"^\s*cos\.(\w+) = function", _read("task.js"), re.M) if not n.startswith("_")]
    names += re.findall(r"^\s*cos\.(\w+) = function", _read("event.js"), re.M)
    return sorted(set(names))


def test_the_js_sources_are_read():
    names = _instance_names()
    for expected in ("getService", "putObjectCopy", "uploadPartCopy", "sliceCopyFile", "uploadFiles",
                     "getTaskList", "cancelTask", "isUploadRunning", "on", "emit"):  # fmt: skip
        assert expected in names
    assert len(names) > 80


@pytest.mark.parametrize("name", _instance_names())
def test_every_method_exists_under_both_names(name):
    cos = COS(SecretId="id", SecretKey="key")
    missing = [n for n in (name, _snake(name)) if not callable(getattr(cos, n, None))]
    assert not missing, f"COS lacks {missing}"


def test_deprecated_aliases():
    aliases = []
    for name in _api_map("base.js"):
        for suffix in ("Cors", "Acl"):
            if name.endswith(suffix):
                aliases.append(name[: -len(suffix)] + suffix.upper())
    assert "putBucketACL" in aliases and "getBucketCORS" in aliases
    cos = COS(SecretId="id", SecretKey="key")
    assert [a for a in aliases if not callable(getattr(cos, a, None))] == []


def test_statics():
    source = _read("cos.js")
    util = re.search(r"COS\.util = \{(.*?)\};", source, re.S)
    assert util
    for name in re.findall(r"^\s*(\w+):", util.group(1), re.M):
        assert callable(getattr(COS.util, name, None)), f"COS.util.{name}"
        assert callable(getattr(COS.util, _snake(name), None)), f"COS.util.{_snake(name)}"
    statics = re.findall(r"^COS\.(\w+) = ", source, re.M)
    assert {"util", "getAuthorization", "version"} <= set(statics)
    for name in statics:
        assert getattr(COS, name, None) is not None, f"COS.{name}"
        assert getattr(COS, _snake(name), None) is not None, f"COS.{_snake(name)}"
    assert isinstance(COS.version, str) and COS.version
