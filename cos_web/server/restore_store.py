"""Archived objects and their restores (POST Object restore).

Objects in an archive class (`values.ARCHIVE_CLASSES`) keep their bytes, but GET
refuses them (403 InvalidObjectState) unless a restore has made a readable copy.
A restore is a row of ``restores`` keyed by the object's blob reference: the copy
belongs to the bytes it restored, so overwriting or deleting the object drops it
(`StoreBase._detach`). No bytes are copied: "restoring" only changes what GET allows.

Timeline of one restore, all from the server's clock:

    requested ──(restore delay: --restore-delay, 0 by default)──► ready ──(Days)──► expires
    x-cos-restore: ongoing-request="true"   ongoing-request="false", expiry-date="..."   (none)

``expires`` is ``ready + Days`` rounded up to the next midnight UTC, as archive
restores are reported (``expiry-date="... 00:00:00 GMT"``). A restore of a restored
copy extends it (200); one while a restore is in progress is 409
RestoreAlreadyInProgress; of an object in no archive class, 403 InvalidObjectState.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from email.utils import formatdate

from ..values import ARCHIVE_CLASSES, RESTORE_TIERS
from .errors import CosServerError
from .metadb import StoreBase
from .records import ObjectRecord

DAY = 86400.0


@dataclass
class Restore:
    tier: str
    days: int
    ready: float  # when the readable copy exists
    expires: float  # when it is gone again

    def ongoing(self, at: float) -> bool:
        return at < self.ready

    def readable(self, at: float) -> bool:
        return self.ready <= at < self.expires


def expiry(ready: float, days: int) -> float:
    """``ready + days``, rounded up to midnight UTC."""
    return math.ceil((ready + days * DAY) / DAY) * DAY


def restore_header(restore: Restore | None, at: float) -> str | None:
    """The ``x-cos-restore`` value at time ``at`` (None: no restore, or its copy has expired)."""
    if restore is None or at >= restore.expires:
        return None
    if restore.ongoing(at):
        return 'ongoing-request="true"'
    return f'ongoing-request="false", expiry-date="{formatdate(restore.expires, usegmt=True)}"'


class RestoreStore(StoreBase):
    def find_restore(self, ref: str) -> Restore | None:
        with self._lock:
            row = self._db.execute("SELECT tier, days, ready, expires FROM restores WHERE blob=?", (ref,)).fetchone()
        return Restore(row[0], row[1], row[2], row[3]) if row else None

    def restore_object(self, bucket: str, key: str, days: int, tier: str, delay: float, at: float) -> int:
        """Start (202) or extend (200) the restore of an archived object; see the module docstring."""
        with self._lock, self._tx():
            found = self._db.execute("SELECT * FROM objects WHERE bucket=? AND key=?", (bucket, key)).fetchone()
            if found is None:
                self.bucket(bucket)
                raise CosServerError("NoSuchKey")
            storage_class, ref = found["storage_class"], found["blob"]
            if storage_class not in ARCHIVE_CLASSES:
                raise CosServerError("InvalidObjectState",
                                     "Restore is not allowed for the object's current storage class.")
            if tier not in RESTORE_TIERS[storage_class]:
                raise CosServerError("InvalidArgument", f"Tier {tier} is not available for {storage_class} objects.")
            current = self.find_restore(ref)
            if current is not None and current.ongoing(at):
                raise CosServerError("RestoreAlreadyInProgress")
            if current is not None and current.readable(at):
                self._db.execute("UPDATE restores SET days=?, expires=? WHERE blob=?", (days, expiry(at, days), ref))
                return 200
            self._db.execute("INSERT OR REPLACE INTO restores VALUES (?,?,?,?,?)",
                             (ref, tier, days, at + delay, expiry(at + delay, days)))
            return 202


def check_readable(storage: RestoreStore, record: ObjectRecord, at: float, method: str) -> dict[str, str]:
    """What GET/HEAD (and a copy source) add for an archived object: ``x-cos-restore`` while a
    restore is known; raises 403 InvalidObjectState for a GET (``method`` "GET") of one not readable now."""
    if record.meta.storage_class not in ARCHIVE_CLASSES:
        return {}
    restore = storage.find_restore(record.blob)
    if method == "GET" and not (restore is not None and restore.readable(at)):
        raise CosServerError("InvalidObjectState", headers={"x-cos-storage-class": record.meta.storage_class})
    header = restore_header(restore, at)
    return {"x-cos-restore": header} if header else {}
