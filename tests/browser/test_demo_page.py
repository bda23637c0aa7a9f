"""The upload page (static/index.html) and the widget, driven in Chromium like a person would.

Real files go in through the file input (``set_input_files``); what the page did is checked
on the page and, independently, against the local COS server (signed requests from here).
Uploads that must be caught midway (pause, cancel) run under Chromium's network throttling.

Screenshots go to test-results/; with COS_WEB_UPDATE_SCREENSHOTS=1 they replace docs/*.png.
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import ROOT

pytestmark = pytest.mark.browser

CHUNK = 128 * 1024  # ChunkSize for the page: many parts, so pause and cancel land mid-upload
PAGE = f"/static/index.html?ChunkSize={CHUNK}&ProgressInterval=200"


# --------------------------------------------------------------------------- helpers


def wait_ready(recorded, timeout: float = 120_000) -> None:
    """PyScript booted, the widget mounted and its first listing arrived (else: what the page said)."""
    page = recorded.page
    try:
        page.wait_for_selector(".cosw", timeout=timeout)
        page.wait_for_function(
            "() => { const s = document.querySelector('.cosw-list-status'); return s && !s.hidden && !/Loading/.test(s.textContent); }",
            timeout=timeout,
        )
    except Exception as exc:
        raise AssertionError(f"the page did not become ready: {exc}\n" + "\n".join(recorded.console[-30:])) from None


def upload_row(page, name: str):
    return page.locator(f'li.cosw-upload[data-name="{name}"]')


def entry(page, key: str):
    return page.locator(f'li.cosw-entry[data-key="{key}"]')


def wait_state(page, name: str, state: str, timeout: float = 90_000) -> None:
    page.wait_for_selector(f'li.cosw-upload[data-name="{name}"][data-state="{state}"]', timeout=timeout)


def percent(page, name: str) -> int:
    return int(upload_row(page, name).locator(".cosw-bar").get_attribute("aria-valuenow"))


def wait_percent(page, name: str, at_least: int, timeout: float = 60_000) -> None:
    page.wait_for_function(
        """([name, pct]) => { const b = document.querySelector(`li.cosw-upload[data-name="${name}"] .cosw-bar`);
                              return b && Number(b.getAttribute('aria-valuenow')) >= pct; }""",
        arg=[name, at_least],
        timeout=timeout,
    )


def throttle(recorded, bytes_per_second: int | None) -> None:
    """Slow the page's uploads (Chromium's network emulation); None lifts it."""
    cdp = getattr(recorded, "_cdp", None) or recorded.context.new_cdp_session(recorded.page)
    recorded._cdp = cdp
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1,
        "uploadThroughput": bytes_per_second if bytes_per_second else -1,
    })  # fmt: skip


def part_puts(recorded, key_fragment: str) -> int:
    """How many part uploads of one object the page has sent so far."""
    return sum(1 for r in recorded.requests if r["method"] == "PUT" and key_fragment in r["url"] and "partNumber=" in r["url"])


def make_file(path: Path, size: int, seed: int) -> bytes:
    block = bytes((i * 31 + seed) % 251 for i in range(4096))
    data = (block * (size // len(block) + 1))[:size]
    path.write_bytes(data)
    return data


def put_direct(demo_server, key: str, data: bytes) -> None:
    """Put an object through the demo server's own signing endpoint (which wants its Content-MD5), from Python."""
    import base64
    import hashlib
    import urllib.request

    settings = demo_server.settings
    host = settings.sign_host()
    headers = {"Host": host, "Content-MD5": base64.b64encode(hashlib.md5(data).digest()).decode()}
    req = urllib.request.Request(demo_server.url + "/api/authorization", method="POST",
                                 data=json.dumps({"Method": "put", "Key": key, "Headers": headers}).encode())  # fmt: skip
    with urllib.request.urlopen(req, timeout=10) as resp:
        auth = json.loads(resp.read())["Authorization"]
    port = host.rsplit(":", 1)[1]
    req = urllib.request.Request(f"http://127.0.0.1:{port}/{key}", data=data, method="PUT",
                                 headers={**headers, "Authorization": auth})  # fmt: skip
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 200


