"""cos_web in a plain Web Worker, where a JupyterLite kernel runs: no window, no document."""


def test_cos_web_imports_in_a_worker(worker):
    info = worker.run(
        """
import js, sys, cos_web
{
    "version": cos_web.__version__,
    "file": cos_web.__file__,
    "has_window": hasattr(js, "window"),
    "has_document": hasattr(js, "document"),
    "has_local_storage": hasattr(js, "localStorage"),
    "is_worker": str(js.self.constructor.name),
    "has_fetch": hasattr(js, "fetch"),
    "has_xhr": hasattr(js, "XMLHttpRequest"),
}
"""
    )
    assert info["version"] == __import__("cos_web").__version__
    assert "site-packages/cos_web" in info["file"]
    assert info["is_worker"] == "DedicatedWorkerGlobalScope"
    assert not info["has_window"] and not info["has_document"] and not info["has_local_storage"]
    assert info["has_fetch"] and info["has_xhr"]


def test_worker_errors_and_files(worker, tmp_path):
    import pytest

    from tests.conftest import PageError

    with pytest.raises(PageError, match="ZeroDivisionError"):
        worker.run("1 / 0")
    path = tmp_path / "w.bin"
    path.write_bytes(b"worker" * 100)
    name = worker.add_file(path)
    data = worker.run("import js\n(await js.testFiles.get(name).arrayBuffer()).to_bytes()", name=name)
    assert data == path.read_bytes()
