"""What the storage keeps about buckets, objects and uploads, and how a record maps to its SQLite row."""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field

from ..values import DEFAULT_STORAGE_CLASS


@dataclass
class Bucket:
    name: str
    region: str
    created: float
    acl: dict
    cors: list | None


@dataclass
class ObjectMeta:
    """What PUT, copy (Replaced) and multipart init store besides the bytes."""

    content_type: str = "application/octet-stream"
    headers: dict = field(default_factory=dict)  # cache-control, content-disposition, ...
    meta: dict = field(default_factory=dict)  # x-cos-meta-* (names lower-cased)
    storage_class: str = DEFAULT_STORAGE_CLASS
    acl: dict = field(default_factory=lambda: {"canned": "default", "grants": []})


@dataclass
class ObjectRecord:
    bucket: str
    key: str
    size: int
    etag: str
    crc64: str | None
    mtime: float
    meta: ObjectMeta
    blob: str
    version: str | None = None  # version id (None: the null version; "null" in a response about one)
    delete_marker: bool = False  # a delete marker (only ever read from ``versions``)


@dataclass
class Upload:
    upload_id: str
    bucket: str
    key: str
    initiated: float
    meta: ObjectMeta


@dataclass
class Part:
    number: int
    size: int
    etag: str
    crc64: str | None
    mtime: float
    blob: str


def now() -> float:
    return time.time()


def meta_columns(meta: ObjectMeta) -> tuple[str, str, str, str, str]:
    """The ``content_type, headers, meta, storage_class, acl`` columns of objects and uploads."""
    return (
        meta.content_type,
        json.dumps(meta.headers),
        json.dumps(meta.meta),
        meta.storage_class,
        json.dumps(meta.acl),
    )


def meta_from_row(row: sqlite3.Row) -> ObjectMeta:
    return ObjectMeta(
        row["content_type"],
        json.loads(row["headers"]),
        json.loads(row["meta"]),
        row["storage_class"],
        json.loads(row["acl"]),
    )


def object_from_row(row: sqlite3.Row) -> ObjectRecord:
    return ObjectRecord(
        row["bucket"], row["key"], row["size"], row["etag"], row["crc64"], row["mtime"], meta_from_row(row), row["blob"],
        row["version"],
    )


def bucket_from_row(row: sqlite3.Row) -> Bucket:
    cors = json.loads(row["cors"]) if row["cors"] else None
    return Bucket(row["name"], row["region"], row["created"], json.loads(row["acl"]), cors)