def listed_keys(page) -> set[str]:
    return set(page.eval_on_selector_all("li.cosw-entry[data-key]", "els => els.map(e => e.dataset.key)"))


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def demo(open_demo_page, demo_site):
    recorded = open_demo_page(PAGE)
    wait_ready(recorded)
    yield recorded
    recorded.close()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("picks")
    return {
        "Notizen ü 2026.txt": make_file(folder / "Notizen ü 2026.txt", 40_000, 1),
        "photo.bin": make_file(folder / "photo.bin", 1_500_000, 2),
        "big-pause.bin": make_file(folder / "big-pause.bin", 6_000_000, 3),
        "big-cancel.bin": make_file(folder / "big-cancel.bin", 6_000_000, 4),
        "mobile.txt": make_file(folder / "mobile.txt", 12_000, 5),
        "retry.bin": make_file(folder / "retry.bin", 1_300_000, 6),
        "_dir": folder,
    }


# --------------------------------------------------------------------------- the page


def test_page_boots_from_the_local_servers_only(demo, demo_site):
    page = demo.page
    assert page.evaluate("document.characterSet") == "UTF-8"
    assert demo_site.settings.bucket in page.inner_text("#where")
    assert page.inner_text(".cosw-target") == f"{demo_site.settings.bucket}/{demo_site.prefix}"
    urls = [r["url"] for r in demo.requests]
    assert any("/pyodide/pyodide.mjs" in u for u in urls) and any("/wheel/cos_web-" in u for u in urls)
    assert all(re.match(r"http://(127\.0\.0\.1|[a-z0-9.-]+\.localhost):\d+/", u) for u in urls), urls
    assert not [line for line in demo.console if "[pageerror]" in line or "Traceback" in line], demo.console


def test_page_says_when_python_cannot_start(open_demo_page, demo_site, tmp_path):
    """No wheel to install: the page says so in words instead of spinning forever."""
    from cos_web.demo import DemoServer

    server = DemoServer(demo_site.settings, wheel_dir=tmp_path).start()  # an empty wheel folder
    try:
        recorded = open_demo_page("/static/index.html", base=server.url)
        boot = recorded.page.locator("#boot.failed")
        boot.wait_for(timeout=30_000)
        assert "Python could not start" in boot.inner_text() and "/pyscript.json" in boot.inner_text()
        recorded.close()
    finally:
        server.stop()


def test_two_files_upload_list_and_download(demo, demo_site, files):
    page, prefix = demo.page, demo_site.prefix
    page.set_input_files("input.cosw-input", [str(files["_dir"] / "Notizen ü 2026.txt"), str(files["_dir"] / "photo.bin")])
    for name in ("Notizen ü 2026.txt", "photo.bin"):
        wait_state(page, name, "done")
        assert percent(page, name) == 100
        assert upload_row(page, name).locator(".cosw-percent").inner_text() == "100%"
    # Both listed in the bucket browser, with their sizes.
    page.wait_for_selector(f'li.cosw-entry[data-key="{prefix}photo.bin"]')
    page.wait_for_selector(f'li.cosw-entry[data-key="{prefix}Notizen ü 2026.txt"]')
    assert entry(page, prefix + "photo.bin").locator(".cosw-size").inner_text() == "1.4 MB"
    assert entry(page, prefix + "Notizen ü 2026.txt").locator(".cosw-size").inner_text() == "39.1 KB"
    # Download one through the page and compare bytes.
    with page.expect_download() as info:
        entry(page, prefix + "photo.bin").locator("button[data-action=download]").click()
    download = info.value
    assert download.suggested_filename == "photo.bin"
    assert Path(download.path()).read_bytes() == files["photo.bin"]
    with page.expect_download() as info:
        entry(page, prefix + "Notizen ü 2026.txt").locator("button[data-action=download]").click()
    assert info.value.suggested_filename == "Notizen ü 2026.txt"
    assert Path(info.value.path()).read_bytes() == files["Notizen ü 2026.txt"]
    # And the server holds exactly what was picked.
    assert demo_site.cos("get", prefix + "Notizen ü 2026.txt") == (200, files["Notizen ü 2026.txt"])


