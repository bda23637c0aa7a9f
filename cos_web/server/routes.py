"""The operation table: (level, method, sub-resource) → (name, handler, permission).

Permission says what an anonymous caller needs:
    owner         never anonymous (a valid signature is required)
    bucket-read   the bucket's ACL grants AllUsers READ
    bucket-write  the bucket's ACL grants AllUsers WRITE (public-read-write)
    object-read   the object's ACL (or, for ``default``, the bucket's) grants AllUsers READ
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import NamedTuple

from aiohttp import web

from . import handlers_append as ha
from . import handlers_bucket as hb
from . import handlers_config as hc
from . import handlers_lifecycle as hl
from . import handlers_multipart as hm
from . import handlers_object as ho
from . import handlers_restore as hr
from . import bucket_policy as bp
from . import handlers_select as hs
from . import handlers_versions as hv
from . import sts
from .configs import KINDS
from .context import Ctx

Handler = Callable[[Ctx, web.Request], Awaitable[web.StreamResponse]]


class Route(NamedTuple):
    name: str
    handler: Handler
    permission: str


_R = Route
ROUTES: dict[tuple[str, str, str | None], Route] = {
    ("service", "GET", None): _R("GetService", hb.list_buckets, "owner"),
    ("service", "POST", None): _R("GetFederationToken", sts.get_federation_token, "owner"),  # temporary keys
    ("bucket", "PUT", None): _R("PutBucket", hb.put_bucket, "owner"),
    ("bucket", "HEAD", None): _R("HeadBucket", hb.head_bucket, "bucket-read"),
    ("bucket", "GET", None): _R("GetBucket", hb.get_bucket, "bucket-read"),
    ("bucket", "DELETE", None): _R("DeleteBucket", hb.delete_bucket, "owner"),
    ("bucket", "GET", "acl"): _R("GetBucketAcl", hb.get_bucket_acl, "owner"),
    ("bucket", "PUT", "acl"): _R("PutBucketAcl", hb.put_bucket_acl, "owner"),
    ("bucket", "GET", "cors"): _R("GetBucketCors", hb.get_cors, "owner"),
    ("bucket", "PUT", "cors"): _R("PutBucketCors", hb.put_cors, "owner"),
    ("bucket", "DELETE", "cors"): _R("DeleteBucketCors", hb.delete_cors, "owner"),
    ("bucket", "GET", "location"): _R("GetBucketLocation", hb.get_location, "owner"),
    ("bucket", "GET", "uploads"): _R("ListMultipartUploads", hm.list_uploads, "bucket-read"),
    ("bucket", "POST", "delete"): _R("DeleteMultipleObjects", hb.delete_objects, "bucket-write"),
    ("bucket", "PUT", "policy"): _R("PutBucketPolicy", bp.put_policy, "owner"),  # policyweb
    ("bucket", "GET", "policy"): _R("GetBucketPolicy", bp.get_policy, "owner"),
    ("bucket", "DELETE", "policy"): _R("DeleteBucketPolicy", bp.delete_policy, "owner"),
    ("object", "PUT", None): _R("PutObject", ho.put_object, "bucket-write"),
    ("object", "GET", None): _R("GetObject", ho.get_object, "object-read"),
    ("object", "HEAD", None): _R("HeadObject", ho.get_object, "object-read"),
    ("object", "DELETE", None): _R("DeleteObject", ho.delete_object, "bucket-write"),
    ("object", "GET", "acl"): _R("GetObjectAcl", ho.get_object_acl, "owner"),
    ("object", "PUT", "acl"): _R("PutObjectAcl", ho.put_object_acl, "owner"),
    ("object", "POST", "uploads"): _R("InitiateMultipartUpload", hm.initiate, "bucket-write"),
    ("object", "PUT", "partNumber"): _R("UploadPart", hm.upload_part, "bucket-write"),
    ("object", "PUT", "uploadId"): _R("UploadPart", hm.upload_part, "bucket-write"),
    ("object", "GET", "uploadId"): _R("ListParts", hm.list_parts, "bucket-write"),
    ("object", "POST", "uploadId"): _R("CompleteMultipartUpload", hm.complete, "bucket-write"),
    ("object", "DELETE", "uploadId"): _R("AbortMultipartUpload", hm.abort, "bucket-write"),
    ("object", "POST", "append"): _R("AppendObject", ha.append_object, "bucket-write"),
    ("object", "POST", "restore"): _R("PostObjectRestore", hr.restore_object, "bucket-write"),
    ("object", "POST", "select"): _R("SelectObjectContent", hs.select_object, "object-read"),  # cos:GetObject
    ("bucket", "PUT", "versioning"): _R("PutBucketVersioning", hv.put_versioning, "owner"),
    ("bucket", "GET", "versioning"): _R("GetBucketVersioning", hv.get_versioning, "owner"),
    ("bucket", "GET", "versions"): _R("GetBucketObjectVersions", hv.list_versions, "bucket-read"),
    ("object", "PUT", "tagging"): _R("PutObjectTagging", hc.put_object_tagging, "owner"),
    ("object", "GET", "tagging"): _R("GetObjectTagging", hc.get_object_tagging, "owner"),
    ("object", "DELETE", "tagging"): _R("DeleteObjectTagging", hc.delete_object_tagging, "owner"),
    # lifecycle rules (handlers_lifecycle; applied by lifecycle_run)
    ("bucket", "PUT", "lifecycle"): _R("PutBucketLifecycle", hl.put_lifecycle, "owner"),
    ("bucket", "GET", "lifecycle"): _R("GetBucketLifecycle", hl.get_lifecycle, "owner"),
    ("bucket", "DELETE", "lifecycle"): _R("DeleteBucketLifecycle", hl.delete_lifecycle, "owner"),
}

_CONFIG_HANDLERS = {"PUT": hc.put_config, "POST": hc.put_config, "GET": hc.get_config, "DELETE": hc.delete_config}
# The stored configurations (configs.KINDS): one route per sub-resource and method, owner only.
ROUTES.update({
    ("bucket", method, kind.sub): _R(name, _CONFIG_HANDLERS[method], "owner")
    for kind in KINDS.values() for method, name in kind.actions.items()
})


LIST_INVENTORY = _R("ListBucketInventory", hc.get_config, "owner")  # GET ?inventory without an id


def find(ctx: Ctx, method: str) -> Route | None:
    route = ROUTES.get((ctx.level, method, ctx.sub))
    if route is not None and route.name == "GetBucketInventory" and not ctx.has("id"):
        return LIST_INVENTORY
    return route
