"""The upload widget's plain-Python half: sizes and speeds in words, one file's upload as
data (states and the buttons each allows), a bucket listing as folders and files, and COS
errors in words for a person. No ``js`` here: it imports and is tested in CPython;
the rest of :mod:`cos_web.widget` draws it in the page.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from ..auth import percent_decode

__all__ = [
    "UploadItem",
    "Entry",
    "Listing",
    "format_bytes",
    "format_speed",
    "format_eta",
    "format_percent",
    "describe_error",
    "parse_listing",
    "breadcrumbs",
    "normalize_prefix",
]

# --------------------------------------------------------------------------- formatting


def format_bytes(size: float | int | None) -> str:
    """1536 -> '1.5 KB' (powers of 1024, as the COS console shows sizes)."""
    if size is None:
        return "—"
    size = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(size) < 1024 or unit == "TB":
            if unit == "B":
                return f"{int(size)} B"
            return f"{size:.1f} {unit}" if size < 100 else f"{size:.0f} {unit}"
        size /= 1024
    return f"{size:.0f} TB"  # pragma: no cover - loop always returns


def format_speed(bytes_per_second: float | None) -> str:
    if not bytes_per_second or bytes_per_second <= 0:
        return ""
    return format_bytes(bytes_per_second) + "/s"


def format_eta(remaining: float, bytes_per_second: float | None) -> str:
    """Time left in words a person reads at a glance: '12 s left', '3 min left'."""
    if not bytes_per_second or bytes_per_second <= 0 or remaining <= 0:
        return ""
    seconds = remaining / bytes_per_second
    if seconds < 60:
        return f"{max(1, round(seconds))} s left"
    if seconds < 3600:
        return f"{round(seconds / 60)} min left"
    return f"{seconds / 3600:.1f} h left"


def format_percent(fraction: float) -> str:
    return f"{int(max(0.0, min(1.0, fraction)) * 100)}%"


_ERROR_WORDS = {
    "AccessDenied": "Access was denied. The signing service or the bucket's permissions do not allow this.",
    "SignatureDoesNotMatch": "The storage server rejected the request's signature. Check the keys the signing service uses.",
    "InvalidAccessKeyId": "The storage server does not know the access key the signing service uses.",
    "NoSuchBucket": "The bucket does not exist (or is in another region).",
    "NoSuchKey": "That file is no longer in the bucket.",
    "NoSuchUpload": "The multipart upload no longer exists on the server; start the upload again.",
    "EntityTooLarge": "The file is larger than the server accepts.",
    "RequestTimeTooSkewed": "Your computer's clock differs too much from the server's.",
    "InvalidParameter": "The request was not valid",
    "NetworkError": "Could not reach the storage server. Check your connection, or whether the server is running (and allows this page through CORS).",
    "Timeout": "The storage server did not answer in time.",
}


def describe_error(error: Any) -> str:
    """An error in words for a person, from a CosError, a JS-style err dict, or any exception."""
    if error is None:
        return ""
    if isinstance(error, str):
        return error
    if isinstance(error, dict):
        code, message, status = error.get("code"), error.get("message"), error.get("statusCode")
    else:
        code = getattr(error, "code", None)
        message = getattr(error, "message", None) or str(error) or type(error).__name__
        status = getattr(error, "statusCode", None)
    if not isinstance(code, str):
        code = None
    words = _ERROR_WORDS.get(code or "")
    if code == "InvalidParameter":
        return f"{words}: {message}."
    if words:
        return words if not message or message in words else f"{words} ({message})"
    if status is None and code is None and isinstance(error, (OSError, ConnectionError)):
        return _ERROR_WORDS["NetworkError"]
    detail = f"{message}" if message else "Unknown error"
    if status:
        detail += f" (HTTP {status}{', ' + code if code else ''})"
    elif code:
        detail += f" ({code})"
    return detail


# --------------------------------------------------------------------------- upload state


# States of one file's upload, and the buttons each allows.
WAITING, UPLOADING, PAUSED, DONE, ERROR, CANCELED = "waiting", "uploading", "paused", "done", "error", "canceled"
_ACTIONS = {
    WAITING: ("pause", "cancel"),
    UPLOADING: ("pause", "cancel"),
    PAUSED: ("resume", "cancel"),
    ERROR: ("retry", "remove"),
    DONE: ("remove",),
    CANCELED: ("remove",),
}
_STATE_WORDS = {
    WAITING: "Waiting",
    UPLOADING: "Uploading",
    PAUSED: "Paused",
    DONE: "Uploaded",
    ERROR: "Failed",
    CANCELED: "Canceled",
}
_ids = itertools.count(1)


@dataclass
class UploadItem:
    """One file's upload as plain data; the row on screen is drawn from it."""

    name: str
    key: str
    size: int
    id: int = field(default_factory=lambda: next(_ids))
    state: str = WAITING
    loaded: int = 0
    speed: float = 0.0
    percent: float = 0.0
    task_id: str | None = None
    error: str = ""

    def actions(self) -> tuple[str, ...]:
        """Buttons the row shows now (pause and cancel need the task id the SDK hands back)."""
        acts = _ACTIONS[self.state]
        if self.task_id is None and self.state in (WAITING, UPLOADING):
            return tuple(a for a in acts if a != "pause")
        return acts

    @property
    def active(self) -> bool:
        return self.state in (WAITING, UPLOADING, PAUSED)

    def progress(self, loaded: Any = None, total: Any = None, speed: Any = None, percent: Any = None) -> bool:
        """Apply one onProgress report; False (ignored) when the item is no longer running."""
        if self.state not in (WAITING, UPLOADING):
            return False
        if total:
            self.size = int(total)
        if loaded is not None:
            self.loaded = int(loaded)
        if percent is not None:
            self.percent = float(percent)
        elif self.size:
            self.percent = self.loaded / self.size
        if speed is not None:
            self.speed = float(speed)
        self.state = UPLOADING
        return True

    def pause(self) -> bool:
        if self.state not in (WAITING, UPLOADING) or self.task_id is None:
            return False
        self.state, self.speed = PAUSED, 0.0
        return True

    def resume(self) -> bool:
        if self.state not in (PAUSED, ERROR) or self.task_id is None:
            return False
        self.state, self.error = WAITING, ""
        return True

    def cancel(self) -> bool:
        if self.state not in (WAITING, UPLOADING, PAUSED):
            return False
        self.state, self.speed = CANCELED, 0.0
        return True

    def finish(self) -> bool:
        if self.state in (CANCELED,):
            return False
        self.state, self.loaded, self.percent, self.speed, self.error = DONE, self.size, 1.0, 0.0, ""
        return True

    def fail(self, message: str) -> bool:
        if self.state in (CANCELED, PAUSED, DONE):
            return False
        self.state, self.error, self.speed = ERROR, message, 0.0
        return True

    def status_text(self) -> str:
        """The line under the bar: 'Uploading · 3.2 MB/s · 12 s left', 'Failed: ...'."""
        if self.state == ERROR:
            return f"Failed: {self.error}" if self.error else "Failed"
        parts = [_STATE_WORDS[self.state]]
        if self.state == UPLOADING:
            parts += [p for p in (format_speed(self.speed), format_eta(self.size - self.loaded, self.speed)) if p]
        if self.state in (UPLOADING, PAUSED) and self.size:
            parts.insert(1, f"{format_bytes(self.loaded)} of {format_bytes(self.size)}")
        return " · ".join(parts)