def test_an_empty_file_uploads_with_its_content_md5(demo, demo_site, tmp_path):
    """The signing endpoint signs an upload only with its Content-MD5; a zero-byte file's is the MD5 of nothing."""
    page, name = demo.page, "empty.txt"
    (tmp_path / name).write_bytes(b"")
    page.set_input_files("input.cosw-input", [str(tmp_path / name)])
    wait_state(page, name, "done")
    puts = [r for r in demo.requests if r["method"] == "PUT" and r["url"].endswith("/empty.txt")]
    assert puts and all(r["headers"].get("content-md5") == "1B2M2Y8AsgTpgAmY7PhCfg==" for r in puts), puts
    assert demo_site.cos("get", demo_site.prefix + name) == (200, b"")


def test_pause_and_resume(demo, demo_site, files):
    page, name = demo.page, "big-pause.bin"
    key = demo_site.prefix + name
    throttle(demo, 1_000_000)
    try:
        page.set_input_files("input.cosw-input", str(files["_dir"] / name))
        wait_percent(page, name, 5)
        upload_row(page, name).locator("button[data-action=pause]").click()
        wait_state(page, name, "paused")
        paused_at = percent(page, name)
        assert 0 < paused_at < 100
        assert "Paused" in upload_row(page, name).locator(".cosw-status").inner_text()
        time.sleep(1.0)  # let aborted parts settle
        sent = part_puts(demo, name)
        time.sleep(2.0)
        assert part_puts(demo, name) == sent, "parts kept going while paused"
        assert percent(page, name) == paused_at
        assert demo_site.cos("head", key)[0] == 404
    finally:
        throttle(demo, None)
    upload_row(page, name).locator("button[data-action=resume]").click()
    wait_state(page, name, "done")
    assert percent(page, name) == 100
    page.wait_for_selector(f'li.cosw-entry[data-key="{key}"]')
    assert demo_site.cos("get", key) == (200, files[name])


def test_cancel(demo, demo_site, files):
    page, name = demo.page, "big-cancel.bin"
    throttle(demo, 1_000_000)
    try:
        page.set_input_files("input.cosw-input", str(files["_dir"] / name))
        wait_percent(page, name, 5)
        upload_row(page, name).locator("button[data-action=cancel]").click()
        wait_state(page, name, "canceled")
        assert "Canceled" in upload_row(page, name).locator(".cosw-status").inner_text()
        time.sleep(1.0)
        sent = part_puts(demo, name)
        time.sleep(2.0)
        assert part_puts(demo, name) == sent, "parts kept going after cancel"
    finally:
        throttle(demo, None)
    assert demo_site.cos("head", demo_site.prefix + name)[0] == 404
    # A canceled row can be removed from the list.
    upload_row(page, name).locator("button[data-action=remove]").click()
    assert upload_row(page, name).count() == 0


def test_failed_upload_says_why_and_retries(demo, demo_site, files):
    """The server refuses every part: the row says why in words; Retry then finishes the upload."""
    page, name = demo.page, "retry.bin"
    key = demo_site.prefix + "retry/" + name
    refusal = ("<?xml version='1.0' encoding='utf-8' ?><Error><Code>AccessDenied</Code>"
               "<Message>Access Denied.</Message><RequestId>test</RequestId></Error>")  # fmt: skip
    cors = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "x-cos-request-id"}

    def refuse(route):
        if route.request.method == "PUT" and "partNumber=" in route.request.url:
            route.fulfill(status=403, body=refusal, headers={**cors, "Content-Type": "application/xml"})
        else:
            route.continue_()

    assert demo_site.cos("put", demo_site.prefix + "retry/keep.txt", b"k")[0] == 200
    page.locator(".cosw-refresh").click()
    entry(page, demo_site.prefix + "retry/").locator("button[data-action=open]").click()
    try:
        entry(page, demo_site.prefix + "retry/keep.txt").wait_for()
        page.route(re.compile(r".*/retry/retry\.bin\?.*"), refuse)
        try:
            page.set_input_files("input.cosw-input", str(files["_dir"] / name))
            wait_state(page, name, "error")
            status = upload_row(page, name).locator(".cosw-status").inner_text()
            assert status.startswith("Failed: Access was denied."), status
        finally:
            page.unroute(re.compile(r".*/retry/retry\.bin\?.*"))
        upload_row(page, name).locator("button[data-action=retry]").click()
        wait_state(page, name, "done")
        entry(page, key).wait_for()
        assert demo_site.cos("get", key) == (200, files[name])
    finally:
        page.locator(".cosw-crumb[data-folder]").last.click()  # back to the top folder
        entry(page, demo_site.prefix + "retry/").wait_for()


