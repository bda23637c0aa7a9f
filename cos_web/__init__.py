"""cos_web: the Tencent Cloud COS SDK for Python in the browser (Pyodide, PyScript, JupyterLite)."""

from .errors import CosError

__version__ = "0.1.0"
__all__ = ["CosError", "__version__"]