# --------------------------------------------------------------------------- listing


@dataclass
class Entry:
    key: str
    name: str
    is_folder: bool
    size: int | None = None
    last_modified: str = ""


@dataclass
class Listing:
    folder: str
    entries: list[Entry]
    truncated: bool = False
    next_marker: str = ""


def _field(obj: Any, name: str, default: Any = None) -> Any:
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    try:
        value = getattr(obj, name)
    except AttributeError:
        return default
    return default if value is None else value


def _as_list(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _as_is(value: str) -> str:
    return value


def parse_listing(data: Any, folder: str) -> Listing:
    """A get_bucket result (Prefix=folder, Delimiter='/') as folders first, then files, by name.

    A result listed with ``EncodingType=url`` (it says so in ``EncodingType``) has its keys,
    prefixes and next marker percent-encoded, as COS sends them; they are decoded here, so
    entries hold the real keys (the SDK, like cos-js-sdk-v5, returns them as sent).
    """
    decode = percent_decode if str(_field(data, "EncodingType", "")).lower() == "url" else _as_is
    folders, files = [], []
    for item in _as_list(_field(data, "CommonPrefixes")):
        prefix = decode(_field(item, "Prefix", ""))
        if prefix and prefix != folder:
            folders.append(Entry(key=prefix, name=prefix[len(folder):], is_folder=True))
    for item in _as_list(_field(data, "Contents")):
        key = decode(_field(item, "Key", ""))
        if not key or key == folder:  # the folder's own marker object
            continue
        size = _field(item, "Size")
        files.append(Entry(key=key, name=key[len(folder):], is_folder=False,
                           size=int(size) if size not in (None, "") else None,
                           last_modified=str(_field(item, "LastModified", "") or "")))  # fmt: skip
    truncated = str(_field(data, "IsTruncated", "false")).lower() == "true"
    marker = decode(_field(data, "NextMarker", "") or "")
    if truncated and not marker:
        keys = [e.key for e in folders + files]
        marker = max(keys) if keys else ""
    folders.sort(key=lambda e: e.name.lower())
    files.sort(key=lambda e: e.name.lower())
    return Listing(folder=folder, entries=folders + files, truncated=truncated, next_marker=marker)


def breadcrumbs(root: str, folder: str) -> list[tuple[str, str]]:
    """(label, folder) pairs from the widget's root folder down to ``folder``."""
    crumbs = [(root.rstrip("/") or "/", root)]
    rest = folder[len(root):]
    path = root
    for part in [p for p in rest.split("/") if p]:
        path += part + "/"
        crumbs.append((part, path))
    return crumbs


def normalize_prefix(prefix: str | None) -> str:
    prefix = (prefix or "").lstrip("/")
    return prefix if not prefix or prefix.endswith("/") else prefix + "/"