@pytest.mark.slow
def test_200_mb_with_pause_and_resume(open_demo_page, demo_site, tmp_path):
    """The issue's newcomer: a 200 MB file on the page's defaults (1 MB parts), paused and resumed."""
    import hashlib

    name, size = "big-200mb.bin", 200 * 1024 * 1024
    path = tmp_path / name
    digest = hashlib.sha256()
    with open(path, "wb") as fh:
        for _ in range(size >> 20):
            block = os.urandom(1 << 20)
            digest.update(block)
            fh.write(block)
    recorded = open_demo_page("/static/index.html")
    page = recorded.page
    try:
        wait_ready(recorded)
        page.set_input_files("input.cosw-input", str(path))
        wait_percent(page, name, 20, timeout=300_000)
        upload_row(page, name).locator("button[data-action=pause]").click()
        wait_state(page, name, "paused")
        paused_at = percent(page, name)
        assert 20 <= paused_at < 100
        upload_row(page, name).locator("button[data-action=resume]").click()
        wait_state(page, name, "done", timeout=600_000)
        key = demo_site.prefix + name
        page.wait_for_selector(f'li.cosw-entry[data-key="{key}"]')
        assert entry(page, key).locator(".cosw-size").inner_text() == "200 MB"
        status, body = demo_site.cos("get", key)
        assert status == 200 and len(body) == size and hashlib.sha256(body).digest() == digest.digest()
    finally:
        recorded.close()


def test_delete_asks_once_then_deletes(demo, demo_site, files):
    page, key = demo.page, demo_site.prefix + "Notizen ü 2026.txt"
    if entry(page, key).count() == 0:  # when run alone
        assert demo_site.cos("put", key, files["Notizen ü 2026.txt"])[0] == 200
        page.locator(".cosw-refresh").click()
    button = entry(page, key).locator("button[data-action=delete]")
    button.click()
    expect(button).to_have_text("Confirm?")  # the click's Python handler runs on the page's event loop
    assert demo_site.cos("head", key)[0] == 200  # one click deletes nothing
    button.click()
    entry(page, key).wait_for(state="detached")
    assert demo_site.cos("head", key)[0] == 404


def test_folders_and_errors_in_words(demo, demo_site):
    page, prefix = demo.page, demo_site.prefix
    assert demo_site.cos("put", prefix + "photos/cat.txt", b"meow")[0] == 200
    page.locator(".cosw-refresh").click()
    folder = entry(page, prefix + "photos/")
    folder.wait_for()
    assert folder.locator(".cosw-size").inner_text() == "Folder"
    folder.locator("button[data-action=open]").click()
    entry(page, prefix + "photos/cat.txt").wait_for()
    assert page.inner_text(".cosw-target").endswith(prefix + "photos/")
    page.locator(".cosw-crumb[data-folder]").last.click()  # back to the widget's top folder
    entry(page, prefix + "photos/").wait_for()

    # The signing service says no: the person reads why, in words.
    refusal = {"code": "AccessDenied", "message": "this endpoint signs only for bucket x"}
    page.route("**/api/authorization", lambda route: route.fulfill(status=403, body=json.dumps(refusal),
                                                                   content_type="application/json"))  # fmt: skip
    try:
        page.locator(".cosw-refresh").click()
        alert = page.locator(".cosw-alert")
        alert.wait_for(state="visible")
        text = alert.inner_text()
        assert "Listing the bucket failed" in text and "signing service refused" in text, text
    finally:
        page.unroute("**/api/authorization")
    page.locator(".cosw-alert-close").click()
    assert page.locator(".cosw-alert").is_hidden()


def css_string(value: str) -> str:
    """``value`` as a quoted CSS string (control characters, quotes and backslashes escaped)."""
    return '"' + "".join(f"\\{ord(c):x} " if ord(c) < 0x20 or c in '"\\' else c for c in value) + '"'


