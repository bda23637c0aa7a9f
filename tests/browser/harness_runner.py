"""Runs test code inside the page: top-level await, last expression returned as JSON.

Loaded once per page by harness.html. Failures come back as the Python traceback
(with the test's own source lines), which the pytest side raises.
"""

import base64
import json
import linecache
import traceback

from pyodide.code import eval_code_async
from pyodide.ffi import JsProxy

_counter = 0


def _encode(value):
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$bytes": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, JsProxy):
        return value.to_py()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"result is not JSON-serializable: {type(value).__name__}")


async def _harness_run(src, vars_json):
    global _counter
    _counter += 1
    filename = f"<test code {_counter}>"
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    namespace = {"__name__": "__main__"}
    namespace.update(json.loads(vars_json))
    try:
        value = await eval_code_async(src, namespace, filename=filename)
        return json.dumps({"ok": True, "value": value}, default=_encode)
    except BaseException:  # the test wants every failure, SystemExit included
        return json.dumps({"ok": False, "error": traceback.format_exc()})
