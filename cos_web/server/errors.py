"""COS error codes as the server raises them, and the one exception that carries them.

    CosServerError(code, message=None, **extra)
        .code     COS's Code ("NoSuchKey", "SignatureDoesNotMatch", ...)
        .status   HTTP status, from CODES unless given
        .message  COS's message, from CODES unless given
        .extra    more XML elements for the body (e.g. ServerTime)
        .headers  extra response headers (e.g. Content-Range on a 416)

The app middleware renders it as COS's ``<Error>`` document; nothing else in the
server builds error responses.
"""

from __future__ import annotations

# code -> (HTTP status, default message)
CODES: dict[str, tuple[int, str]] = {
    "InvalidArgument": (400, "Invalid Argument"),
    "RequestTimeout": (400, "Your socket connection to the server was not read from or written to within the timeout period."),
    "InvalidRequest": (400, "The request is invalid."),
    "InvalidURI": (400, "Could not parse the specified URI."),
    "InvalidBucketName": (400, "The specified bucket is not valid."),
    "BucketNameTooLong": (400, "The specified bucket name is too long."),
    "KeyTooLong": (400, "Your key is too long."),
    "InvalidObjectName": (400, "The specified object name is not valid."),
    "MalformedXML": (400, "The XML you provided was not well-formed or did not validate against our published schema."),
    "MissingRequestBodyError": (400, "Request Body is empty."),
    "XMLSizeLimit": (400, "The XML you provided was larger than the maximum allowed size."),
    "BadDigest": (400, "The Content-MD5 you specified did not match what we received."),
    "InvalidDigest": (400, "The Content-MD5 you specified is not valid."),
    "EntitySizeNotMatch": (400, "The body size does not match the Content-Length."),
    "IncompleteBody": (400, "You did not provide the number of bytes specified by the Content-Length HTTP header."),
    "EntityTooLarge": (400, "Your proposed upload exceeds the maximum allowed object size."),
    "EntityTooSmall": (400, "Your proposed upload is smaller than the minimum allowed object size."),
    "InvalidPart": (400, "One or more of the specified parts could not be found or the specified entity tag might not have matched the part's entity tag."),
    "InvalidPartOrder": (400, "The list of parts was not in ascending order."),
    "InvalidCopySource": (400, "The copy source is not valid."),
    "InvalidDelimiter": (400, "The delimiter must be a single character."),
    "NotSupportedStorageClass": (400, "The storage class you specified is not supported."),
    "TooManyBuckets": (400, "You have attempted to create more buckets than allowed."),
    "MetadataTooLarge": (400, "Your metadata headers exceed the maximum allowed metadata size."),
    "MissingContentMD5": (400, "Missing required header for this request: Content-MD5."),
    "ExpiredToken": (400, "The provided token has expired."),
    "InvalidToken": (400, "The provided token is malformed or otherwise invalid."),
    "InvalidTag": (400, "The tag provided was not a valid tag."),
    "InvalidTargetBucketForLogging": (400, "The target bucket for logging does not exist or is not in the same region."),
    "TooManyConfigurations": (400, "You are attempting to create a new configuration but have already reached the limit."),
    "MalformedPolicy": (400, "The policy is not valid JSON or not a valid bucket policy."),
    "AccessDenied": (403, "Access Denied."),
    "SignatureDoesNotMatch": (403, "The Signature you specified is invalid."),
    "RequestTimeTooSkewed": (403, "The difference between the request time and the server's time is too large."),
    "InvalidAccessKeyId": (403, "The access key Id format you provided is invalid."),
    "AccessForbidden": (403, "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec."),
    "InvalidObjectState": (403, "The operation is not valid for the object's storage class."),
    "NoSuchBucket": (404, "The specified bucket does not exist."),
    "NoSuchKey": (404, "The specified key does not exist."),
    "NoSuchUpload": (404, "The specified upload does not exist."),
    "NoSuchCORSConfiguration": (404, "The CORS configuration does not exist."),
    "NoSuchTagSet": (404, "The TagSet does not exist."),
    "NoSuchRefererConfiguration": (404, "The referer configuration does not exist."),
    "NoSuchEncryptionConfiguration": (404, "The server side encryption configuration was not found."),
    "NoSuchDomainConfiguration": (404, "The domain configuration does not exist."),
    "NoSuchOriginConfiguration": (404, "The origin configuration does not exist."),
    "ReplicationConfigurationnotFoundError": (404, "The replication configuration was not found."),
    "NoSuchInventoryConfiguration": (404, "The specified inventory configuration does not exist."),
    "NoSuchCopySource": (404, "The specified copy source does not exist."),
    "NoSuchVersion": (404, "The specified version does not exist."),
    "NoSuchResource": (404, "The specified resource does not exist."),
    "NoSuchPolicy": (404, "The specified bucket does not have a bucket policy."),
    "NoSuchWebsiteConfiguration": (404, "The specified bucket does not have a website configuration."),
    "MethodNotAllowed": (405, "The specified method is not allowed against this resource."),
    "BucketAlreadyExists": (409, "The requested bucket name is not available."),
    "BucketAlreadyOwnedByYou": (409, "Your previous request to create the named bucket succeeded and you already own it."),
    "BucketNotEmpty": (409, "The bucket you tried to delete is not empty."),
    "ObjectNotAppendable": (409, "The operation is not valid for the current state of the object."),
    "PositionNotEqualToLength": (409, "The position is not equal to the length of the object."),
    "RestoreAlreadyInProgress": (409, "Object restore is already in progress."),
    "MissingContentLength": (411, "You must provide the Content-Length HTTP header."),
    "PreconditionFailed": (412, "Precondition not match."),
    "InvalidRange": (416, "The requested range is not satisfiable."),
    "InternalError": (500, "We encountered an internal error. Please try again."),
    "SlowDown": (503, "Please reduce your request rate."),
    "NotImplemented": (501, "A header you provided implies functionality that is not implemented."),
}


class CosServerError(Exception):
    """An error the server answers with, carrying COS's code, status and message."""

    def __init__(self, code: str, message: str | None = None, status: int | None = None,
                 headers: dict[str, str] | None = None, **extra: str) -> None:
        default_status, default_message = CODES.get(code, (400, code))
        self.headers = dict(headers or {})
        self.code = code
        self.status = status or default_status
        self.message = message or default_message
        self.extra = extra
        super().__init__(f"{code}: {self.message}")


class NotModified(Exception):
    """A 304 answer (not an error document): carries the headers to send."""

    def __init__(self, headers: dict[str, str]) -> None:
        super().__init__("Not Modified")
        self.headers = headers