def test_odd_keys_listed_downloaded_and_deleted(demo, demo_site, tmp_path):
    """Keys with %, +, spaces, non-ASCII (and a control character, if the server stores one): the
    widget lists with EncodingType=url, shows the real names, and downloads and deletes the real keys."""
    page = demo.page
    folder = demo_site.prefix + "odd 100%+ü/"
    bodies = {folder + "50% off+more.txt": b"fifty", folder + "a  b + c%2B.txt": b"plus", folder + "日本語 ñ.txt": b"nihongo"}
    for key, body in bodies.items():
        assert demo_site.cos("put", key, body)[0] == 200
    control_key = folder + "bell\x07 \x01.txt"
    status, _ = demo_site.cos("put", control_key, b"bell")
    if status == 200:  # stored: the listing must still be well-formed XML for the widget
        bodies[control_key] = b"bell"
    else:  # refused, as COS does: never a 500
        assert 400 <= status < 500, status
    listed_before = len(demo.requests)

    page.locator(".cosw-refresh").click()
    entry(page, folder).locator("button[data-action=open]").click()
    try:
        for key in bodies:
            row = page.locator(f"li.cosw-entry[data-key={css_string(key)}]")
            row.wait_for()
            assert row.locator(".cosw-name").evaluate("e => e.textContent") == key[len(folder):]
        assert page.inner_text(".cosw-target").endswith(folder)
        listings = [r["url"] for r in demo.requests[listed_before:] if r["method"] == "GET" and "delimiter=" in r["url"]]
        assert listings and all("encoding-type=url" in u for u in listings), listings

        # Uploaded into the odd folder: the key is the folder's real name plus the file's.
        pick = tmp_path / "x%2B y+é.txt"
        pick.write_bytes(b"picked")
        page.set_input_files("input.cosw-input", str(pick))
        wait_state(page, pick.name, "done")
        assert demo_site.cos("get", folder + pick.name) == (200, b"picked")
        bodies[folder + pick.name] = b"picked"
        page.locator(f"li.cosw-entry[data-key={css_string(folder + pick.name)}]").wait_for()

        for key, body in bodies.items():
            row = page.locator(f"li.cosw-entry[data-key={css_string(key)}]")
            with page.expect_download() as info:
                row.locator("button[data-action=download]").click()
            assert Path(info.value.path()).read_bytes() == body, key
            if key != control_key:
                assert info.value.suggested_filename == key[len(folder):]
        for key in bodies:
            row = page.locator(f"li.cosw-entry[data-key={css_string(key)}]")
            button = row.locator("button[data-action=delete]")
            button.click()
            expect(button).to_have_text("Confirm?")
            button.click()
            row.wait_for(state="detached")
            assert demo_site.cos("head", key)[0] == 404, key
        assert not page.locator(".cosw-alert").is_visible(), page.inner_text(".cosw-alert")
    finally:
        page.locator(".cosw-crumb[data-folder]").last.click()  # back to the top folder


def test_minimal_page_mounts_the_widget(open_demo_page, demo_site, files):
    source = (ROOT / "static" / "widget-minimal.html").read_text()
    wheel = sorted((ROOT / "build" / "wheel").glob("cos_web-*.whl"))[-1].name
    assert f"/wheel/{wheel}" in source, "widget-minimal.html names another wheel version"
    python = source.split('<script type="py"', 1)[1].split(">", 1)[1].split("</script>", 1)[0]
    assert len([line for line in python.splitlines() if line.strip()]) <= 6  # the few lines

    key = demo_site.prefix + "from-python.txt"
    assert demo_site.cos("put", key, b"hello")[0] == 200
    recorded = open_demo_page("/static/widget-minimal.html")
    page = recorded.page
    wait_ready(recorded)
    entry(page, key).wait_for()
    page.set_input_files("input.cosw-input", str(files["_dir"] / "mobile.txt"))
    wait_state(page, "mobile.txt", "done")
    page.wait_for_selector(f'li.cosw-entry[data-key="{demo_site.prefix}mobile.txt"]')
    assert demo_site.cos("get", demo_site.prefix + "mobile.txt") == (200, files["mobile.txt"])
    # Dropped files upload too (a DataTransfer, as a drag from the desktop gives).
    page.evaluate("""() => { const dt = new DataTransfer();
        dt.items.add(new File(["dropped ünïcode"], "dropped.txt", { type: "text/plain" }));
        document.querySelector(".cosw-drop").dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true })); }""")
    wait_state(page, "dropped.txt", "done")
    assert demo_site.cos("get", demo_site.prefix + "dropped.txt") == (200, "dropped ünïcode".encode())
    recorded.close()


