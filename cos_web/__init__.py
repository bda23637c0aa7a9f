"""cos_web: the Tencent Cloud COS SDK for Python in the browser (Pyodide, PyScript, JupyterLite).

Mirrors cos-js-sdk-v5: ``COS`` with every call of its interface, snake_case and
camelCase, awaitable or with a ``callback(err, data)``; ``CosError`` for failures.
"""

from .client import COS
from .errors import CosError
from .version import VERSION as __version__

__all__ = ["COS", "CosError", "__version__"]
