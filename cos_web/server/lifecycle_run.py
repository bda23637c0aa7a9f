"""Applying the buckets' lifecycle rules (`lifecycle_rules`) on this one machine: one sweep
looks at every bucket with an enabled rule and does what is due at the server's clock
(`CosServer.clock`, see `clock`):

- Expiration Days/Date: the current object is deleted (on a versioned bucket, as a DELETE
  without a version id: a delete marker).
- NoncurrentVersionExpiration / NoncurrentVersionTransition: a noncurrent version (or, for
  expiration, a noncurrent delete marker) NoncurrentDays after it stopped being current
  (`VersionStore.noncurrent_versions`), rounded as Days are; ExpiredObjectDeleteMarker: a
  delete marker that is its key's only version is removed. Days count from the object's last-modified time,
  rounded up to the next midnight UTC (`lifecycle_rules.after_days`); a Date expires every
  matching object from that instant on, objects written later included.
- Transition: the object's storage class becomes the coldest class whose transition is due
  (never a warmer one than it has: `values.COLDNESS`). Nothing moves; HEAD/GET/listings show
  the class, and an object that reached ARCHIVE/DEEP_ARCHIVE needs a restore before GET
  answers anything but 403 InvalidObjectState, as one written in that class.
- AbortIncompleteMultipartUpload: uploads initiated DaysAfterInitiation days ago (rounded
  as above) are aborted and their parts freed.
- Rules are matched by prefix, object tags (all of the filter's), and object size.
- Expiration wins over a transition due at the same sweep; a disabled rule does nothing.

Who runs it: `lifecycle.install` every ``--lifecycle-interval`` (default 1 h), and tests at
once through the loopback admin endpoint ``/_cos_web/lifecycle``.
"""

from __future__ import annotations

import sys
import threading

from ..values import COLDNESS
from . import object_tags
from .errors import CosServerError
from .lifecycle_rules import Rule, after_days, rules_of
from .state import CosServer


REPORT = ("expired", "transitioned", "aborted", "noncurrent_expired", "noncurrent_transitioned", "markers_removed")


class LifecycleSweeper:
    """``sweep()`` applies every bucket's enabled rules once and says what it did."""

    def __init__(self, server: CosServer) -> None:
        self.server = server
        self._running = threading.Lock()  # one sweep at a time (the timer's and the admin's)

    def sweep(self) -> dict[str, list]:
        """Apply what is due now (the server's clock); what was done, by kind (`REPORT`)."""
        report: dict[str, list] = {name: [] for name in REPORT}
        with self._running:
            at = self.server.clock.now()
            for bucket, tree in self.server.storage.lifecycle_configs():
                rules = [rule for rule in rules_of(tree) if rule.enabled]
                if rules:
                    self._objects(bucket, rules, at, report)
                    self._uploads(bucket, rules, at, report)
                    self._versions(bucket, rules, at, report)
        if not self.server.config.quiet:
            for kind, done in report.items():
                for item in done:
                    print(f"lifecycle: {kind} {' '.join(map(str, item))}", file=sys.stderr, flush=True)
        return report

    def _objects(self, bucket: str, rules: list[Rule], at: float, report: dict[str, list]) -> None:
        storage = self.server.storage
        after = ""
        while page := storage.objects_page(bucket, after):
            after = page[-1].key
            for record in page:
                tags = object_tags.stored(record.meta.headers)
                matching = [r for r in rules if r.filter.matches(record.key, tags, record.size)]
                if any(r.expiration is not None and at >= r.expiration.due(record.mtime) for r in matching):
                    if storage.expire_current(bucket, record.key, record.blob):
                        report["expired"].append([bucket, record.key])
                    continue
                due = [cls for r in matching for when, cls in r.transitions if at >= when.due(record.mtime)]
                if not due:
                    continue
                target = max(due, key=lambda c: COLDNESS.get(c, 0))
                if COLDNESS.get(target, 0) > COLDNESS.get(record.meta.storage_class, 0):
                    if storage.transition_current(bucket, record.key, record.blob, target):
                        report["transitioned"].append([bucket, record.key, target])

    def _uploads(self, bucket: str, rules: list[Rule], at: float, report: dict[str, list]) -> None:
        aborting = [r for r in rules if r.abort_days is not None]
        if not aborting:
            return
        storage = self.server.storage
        for key, upload_id, initiated in storage.uploads_of(bucket):
            if any(r.filter.matches(key, []) and at >= after_days(initiated, r.abort_days or 0) for r in aborting):
                try:
                    storage.abort_upload(bucket, key, upload_id)
                except CosServerError:  # completed or aborted meanwhile
                    continue
                report["aborted"].append([bucket, key, upload_id])

    def _versions(self, bucket: str, rules: list[Rule], at: float, report: dict[str, list]) -> None:
        """Noncurrent versions (expired, or moved to a colder class, NoncurrentDays after they stopped
        being current, rounded as Days are) and expired object delete markers (a key's only version)."""
        storage = self.server.storage
        noncurrent = [r for r in rules if r.noncurrent_days is not None or r.noncurrent_transitions]
        for version in storage.noncurrent_versions(bucket) if noncurrent else []:
            record = None
            if any(r.filter.tags or r.filter.larger_than is not None or r.filter.smaller_than is not None
                   for r in noncurrent) or not version.marker:
                record = storage.find_version(bucket, version.key, version.version_id)
                if record is None:
                    continue
            if version.marker:  # a delete marker has no tags and no size: only a prefix filter picks it
                matching = [r for r in noncurrent if r.filter.matches(version.key, []) and not r.filter.tags
                            and r.filter.larger_than is None and r.filter.smaller_than is None]
            else:
                tags = object_tags.stored(record.meta.headers) if record else []
                matching = [r for r in noncurrent if r.filter.matches(version.key, tags, version.size)]
            if any(r.noncurrent_days is not None and at >= after_days(version.since, r.noncurrent_days)
                   for r in matching):
                if storage.expire_noncurrent(bucket, version.key, version.version_id):
                    report["noncurrent_expired"].append([bucket, version.key, version.version_id])
                continue
            due = [cls for r in matching for days, cls in r.noncurrent_transitions if at >= after_days(version.since, days)]
            if version.marker or not due or record is None:
                continue
            target = max(due, key=lambda c: COLDNESS.get(c, 0))
            if COLDNESS.get(target, 0) > COLDNESS.get(record.meta.storage_class, 0):
                if storage.transition_noncurrent(bucket, version.key, version.version_id, target):
                    report["noncurrent_transitioned"].append([bucket, version.key, version.version_id, target])
        cleaning = [r for r in rules if r.expired_object_delete_marker]
        for key, version_id in storage.lone_delete_markers(bucket) if cleaning else []:
            if any(r.filter.matches(key, []) for r in cleaning):
                if storage.remove_lone_marker(bucket, key, version_id):
                    report["markers_removed"].append([bucket, key, version_id])