def test_screenshots(open_demo_page, fresh_demo, files):
    """What ``scripts/demo.sh`` shows, at 1280×800 with uploads in several states, and on a phone."""
    out = ROOT / ("docs" if os.environ.get("COS_WEB_UPDATE_SCREENSHOTS") == "1" else "test-results")
    out.mkdir(exist_ok=True)
    folder, prefix = files["_dir"], fresh_demo.settings.prefix
    picks = {"poster.png": 850_000, "holiday-video.mp4": 6_000_000, "survey-results.csv": 6_000_000, "IMG_2041.jpg": 240_000}
    for seed, (name, size) in enumerate(picks.items()):
        make_file(folder / name, size, seed)
    for name in ("photos/beach.jpg", "photos/city.jpg", "reports/q3.pdf", "notes.txt"):
        put_direct(fresh_demo, prefix + name, os.urandom(50_000))

    desktop = open_demo_page(PAGE, base=fresh_demo.url)
    page = desktop.page
    wait_ready(desktop)
    page.set_input_files("input.cosw-input", str(folder / "poster.png"))
    wait_state(page, "poster.png", "done")
    throttle(desktop, 400_000)
    try:
        page.set_input_files("input.cosw-input", str(folder / "holiday-video.mp4"))
        wait_percent(page, "holiday-video.mp4", 20)
        upload_row(page, "holiday-video.mp4").locator("button[data-action=pause]").click()
        wait_state(page, "holiday-video.mp4", "paused")
        page.set_input_files("input.cosw-input", str(folder / "survey-results.csv"))
        wait_percent(page, "survey-results.csv", 4)
        page.wait_for_selector(f'li.cosw-entry[data-key="{prefix}poster.png"]')
        page.wait_for_timeout(600)  # the bars' width transitions end
        page.screenshot(path=str(out / "upload-page-1280x800.png"))
    finally:
        throttle(desktop, None)
    desktop.close()

    phone = open_demo_page(PAGE, viewport={"width": 390, "height": 844}, base=fresh_demo.url, is_mobile=True, has_touch=True)
    wait_ready(phone)
    phone.page.set_input_files("input.cosw-input", str(folder / "IMG_2041.jpg"))
    wait_state(phone.page, "IMG_2041.jpg", "done")
    phone.page.wait_for_selector(f'li.cosw-entry[data-key="{prefix}IMG_2041.jpg"]')
    phone.page.wait_for_timeout(600)
    phone.page.screenshot(path=str(out / "upload-page-phone.png"), full_page=True)
    # Nothing overflows sideways on the phone.
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= 390
    phone.close()


def test_temporary_keys_from_the_sts_endpoint(open_demo_page, fresh_demo, files):
    """?auth=sts: the SDK gets temporary keys from /api/sts (getSTS) and signs in the page with them."""
    recorded = open_demo_page("/static/index.html?auth=sts", base=fresh_demo.url)
    page = recorded.page
    try:
        wait_ready(recorded)
        assert "temporary keys" in page.inner_text("#where")
        page.set_input_files("input.cosw-input", str(files["_dir"] / "photo.bin"))
        wait_state(page, "photo.bin", "done")
        page.wait_for_selector(f'li.cosw-entry[data-key="{fresh_demo.settings.prefix}photo.bin"]')
    finally:
        recorded.close()
    urls = [r["url"] for r in recorded.requests]
    assert any(u.endswith("/api/sts") for u in urls) and not any(u.endswith("/api/authorization") for u in urls)
    cos_requests = [r for r in recorded.requests if ".localhost:" in r["url"] and r["method"] != "OPTIONS"]
    assert cos_requests and all(r["headers"].get("x-cos-security-token") for r in cos_requests)
    sts = [json.loads(r["body"]) for r in recorded.responses if r["url"].endswith("/api/sts")]
    assert sts and sts[0]["SecretKey"] != fresh_demo.settings.secret_key
    assert 0 < sts[0]["ExpiredTime"] - time.time() <= 3600


