"""An upload widget for a COS bucket, in Python over the DOM, for PyScript and Pyodide pages.

    import js
    from cos_web import COS
    from cos_web.widget import UploadWidget

    cos = COS(getAuthorization=js.getAuthorization)
    UploadWidget(cos, bucket="examplebucket-1250000000", region="ap-guangzhou", prefix="uploads/").mount("#uploader")

People pick or drop several files; each gets a row with a progress bar, percent, speed,
and pause / resume / cancel. Below, a bucket browser lists the current folder
(prefixes as folders, size, date) with download and delete. Errors are shown in words.

The widget uses only cos_web's public API (``upload_file`` or ``slice_upload_file``
with ``onProgress`` and ``TaskReady``, ``pause_task``, ``restart_task``,
``cancel_task``, ``get_bucket``, ``head_object``, ``get_object_url``, ``delete_object``). Its stylesheet,
``widget.css``, ships in the wheel and is added to the page once.

The parts, one job each:

- :mod:`.model` — the plain-Python half (formatting, the upload state model, listing
  parsing, error wording), importable and tested in CPython;
- :mod:`.dom` — building elements, event-handler proxies, the stylesheet;
- :mod:`.panel` — the upload panel (drop zone, file rows, pause / resume / cancel);
- :mod:`.browser` — the bucket browser (listing, folders, download, delete);
- :mod:`.upload_widget` — ``UploadWidget``, the frame that mounts the two.

Only the last three touch ``js``, and only once mounted: importing this package needs no browser.
"""

from __future__ import annotations

from .model import Listing, UploadItem, describe_error, format_bytes, format_eta, format_percent, format_speed, parse_listing
from .upload_widget import UploadWidget

__all__ = [
    "UploadWidget",
    "UploadItem",
    "Listing",
    "format_bytes",
    "format_speed",
    "format_eta",
    "format_percent",
    "describe_error",
    "parse_listing",
]
