"""cos_web's version: ``cos_web.__version__`` and ``COS.version`` (the JS SDK's ``COS.version``
is its package version; cos_web's is this package's, kept equal to pyproject.toml's)."""

VERSION = "0.1.0"
