"""Static websites (``?website``): the configuration stored, validated and returned, and served on
the bucket's website host ``<bucket>.cos-website.<region>.localhost`` (raw HTTP): index and error
documents, redirects, anonymous reads under the ACLs and the bucket policy; plus
cos-python-sdk-v5's put/get/delete_bucket_website.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid

import pytest
from qcloud_cos.cos_exception import CosServiceError

from .conftest import REGION

APPID = "1250000000"

SITE = """<WebsiteConfiguration>
<IndexDocument><Suffix>index.html</Suffix></IndexDocument>
<ErrorDocument><Key>error.html</Key></ErrorDocument>
<RoutingRules>
<RoutingRule><Condition><KeyPrefixEquals>old/</KeyPrefixEquals></Condition>
<Redirect><Protocol>https</Protocol><ReplaceKeyPrefixWith>new/</ReplaceKeyPrefixWith></Redirect></RoutingRule>
<RoutingRule><Condition><HttpErrorCodeReturnedEquals>404</HttpErrorCodeReturnedEquals><KeyPrefixEquals>gone/</KeyPrefixEquals></Condition>
<Redirect><ReplaceKeyWith>index.html</ReplaceKeyWith></Redirect></RoutingRule>
<RoutingRule><Condition><HttpErrorCodeReturnedEquals>403</HttpErrorCodeReturnedEquals></Condition>
<Redirect><ReplaceKeyWith>login.html</ReplaceKeyWith></Redirect></RoutingRule>
</RoutingRules>
</WebsiteConfiguration>"""


@pytest.fixture
def bucket(raw, sdk):
    """A fresh private bucket, deleted (with its objects and configuration) afterwards."""
    name = f"web{uuid.uuid4().hex[:10]}-{APPID}"
    assert raw.request("PUT", bucket=name).status == 200
    yield name
    raw.request("DELETE", query={"policy": None}, bucket=name)
    for item in sdk.list_objects(Bucket=name).get("Contents", []):
        sdk.delete_object(Bucket=name, Key=item["Key"])
    assert raw.request("DELETE", bucket=name).status == 204


def site_host(raw, bucket: str) -> str:
    return f"{bucket}.cos-website.{REGION}.localhost:{raw.port}"


def visit(raw, bucket: str, path: str = "/", method: str = "GET"):
    return raw.request(method, bucket=bucket, sign=False, raw_path=path, host=site_host(raw, bucket))


def put_site(raw, bucket: str, xml: str):
    body = xml.encode()
    headers = {"Content-Type": "application/xml", "Content-MD5": base64.b64encode(hashlib.md5(body).digest()).decode()}
    return raw.request("PUT", query={"website": None}, body=body, headers=headers, bucket=bucket)


def put(raw, bucket: str, key: str, body: bytes, acl: str | None = "public-read", ctype: str = "text/html"):
    headers = {"Content-Type": ctype, **({"x-cos-acl": acl} if acl else {})}
    assert raw.request("PUT", key, body=body, bucket=bucket, headers=headers).status == 200


@pytest.fixture
def site(raw, bucket):
    put(raw, bucket, "index.html", b"<h1>home</h1>")
    put(raw, bucket, "docs/index.html", b"<h1>docs</h1>")
    put(raw, bucket, "page.html", b"<p>page</p>")
    put(raw, bucket, "error.html", b"<p>not here</p>")
    put(raw, bucket, "private.html", b"secret", acl=None)  # the bucket is private: so is this
    put(raw, bucket, "private/x.html", b"secret", acl=None)
    assert put_site(raw, bucket, SITE).status == 200
    return bucket


def test_no_website_configuration_and_no_bucket(raw, bucket):
    put(raw, bucket, "index.html", b"home")
    reply = visit(raw, bucket)
    assert (reply.status, reply.xml_text("Code")) == (404, "NoSuchWebsiteConfiguration")
    missing = visit(raw, f"nothere{uuid.uuid4().hex[:6]}-{APPID}")
    assert (missing.status, missing.xml_text("Code")) == (404, "NoSuchBucket")
    got = raw.request("GET", query={"website": None}, bucket=bucket)
    assert (got.status, got.xml_text("Code")) == (404, "NoSuchWebsiteConfiguration")


def test_index_documents_and_objects(raw, site):
    home = visit(raw, site)
    assert (home.status, home.body, home.headers["content-type"]) == (200, b"<h1>home</h1>", "text/html")
    assert visit(raw, site, "/docs/").body == b"<h1>docs</h1>"
    folder = visit(raw, site, "/docs")  # a "folder" without its slash: sent to it
    assert (folder.status, folder.headers["location"]) == (302, "/docs/")
    assert visit(raw, site, "/page.html").body == b"<p>page</p>"
    head = visit(raw, site, "/", method="HEAD")
    assert (head.status, head.body, head.headers["content-length"]) == (200, b"", "13")
    assert visit(raw, site, "/page.html?acl&x=1").body == b"<p>page</p>"  # queries are ignored there


def test_missing_key_serves_the_error_document_with_404(raw, site):
    reply = visit(raw, site, "/nothing/here.html")
    assert (reply.status, reply.body, reply.headers["content-type"]) == (404, b"<p>not here</p>", "text/html")
    assert visit(raw, site, "/nothing/").status == 404  # no index there either
    head = visit(raw, site, "/nothing.html", method="HEAD")
    assert (head.status, head.body) == (404, b"")


def test_error_document_status_and_absence(raw, site):
    assert put_site(raw, site, SITE.replace("<Key>error.html</Key>",
                                            "<Key>error.html</Key><OriginalHttpStatus>Disabled</OriginalHttpStatus>")).status == 200
    assert visit(raw, site, "/nothing.html").status == 200
    assert put_site(raw, site, SITE.replace("error.html", "no-such-error.html")).status == 200
    reply = visit(raw, site, "/nothing.html")
    assert (reply.status, reply.xml_text("Code")) == (404, "NoSuchKey")
    assert put_site(raw, site, SITE.replace("error.html", "private.html")).status == 200
    assert visit(raw, site, "/nothing.html").xml_text("Code") == "NoSuchKey"  # the error page must be readable


def test_routing_rules_redirect(raw, site):
    host = site_host(raw, site)
    moved = visit(raw, site, "/old/a%20b.html")
    assert (moved.status, moved.headers["location"]) == (301, f"https://{host}/new/a%20b.html")
    gone = visit(raw, site, "/gone/x.html")
    assert (gone.status, gone.headers["location"]) == (301, f"http://{host}/index.html")
    put(raw, site, "gone/here.html", b"still here")
    assert visit(raw, site, "/gone/here.html").body == b"still here"  # the 404 rule only when missing
    private = visit(raw, site, "/private.html")  # a 403 rule: sent to the login page
    assert (private.status, private.headers["location"]) == (301, f"http://{host}/login.html")


def test_private_object_is_403_without_a_rule(raw, site):
    plain = SITE.split("<RoutingRules>")[0] + "</WebsiteConfiguration>"
    assert put_site(raw, site, plain).status == 200
    reply = visit(raw, site, "/private.html")
    assert (reply.status, reply.xml_text("Code")) == (403, "AccessDenied")


def test_redirect_all_requests(raw, bucket):
    xml = ("<WebsiteConfiguration><IndexDocument><Suffix>index.html</Suffix></IndexDocument>"
           "<RedirectAllRequestsTo><Protocol>https</Protocol></RedirectAllRequestsTo></WebsiteConfiguration>")
    assert put_site(raw, bucket, xml).status == 200
    reply = visit(raw, bucket, "/a/b.html?x=1")
    assert (reply.status, reply.headers["location"]) == (301, f"https://{site_host(raw, bucket)}/a/b.html?x=1")


def test_bucket_policy_on_the_website_host(raw, site):
    policy = {"version": "2.0", "statement": [
        {"principal": {"qcs": ["*"]}, "effect": "allow", "action": ["name/cos:GetObject"],
         "resource": [f"qcs::cos:{REGION}:uid/{APPID}:{site}/private/*"]},
        {"principal": {"qcs": ["*"]}, "effect": "deny", "action": ["name/cos:GetObject"],
         "resource": [f"qcs::cos:{REGION}:uid/{APPID}:{site}/page.html"]}]}  # fmt: skip
    assert raw.request("PUT", query={"policy": None}, body=json.dumps(policy).encode(), bucket=site).status == 204
    assert visit(raw, site, "/private/x.html").body == b"secret"  # allowed by the policy, private by ACL
    assert visit(raw, site, "/page.html").status == 301  # denied though public-read: the 403 rule
    assert visit(raw, site, "/page.html", method="HEAD").status == 200  # the deny names GetObject only


def test_only_get_and_head(raw, site):
    reply = raw.request("PUT", "x.html", body=b"x", bucket=site, host=site_host(raw, site), sign=False)
    assert (reply.status, reply.xml_text("Code")) == (405, "MethodNotAllowed")


def test_configuration_roundtrip_and_delete(raw, bucket):
    assert put_site(raw, bucket, SITE).status == 200
    got = raw.request("GET", query={"website": None}, bucket=bucket)
    assert got.status == 200
    assert "<ReplaceKeyPrefixWith>new/</ReplaceKeyPrefixWith>" in got.text
    assert got.text.index("<IndexDocument>") < got.text.index("<ErrorDocument>") < got.text.index("<RoutingRules>")
    assert raw.request("DELETE", query={"website": None}, bucket=bucket).status == 204
    assert raw.request("GET", query={"website": None}, bucket=bucket).status == 404
    assert visit(raw, bucket).xml_text("Code") == "NoSuchWebsiteConfiguration"
    assert raw.request("GET", query={"website": None}, bucket=bucket, sign=False).status == 403


@pytest.mark.parametrize("xml, code", [
    ("<WebsiteConfiguration><ErrorDocument><Key>e</Key></ErrorDocument></WebsiteConfiguration>", "MalformedXML"),
    ("<WebsiteConfiguration><IndexDocument><Suffix></Suffix></IndexDocument></WebsiteConfiguration>", "InvalidArgument"),
    ("<WebsiteConfiguration><IndexDocument><Suffix>i</Suffix></IndexDocument><RedirectAllRequestsTo>"
     "<Protocol>ftp</Protocol></RedirectAllRequestsTo></WebsiteConfiguration>", "InvalidArgument"),
    (SITE.replace("<HttpErrorCodeReturnedEquals>404", "<HttpErrorCodeReturnedEquals>500"), "InvalidArgument"),
    (SITE.replace("<Condition><KeyPrefixEquals>old/</KeyPrefixEquals></Condition>", "<Condition></Condition>"),
     "InvalidArgument"),
    (SITE.replace("<ReplaceKeyWith>login.html</ReplaceKeyWith>", "<ReplaceKeyPrefixWith>x/</ReplaceKeyPrefixWith>"),
     "InvalidArgument"),
    (SITE.replace("<ReplaceKeyWith>index.html</ReplaceKeyWith>",
                  "<ReplaceKeyWith>i</ReplaceKeyWith><ReplaceKeyPrefixWith>x/</ReplaceKeyPrefixWith>"), "InvalidArgument"),
    ("<WebsiteConfiguration><IndexDocument><Suffix>i</Suffix></IndexDocument><Extra/></WebsiteConfiguration>",
     "MalformedXML"),
])  # fmt: skip
def test_bad_configurations_are_refused(raw, bucket, xml, code):
    reply = put_site(raw, bucket, xml)
    assert (reply.status, reply.xml_text("Code")) == (400, code), reply.text
    assert raw.request("GET", query={"website": None}, bucket=bucket).status == 404


def test_python_sdk_put_get_delete_bucket_website(sdk, raw, bucket):
    conf = {"IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "404.html"},
            "RoutingRules": [{"Condition": {"KeyPrefixEquals": "a/"}, "Redirect": {"ReplaceKeyPrefixWith": "b/"}}]}
    sdk.put_bucket_website(Bucket=bucket, WebsiteConfiguration=conf)
    got = sdk.get_bucket_website(Bucket=bucket)
    assert got["IndexDocument"] == {"Suffix": "index.html"} and got["ErrorDocument"] == {"Key": "404.html"}
    assert got["RoutingRules"] == conf["RoutingRules"]
    sdk.put_object(Bucket=bucket, Key="index.html", Body=b"sdk home", ACL="public-read")
    assert visit(raw, bucket).body == b"sdk home"
    sdk.delete_bucket_website(Bucket=bucket)
    with pytest.raises(CosServiceError) as info:
        sdk.get_bucket_website(Bucket=bucket)
    assert (info.value.get_status_code(), info.value.get_error_code()) == (404, "NoSuchWebsiteConfiguration")
