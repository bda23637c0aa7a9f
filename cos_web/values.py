"""COS's value lists and limits, in one place for the client and the local server.

The client checks parameters against these before sending (`cos_web.params`,
`cos_web.upload`) and the server (`cos_web.server`) refuses requests outside
them, so the two cannot drift apart. Pure data: importing this costs nothing.

Where the JS SDK's documentation and COS's own documentation
(``spec/cos-protocol.md``) disagree, the list follows what COS accepts:

- storage classes: COS's classes, plus ``NEARLINE`` (the JS SDK's documentation
  lists it, as the old name of ``STANDARD_IA``); ``MAZ_ARCHIVE`` is in neither
  and is refused.
- object canned ACLs: COS's list; ``public-read-write`` is refused for objects
  ("objects have no WRITE permission"), though the JS SDK's documentation copies
  it from the bucket list.
"""

from __future__ import annotations

__all__ = [
    "STORAGE_CLASSES",
    "DEFAULT_STORAGE_CLASS",
    "BUCKET_ACLS",
    "OBJECT_ACLS",
    "PERMISSIONS",
    "OBJECT_PERMISSIONS",
    "GRANT_HEADERS",
    "GRANT_PARAMS",
    "RESPONSE_OVERRIDES",
    "RESPONSE_PARAMS",
    "METADATA_DIRECTIVES",
    "VERSIONING_STATUSES",
    "MAX_KEY_BYTES",
    "MIN_PART_SIZE",
    "MAX_PART_SIZE",
    "MAX_PARTS",
    "MAX_PUT_SIZE",
    "MAX_METADATA_BYTES",
    "MAX_DELETE_KEYS",
    "MAX_LIST_KEYS",
    "MAX_LIST_BUCKETS",
    "MAX_GRANTS",
    "MAX_BUCKETS",
    "MAX_BUCKET_HOST",
    "MAX_CORS_RULES",
    "MAX_CORS_BYTES",
    "SDK_BUCKET_PATTERN",
    "BUCKET_NAME_PATTERN",
    "REGION_PATTERN",
    "MAX_BUCKET_TAGS",
    "MAX_OBJECT_TAGS",
    "MAX_TAG_KEY",
    "MAX_TAG_VALUE",
    "MAX_REFERER_DOMAINS",
    "MAX_INVENTORIES",
    "INVENTORY_ID_PATTERN",
    "check_tag",
    "ARCHIVE_CLASSES",
    "RESTORE_TIERS",
    "APPENDABLE_CLASSES",
    "MAX_APPEND_SIZE",
    "MAX_RESTORE_DAYS",
    "MAX_LIFECYCLE_RULES",
    "MAX_LIFECYCLE_ID",
    "MAX_LIFECYCLE_DAYS",
    "TRANSITION_CLASSES",
    "COLDNESS",
    "LIFECYCLE_STATUSES",
]

# ---------------------------------------------------------------- storage classes
STORAGE_CLASSES = frozenset(
    {
        "STANDARD",
        "STANDARD_IA",
        "NEARLINE",
        "ARCHIVE",
        "DEEP_ARCHIVE",
        "INTELLIGENT_TIERING",
        "MAZ_STANDARD",
        "MAZ_STANDARD_IA",
        "MAZ_INTELLIGENT_TIERING",
    }
)
DEFAULT_STORAGE_CLASS = "STANDARD"

# ---------------------------------------------------------------- ACLs
BUCKET_ACLS = frozenset({"private", "public-read", "public-read-write", "authenticated-read"})
OBJECT_ACLS = frozenset(
    {"default", "private", "public-read", "authenticated-read", "bucket-owner-read", "bucket-owner-full-control"}
)
PERMISSIONS = frozenset({"READ", "WRITE", "READ_ACP", "WRITE_ACP", "FULL_CONTROL"})
OBJECT_PERMISSIONS = PERMISSIONS - {"WRITE"}  # objects have no WRITE permission
# x-cos-grant-* request header -> the permission it grants.
GRANT_HEADERS: dict[str, str] = {
    "x-cos-grant-read": "READ",
    "x-cos-grant-write": "WRITE",
    "x-cos-grant-read-acp": "READ_ACP",
    "x-cos-grant-write-acp": "WRITE_ACP",
    "x-cos-grant-full-control": "FULL_CONTROL",
}
# The SDK's Grant* parameter -> its header (the JS SDK's names).
GRANT_PARAMS: dict[str, str] = {
    "GrantRead": "x-cos-grant-read",
    "GrantWrite": "x-cos-grant-write",
    "GrantFullControl": "x-cos-grant-full-control",
    "GrantReadAcp": "x-cos-grant-read-acp",
    "GrantWriteAcp": "x-cos-grant-write-acp",
}

# ---------------------------------------------------------------- GET object
# response-* query parameter -> the response header it replaces (GET only).
RESPONSE_OVERRIDES: dict[str, str] = {
    "response-content-type": "Content-Type",
    "response-content-language": "Content-Language",
    "response-expires": "Expires",
    "response-cache-control": "Cache-Control",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
}
# The SDK's Response* parameter -> its query parameter.
RESPONSE_PARAMS: dict[str, str] = {
    "Response" + header.replace("-", ""): query for query, header in RESPONSE_OVERRIDES.items()
}

METADATA_DIRECTIVES = frozenset({"Copy", "Replaced"})

# PUT Bucket versioning's Status (once enabled, a bucket can only be suspended, never "off" again)
VERSIONING_STATUSES = ("Enabled", "Suspended")

