"""``UploadWidget``: the frame around the upload panel and the bucket browser — heading, the
error alert both report to, the "Files go to" line — and mounting it into the page."""

from __future__ import annotations

from typing import Any, Callable

from .browser import BucketBrowser
from .dom import Dom, install_stylesheet, js
from .model import Entry, Listing, UploadItem, describe_error, normalize_prefix
from .panel import UploadPanel

__all__ = ["UploadWidget"]


class UploadWidget:
    """Upload files to ``bucket`` under ``prefix`` and browse what is there.

    ``cos`` is a :class:`cos_web.COS`. ``mount(target)`` draws the widget into an element
    (or a CSS selector) and returns the widget. Options: ``title`` (heading text),
    ``stylesheet`` (False to bring your own CSS), ``upload_params`` (extra parameters for
    every upload, e.g. ``{"StorageClass": "STANDARD_IA"}``), ``on_uploaded(data)`` called
    after each upload, ``on_error(message)`` called with each error shown.
    """

    def __init__(
        self,
        cos: Any,
        bucket: str,
        region: str,
        prefix: str = "",
        *,
        title: str = "Upload to COS",
        stylesheet: bool = True,
        upload_params: dict[str, Any] | None = None,
        on_uploaded: Callable[[Any], Any] | None = None,
        on_error: Callable[[str], Any] | None = None,
    ) -> None:
        self.cos = cos
        self.bucket = bucket
        self.region = region
        self.root = normalize_prefix(prefix)
        self.title = title
        self.stylesheet = stylesheet
        self.on_uploaded = on_uploaded
        self.on_error = on_error
        self.root_el = None
        self.dom = Dom(on_failure=lambda exc: self.show_error(describe_error(exc)))
        self.browser = BucketBrowser(cos, self.dom, bucket, region, self.root,
                                     show_error=self.show_error, on_folder=self._on_folder)  # fmt: skip
        self.panel = UploadPanel(cos, self.dom, bucket, region, lambda: self.browser.folder,
                                 upload_params=upload_params, on_uploaded=self._uploaded)  # fmt: skip

    # ------------------------------------------------------------------ what the parts hold

    @property
    def folder(self) -> str:
        """The folder the browser shows and new uploads go to."""
        return self.browser.folder

    @property
    def items(self) -> dict[int, UploadItem]:
        return self.panel.items

    @property
    def listing(self) -> Listing | None:
        return self.browser.listing

    @property
    def upload_params(self) -> dict[str, Any]:
        return self.panel.upload_params

    # ------------------------------------------------------------------ mount

    def mount(self, target: Any) -> "UploadWidget":
        """Draw the widget into ``target`` (an element or a CSS selector); returns self."""
        host = js().document.querySelector(target) if isinstance(target, str) else target
        if host is None:
            raise ValueError(f"no element matches {target!r}")
        self.unmount()
        if self.stylesheet:
            install_stylesheet()
        h = self.dom.h
        self.target_el = h("span", {"class": "cosw-target"})
        self.error_text = h("span", {"class": "cosw-alert-text"})
        self.error_el = h("div", {"class": "cosw-alert", "role": "alert", "hidden": True}, self.error_text,
                          h("button", {"type": "button", "class": "cosw-alert-close", "aria-label": "Dismiss", "text": "×",
                                       "onclick": lambda e: self.clear_error()}))  # fmt: skip
        drop, uploads_head, uploads = self.panel.draw()
        self.root_el = h("section", {"class": "cosw", "data-bucket": self.bucket})
        self.root_el.replaceChildren(
            h("header", {"class": "cosw-head"},
              h("h2", {"class": "cosw-title", "text": self.title}),
              h("p", {"class": "cosw-sub"}, "to ", h("code", {"text": self.bucket}), f" · {self.region}")),
            self.error_el,
            drop,
            h("p", {"class": "cosw-hint"}, "Files go to ", self.target_el),
            uploads_head,
            uploads,
            *self.browser.draw(self.root_el),
        )  # fmt: skip
        # The whole widget takes drops (a file dropped beside the zone must not navigate away).
        self.panel.accept_drops(self.root_el)
        host.replaceChildren(self.root_el)
        self.host = host
        self.browser.draw_crumbs()
        self.browser.refresh()
        return self

    def unmount(self) -> None:
        """Remove the widget and release its event handlers."""
        if self.root_el is not None:
            self.root_el.remove()
            self.root_el = None
        self.browser.detach()
        self.panel.detach()
        self.dom.release()

    def _on_folder(self, folder: str) -> None:
        self.target_el.textContent = f"{self.bucket}/{folder}"

    def _uploaded(self, data: Any) -> None:
        self.browser.schedule_refresh()
        if self.on_uploaded:
            self.on_uploaded(data)

    # ------------------------------------------------------------------ errors

    def show_error(self, message: str) -> None:
        """Show an error in words at the top of the widget (and to ``on_error``)."""
        if self.root_el is None:
            return
        self.error_text.textContent = message
        self.error_el.hidden = False
        if self.on_error:
            self.on_error(message)

    def clear_error(self) -> None:
        if self.root_el is not None:
            self.error_el.hidden = True
            self.error_text.textContent = ""

    # ------------------------------------------------------------------ the parts' calls, from here too

    def add_files(self, files: list[Any]) -> list[UploadItem]:
        """Start uploading JS ``File`` objects into the current folder; returns their items."""
        return self.panel.add_files(files)

    async def pause(self, item: UploadItem) -> None:
        await self.panel.pause(item)

    async def resume(self, item: UploadItem) -> None:
        await self.panel.resume(item)

    async def cancel(self, item: UploadItem) -> None:
        await self.panel.cancel(item)

    def remove(self, item: UploadItem) -> None:
        self.panel.remove(item)

    def refresh(self) -> None:
        """Reload the current folder's listing."""
        self.browser.refresh()

    def schedule_refresh(self, delay: float = 0.3) -> None:
        self.browser.schedule_refresh(delay)

    def open_folder(self, folder: str) -> None:
        self.browser.open_folder(folder)

    async def download(self, entry: Entry, button: Any = None) -> None:
        await self.browser.download(entry, button)

    async def delete(self, entry: Entry, button: Any, li: Any) -> None:
        await self.browser.delete(entry, button, li)
