"""The README's PyScript example (static/example.html): the wheel installed through PyScript's
``packages``, a bucket listed, a picked file uploaded, all against the local COS server."""

import hashlib

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.browser


def test_readme_example_lists_and_uploads(open_demo_page, demo_site, tmp_path):
    source = (ROOT / "static" / "example.html").read_text()
    readme = (ROOT / "README.md").read_text()
    python = source.split('<script type="py"', 1)[1].split(">", 1)[1].split("</script>", 1)[0]
    assert python.strip() in readme, "README's example is not static/example.html's"

    listed = demo_site.prefix + "already-there.txt"
    assert demo_site.cos("put", listed, b"x" * 5)[0] == 200
    recorded = open_demo_page("/static/example.html")
    page = recorded.page
    page.wait_for_function(
        "(key) => document.getElementById('out').textContent.includes(key)", arg=listed, timeout=120_000
    )
    assert f"{listed}  5 bytes" in page.text_content("#out")

    path = tmp_path / "photo 1.bin"
    path.write_bytes(bytes(range(256)) * 4000)  # 1 MB: one putObject
    page.set_input_files("#pick", str(path))
    page.wait_for_function("() => document.getElementById('out').textContent.includes('uploaded')", timeout=60_000)
    text = page.text_content("#out")
    assert f'uploaded photo 1.bin: "{hashlib.md5(path.read_bytes()).hexdigest()}"' in text, text
    assert f"{demo_site.prefix}photo 1.bin  {path.stat().st_size} bytes" in text
    assert demo_site.cos("get", demo_site.prefix + "photo 1.bin") == (200, path.read_bytes())
    recorded.close()
