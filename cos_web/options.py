"""The client's options: cos-js-sdk-v5's defaults and clamps, and a rule for every JS option.

Every option of cos-js-sdk-v5 1.10.1 (``defaultOptions`` in src/cos.js) is either
honoured (in :data:`DEFAULT_OPTIONS`) or has an entry in :data:`NOT_IMPLEMENTED` saying
which values ask for what cos_web does anyway (accepted) and why any other value is
refused (``CosError`` ``InvalidParameter`` from ``COS(...)``) or warned about. An
option neither SDK knows is warned about (a typo would otherwise be silently ignored).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

from .errors import invalid_parameter
from .values import MAX_PARTS, MIN_PART_SIZE

__all__ = ["DEFAULT_OPTIONS", "NOT_IMPLEMENTED", "checked_options"]

DEFAULT_OPTIONS: dict[str, Any] = {
    "SecretId": "",
    "SecretKey": "",
    "SecurityToken": "",
    "StartTime": 0,
    "ExpiredTime": 0,
    "ChunkRetryTimes": 2,
    "FileParallelLimit": 3,
    "ChunkParallelLimit": 3,
    "ChunkSize": 1024 * 1024,
    "SliceSize": 1024 * 1024,
    "CopyChunkParallelLimit": 20,
    "CopyChunkSize": 1024 * 1024 * 10,
    "CopySliceSize": 1024 * 1024 * 10,
    "MaxPartNumber": MAX_PARTS,
    "ProgressInterval": 1000,
    "Domain": "",
    "ServiceDomain": "",  # getService's endpoint ({{Region}}, {{AppId}} filled in); default cos.{Region}.myqcloud.com
    "Protocol": "",
    "CompatibilityMode": False,  # looser Region check (params.check_bucket_region)
    "UseRawKey": False,
    "Timeout": 0,  # ms, 0 = none: a request's total time, as the JS SDK
    "IdleTimeout": 30000,  # ms, 0 = none: a request without progress that long is aborted and retried
    "RetryWindow": 20000,  # ms: failed requests are retried (past ChunkRetryTimes) until this long after the first try
    "CredentialsTimeout": 60000,  # ms, 0 = none: how long getAuthorization / getSTS may take to answer
    "CorrectClockSkew": True,
    "SystemClockOffset": 0,  # ms
    "UploadCheckContentMd5": False,  # Content-MD5 on putObject and parts (content_md5)
    "UploadQueueSize": 10000,  # finished tasks kept in the task list (uploads.queue)
    "UploadIdCacheLimit": 50,  # sliceCopyFile's saved UploadIds (slice_copy; uploads resume from the server's list)
    "UploadAddMetaMd5": False,  # x-cos-meta-md5 on putObject / multipartInit (content_md5)
    "UseAccelerate": False,  # {Bucket}.cos.accelerate.myqcloud.com (request, pipeline, getObjectUrl)
    "ForceSignHost": True,
    "CopySourceParser": None,  # fn(CopySource) -> {Bucket, Region, Key} (params.copy_source_params)
    "ObjectKeySimplifyCheck": True,
    "getAuthorization": None,
    "getSTS": None,
    "AdaptiveUpload": True,  # cos_web's own: part size and parts in flight chosen when a call sets neither (uploads.adaptive)
    "Transport": "auto",  # or "xhr", "fetch", "pyfetch", "urllib" (cos_web.transport_choice)
}


def _off(value: Any) -> bool:
    return not value


def _anything(value: Any) -> bool:
    return True


# JS SDK option -> (accepted: the values that ask for what cos_web does, refuse?, why not more).
NOT_IMPLEMENTED: dict[str, tuple[Callable[[Any], bool], bool, str]] = {
    "ForcePathStyle": (_off, True, "not supported, as in cos-js-sdk-v5 (virtual-hosted style only)"),
    "AppId": (_off, True, "deprecated in cos-js-sdk-v5: put the AppId at the end of Bucket (test-1250000000)"),
    "AutoSwitchHost": (_off, True, "cos_web does not switch to the tencentcos.cn backup domain after network errors"),
    "EnableLog": (_off, True, "cos_web has no log-message events; use the browser's network panel"),
    "EnableLogcat": (_off, True, "cos_web has no SDK log"),
    "ClsLogger": (_off, True, "cos_web does not send logs to CLS"),
    "BeaconReporter": (_off, True, "cos_web does not report calls to Beacon"),
    "ClsReporter": (_off, True, "cos_web does not report calls to CLS"),
    "EnableReporter": (_off, True, "cos_web does not report calls"),
    # tuning of something above (the JS SDK too ignores them while it is off)
    "LogLevel": (_anything, False, ""),
    "LogExtras": (_anything, False, ""),
    "DeepTracker": (_anything, False, ""),
    "TrackerDelay": (_anything, False, ""),
    "CustomId": (_anything, False, ""),
}


def checked_options(given: Mapping[str, Any]) -> dict[str, Any]:
    """The client's options: defaults, then ``given``, clamped as the JS SDK clamps them.

    Raises CosError InvalidParameter for a JS SDK option cos_web cannot honour set to
    a value that asks for it; warns about unknown names and options without effect.
    """
    opts = dict(DEFAULT_OPTIONS)
    unknown = sorted(k for k in given if k not in DEFAULT_OPTIONS and k not in NOT_IMPLEMENTED)
    if unknown:
        warnings.warn(f"cos_web.COS: unknown option(s) {', '.join(unknown)} (not used)", stacklevel=3)
    for name, value in given.items():
        rule = NOT_IMPLEMENTED.get(name)
        if rule is None or rule[0](value):
            continue
        accepted, refuse, why = rule
        if refuse:
            raise invalid_parameter(name, f"{name}={value!r} is not supported: {why}")
        warnings.warn(f"cos_web.COS: option {name}={value!r} has no effect: {why}", stacklevel=3)
    opts.update({k: v for k, v in given.items() if k not in NOT_IMPLEMENTED})
    # which upload tunings the caller gave (even at their default values): those keep the JS SDK's meaning
    opts["_given"] = frozenset(k for k in ("ChunkSize", "ChunkParallelLimit") if k in given)
    opts["FileParallelLimit"] = max(1, int(opts["FileParallelLimit"]))
    opts["ChunkParallelLimit"] = max(1, int(opts["ChunkParallelLimit"]))
    opts["ChunkRetryTimes"] = max(0, int(opts["ChunkRetryTimes"]))
    opts["ChunkSize"] = max(MIN_PART_SIZE, int(opts["ChunkSize"]))
    opts["CopyChunkParallelLimit"] = max(1, int(opts["CopyChunkParallelLimit"]))
    opts["CopyChunkSize"] = max(MIN_PART_SIZE, int(opts["CopyChunkSize"]))
    opts["CopySliceSize"] = max(0, int(opts["CopySliceSize"]))
    opts["MaxPartNumber"] = max(1024, min(MAX_PARTS, int(opts["MaxPartNumber"])))
    opts["Timeout"] = max(0, opts["Timeout"] or 0)
    for name in ("IdleTimeout", "RetryWindow", "CredentialsTimeout"):
        opts[name] = max(0, float(opts[name] or 0))
    for name in ("getAuthorization", "getSTS", "CopySourceParser"):
        if opts[name] is not None and not callable(opts[name]):
            raise invalid_parameter(name, "must be a function")
    return opts