def test_no_secret_in_anything_the_page_received(demo, open_demo_page, demo_site):
    """Every response body and header the demo pages of this session got, and every request they
    sent: no secret key. (Runs last: the pages of the tests above are all recorded.)"""
    from cos_web.demo import DemoSettings

    secrets = {demo_site.settings.secret_key, DemoSettings.from_env({}).secret_key}  # this session's, the demo's
    pages = open_demo_page.opened
    assert demo in pages and len(pages) >= 3
    signed = 0
    for recorded in pages:
        assert recorded.responses, "no response recorded"
        for response in recorded.responses:
            for secret in secrets:
                assert secret.encode() not in response["body"], response["url"]
                assert secret not in json.dumps(response["headers"]), response["url"]
            if response["url"].endswith("/api/authorization") and response["status"] == 200:
                assert set(json.loads(response["body"])) <= {"Authorization", "XCosSecurityToken"}
                signed += 1
        for request in recorded.requests:
            for secret in secrets:
                assert secret not in request["url"] and secret not in json.dumps(request["headers"])
                assert secret.encode() not in request["body"]
    assert signed > 0, "the pages never used the signing endpoint"


def test_scoped_temporary_keys_upload_list_download_delete(open_demo_page, fresh_demo, files):
    """?auth=sts with the demo's scoped keys: the widget uploads (simple and in parts), lists, downloads and
    deletes under its prefix, and never meets a refusal; the same keys are AccessDenied outside it."""
    from cos_web.auth import build_authorization

    prefix = fresh_demo.settings.prefix
    recorded = open_demo_page(f"/static/index.html?auth=sts&ChunkSize={CHUNK}", base=fresh_demo.url)
    page = recorded.page
    try:
        wait_ready(recorded)
        page.set_input_files("input.cosw-input", [str(files["_dir"] / "mobile.txt"), str(files["_dir"] / "retry.bin")])
        for name in ("mobile.txt", "retry.bin"):
            wait_state(page, name, "done")
            page.wait_for_selector(f'li.cosw-entry[data-key="{prefix}{name}"]')
        with page.expect_download() as info:
            entry(page, prefix + "retry.bin").locator("button[data-action=download]").click()
        assert Path(info.value.path()).read_bytes() == files["retry.bin"]
        button = entry(page, prefix + "mobile.txt").locator("button[data-action=delete]")
        button.click()
        expect(button).to_have_text("Confirm?")
        button.click()
        entry(page, prefix + "mobile.txt").wait_for(state="detached")
    finally:
        recorded.close()
    cos_answers = [r for r in recorded.responses if ".localhost:" in r["url"]]
    assert any("partNumber=" in r["url"] for r in cos_answers)  # retry.bin went up in parts
    assert [r["url"] for r in cos_answers if r["status"] == 403] == []
    # The keys the page held, used outside the prefix, at the bucket root, or for an ACL change: refused.
    creds = json.loads(next(r["body"] for r in recorded.responses if r["url"].endswith("/api/sts")))
    settings = fresh_demo.settings
    host = settings.sign_host()
    port = int(host.rsplit(":", 1)[1])
    for method, key, query in (("put", "outside.txt", ""), ("get", "", ""), ("put", prefix + "retry.bin", "acl")):
        headers = {"Host": host}
        auth = build_authorization(SecretId=creds["SecretId"], SecretKey=creds["SecretKey"], Method=method, Key=key,
                                   Query={query: ""} if query else {}, Headers=headers)  # fmt: skip
        request = urllib.request.Request(f"http://127.0.0.1:{port}/{key}" + (f"?{query}" if query else ""), data=b"x" if method == "put" else None,
                                         method=method.upper(), headers={**headers, "Authorization": auth,
                                                                         "x-cos-security-token": creds["XCosSecurityToken"]})  # fmt: skip
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 403 and b"<Code>AccessDenied</Code>" in refused.value.read(), (method, key, query)