# ---------------------------------------------------------------- limits
MAX_KEY_BYTES = 850  # object key: 1..850 bytes of UTF-8
MIN_PART_SIZE = 1 << 20  # every part but the last is at least 1 MB
MAX_PART_SIZE = 5 << 30  # a part is at most 5 GB
MAX_PARTS = 10000  # part numbers are 1..MAX_PARTS
MAX_PUT_SIZE = 5 << 30  # simple PUT and PUT-copy: at most 5 GB
MAX_METADATA_BYTES = 2048  # x-cos-meta-* names and values together
MAX_DELETE_KEYS = 1000  # keys in one multi-delete
MAX_LIST_KEYS = 1000  # max-keys, max-parts, max-uploads
MAX_LIST_BUCKETS = 2000  # GET service max-keys
MAX_GRANTS = 100  # grants in one ACL
MAX_BUCKETS = 200  # buckets per account
MAX_BUCKET_HOST = 60  # "{bucket}.cos.{region}.myqcloud.com" at most this long
MAX_CORS_RULES = 100  # rules in one CORS configuration
MAX_CORS_BYTES = 64 << 10  # a CORS configuration document

# ---------------------------------------------------------------- names
# The JS SDK's check of a Bucket parameter: "{name}-{appid}".
SDK_BUCKET_PATTERN = r"^([a-z\d-]+)-(\d+)$"
# COS's rule for a bucket name: [a-z0-9-], not starting or ending with "-", then "-{appid}".
BUCKET_NAME_PATTERN = r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?-[0-9]+$"  # [0-9], not \d: ASCII digits only
# The JS SDK's check of a Region parameter.
REGION_PATTERN = r"^[a-z\d-]+$"

# ---------------------------------------------------------------- stored configurations
MAX_BUCKET_TAGS = 50  # tags on one bucket
MAX_OBJECT_TAGS = 10  # tags on one object
MAX_TAG_KEY = 127  # characters of a tag key (at least 1)
MAX_TAG_VALUE = 255  # characters of a tag value (may be empty)
TAG_PUNCTUATION = " +-=._:/@"  # besides letters and digits (any script)
RESERVED_TAG_PREFIXES = ("qcs:", "project")  # system tags, not for users
MAX_REFERER_DOMAINS = 1000  # entries of a referer DomainList
MAX_INVENTORIES = 1000  # inventory configurations on one bucket
INVENTORY_ID_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"


def check_tag(key: str, value: str) -> str | None:
    """Why a tag breaks COS's rules (length, characters, a reserved key), or None when it is fine."""
    if not 1 <= len(key) <= MAX_TAG_KEY:
        return f"A tag key has 1 to {MAX_TAG_KEY} characters, got {len(key)}."
    if len(value) > MAX_TAG_VALUE:
        return f"A tag value has at most {MAX_TAG_VALUE} characters, got {len(value)}."
    if key.startswith(RESERVED_TAG_PREFIXES):
        return f"The tag key {key!r} is reserved (qcs: and project keys are system tags)."
    for text in (key, value):
        bad = next((c for c in text if not (c.isalnum() or c in TAG_PUNCTUATION)), None)
        if bad is not None:
            return f"Tags hold letters, digits, spaces and + - = . _ : / @ only, not {bad!r}."
    return None


# ---------------------------------------------------------------- archive classes and restore
# Objects in these classes are not readable until restored (GET: InvalidObjectState).
ARCHIVE_CLASSES = frozenset({"ARCHIVE", "DEEP_ARCHIVE"})
# RestoreRequest's CASJobParameters/Tier per archive class (DEEP_ARCHIVE has no Expedited retrieval).
RESTORE_TIERS: dict[str, frozenset[str]] = {
    "ARCHIVE": frozenset({"Expedited", "Standard", "Bulk"}),
    "DEEP_ARCHIVE": frozenset({"Standard", "Bulk"}),
}

MAX_RESTORE_DAYS = 36500  # Days of a RestoreRequest: 1..this (COS names no upper bound)

# ---------------------------------------------------------------- appendable objects
# The classes an appendable object may be created in (not intelligent tiering, multi-AZ or archive).
APPENDABLE_CLASSES = frozenset({"STANDARD", "STANDARD_IA", "NEARLINE"})
MAX_APPEND_SIZE = 5 << 30  # an appendable object grows to at most 5 GB

# ---------------------------------------------------------------- lifecycle rules
MAX_LIFECYCLE_RULES = 1000  # rules in one lifecycle configuration
MAX_LIFECYCLE_ID = 255  # characters of a rule's ID
MAX_LIFECYCLE_DAYS = 36500  # Days, NoncurrentDays, DaysAfterInitiation at most (COS names no bound)
LIFECYCLE_STATUSES = ("Enabled", "Disabled")
# What a Transition / NoncurrentVersionTransition may move objects to: any class but the standard ones.
TRANSITION_CLASSES = STORAGE_CLASSES - {"STANDARD", "MAZ_STANDARD"}
# How cold each class is: a transition only ever moves an object to a colder class (never back).
COLDNESS: dict[str, int] = {
    "STANDARD": 0,
    "MAZ_STANDARD": 0,
    "STANDARD_IA": 1,
    "NEARLINE": 1,
    "MAZ_STANDARD_IA": 1,
    "INTELLIGENT_TIERING": 2,
    "MAZ_INTELLIGENT_TIERING": 2,
    "ARCHIVE": 3,
    "DEEP_ARCHIVE": 4,
}

# ---------------------------------------------------------------- select (SELECT Object Content)
MAX_SELECT_EXPRESSION = 256 << 10  # COS: an SQL expression is at most 256 KB
MAX_SELECT_RECORD = 1 << 20  # COS: one record (read or returned) is at most 1 MB
SELECT_TYPE = "2"  # ?select&select-type=2: the only version of the API
