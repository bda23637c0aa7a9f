"""The widget's bucket browser: the current folder's listing (prefixes as folders, then files
with size and date), breadcrumbs, "load more", download and delete, through the SDK's
``get_bucket``, ``head_object``, ``get_object_url`` and ``delete_object``.

It lists with ``EncodingType=url``, so a key with any character (control characters
included) still gives a well-formed listing; :func:`~cos_web.widget.model.parse_listing`
decodes the keys, and every later call (open, download, delete, the next page) passes the
decoded key, which the SDK encodes for its request as for any other key.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable

from .dom import ICONS, Dom, js, local_date
from .model import Entry, Listing, _field, breadcrumbs, describe_error, format_bytes, parse_listing

__all__ = ["BucketBrowser"]


class BucketBrowser:
    """Lists ``bucket`` from the folder ``root`` down. ``show_error(message)`` shows a failure
    in words; ``on_folder(folder)`` is told each time another folder opens."""

    def __init__(
        self,
        cos: Any,
        dom: Dom,
        bucket: str,
        region: str,
        root: str,
        *,
        show_error: Callable[[str], Any],
        on_folder: Callable[[str], Any] | None = None,
    ) -> None:
        self.cos = cos
        self.dom = dom
        self.bucket = bucket
        self.region = region
        self.root = root
        self.folder = root
        self.show_error = show_error
        self.on_folder = on_folder
        self.listing: Listing | None = None
        self.area = None  # the element marked "is-loading" while a listing is on its way, once drawn
        self._refresh_pending = False
        self._listing_generation = 0

    # ------------------------------------------------------------------ drawing

    def draw(self, area: Any) -> tuple[Any, ...]:
        """The browser's elements in page order; ``area`` shows that a listing is loading."""
        h = self.dom.h
        self.area = area
        self.crumbs_el = h("nav", {"class": "cosw-crumbs", "aria-label": "Folder", "onclick": self._on_crumb_click})
        self.refresh_btn = h("button", {"type": "button", "class": "cosw-btn cosw-btn-quiet cosw-refresh", "title": "Refresh",
                                        "aria-label": "Refresh", "onclick": lambda e: self.refresh()},
                             h("span", {"class": "cosw-icon", "html": ICONS["refresh"]}), h("span", {"text": "Refresh"}))  # fmt: skip
        self.list_el = h("ul", {"class": "cosw-list", "aria-label": "Files in the bucket", "onclick": self._on_list_click})
        self.list_status = h("p", {"class": "cosw-list-status", "text": "Loading…"})
        self.more_btn = h("button", {"type": "button", "class": "cosw-btn cosw-more", "hidden": True, "text": "Load more",
                                     "onclick": lambda e: self.dom.spawn(self._load(more=True))})  # fmt: skip
        return (
            h("div", {"class": "cosw-section-head cosw-browser-head"},
              h("h3", {"text": "In the bucket"}), self.refresh_btn),
            self.crumbs_el,
            h("div", {"class": "cosw-list-head", "aria-hidden": "true"},
              h("span", {"text": "Name"}), h("span", {"text": "Size"}), h("span", {"text": "Modified"}), h("span")),
            self.list_el,
            self.list_status,
            self.more_btn,
        )  # fmt: skip

    def detach(self) -> None:
        """The browser is gone from the page: listings still on their way are dropped."""
        self.area = None

    # ------------------------------------------------------------------ folders

    def refresh(self) -> None:
        """Reload the current folder's listing."""
        self.dom.spawn(self._load())

    def schedule_refresh(self, delay: float = 0.3) -> None:
        """Refresh soon, once for several finishing uploads."""
        if self._refresh_pending:
            return
        self._refresh_pending = True

        async def later() -> None:
            await asyncio.sleep(delay)
            self._refresh_pending = False
            await self._load()

        self.dom.spawn(later())

    def open_folder(self, folder: str) -> None:
        if not folder.startswith(self.root):
            folder = self.root
        self.folder = folder
        self.draw_crumbs()
        self.list_el.replaceChildren()
        self.refresh()

    def _on_crumb_click(self, event: Any) -> None:
        button = event.target.closest("button[data-folder]")
        if button:
            self.open_folder(button.getAttribute("data-folder"))

    def draw_crumbs(self) -> None:
        h = self.dom.h
        crumbs = breadcrumbs(self.root, self.folder)
        nodes = [h("span", {"class": "cosw-crumb-bucket", "text": self.bucket}), h("span", {"class": "cosw-sep", "text": "/"})]
        for index, (label, path) in enumerate(crumbs):
            last = index == len(crumbs) - 1
            if label == "/":
                if last:
                    continue
                label = "(top)"
            if last:
                nodes.append(h("span", {"class": "cosw-crumb is-current", "aria-current": "page", "text": label}))
            else:
                nodes.append(h("button", {"type": "button", "class": "cosw-crumb", "text": label, "data-folder": path}))
                nodes.append(h("span", {"class": "cosw-sep", "text": "/"}))
        self.crumbs_el.replaceChildren(*nodes)
        if self.on_folder:
            self.on_folder(self.folder)

    # ------------------------------------------------------------------ listing

    async def _load(self, more: bool = False) -> None:
        if self.area is None:
            return
        self._listing_generation += 1
        generation = self._listing_generation
        folder = self.folder
        # Keys come url-encoded: a key with a control character cannot break the listing's XML.
        params: dict[str, Any] = {"Bucket": self.bucket, "Region": self.region, "Prefix": folder, "Delimiter": "/",
                                  "MaxKeys": 1000, "EncodingType": "url"}  # fmt: skip
        if more and self.listing and self.listing.next_marker:
            params["Marker"] = self.listing.next_marker
        self.area.classList.add("is-loading")
        self.list_status.textContent = "Loading…"
        self.list_status.hidden = False
        try:
            data = await self.cos.get_bucket(**params)
        except Exception as exc:  # noqa: BLE001 - shown to the person
            if generation == self._listing_generation:
                self.list_status.textContent = "Could not list the bucket."
                self.show_error("Listing the bucket failed: " + describe_error(exc))
            return
        finally:
            if generation == self._listing_generation and self.area is not None:
                self.area.classList.remove("is-loading")
        if generation != self._listing_generation or folder != self.folder:
            return  # a newer listing is on its way
        listing = parse_listing(data, folder)
        if more and self.listing:
            listing.entries = self.listing.entries + listing.entries
        self.listing = listing
        self._draw_listing()

    def _draw_listing(self) -> None:
        h = self.dom.h
        listing = self.listing
        rows = [self._entry_row(entry) for entry in listing.entries]
        if self.folder != self.root:
            parent = self.folder[: self.folder[:-1].rfind("/") + 1]
            rows.insert(0, h("li", {"class": "cosw-entry cosw-up", "data-key": parent},
                             h("button", {"type": "button", "class": "cosw-entry-name", "data-action": "open"},
                               h("span", {"class": "cosw-icon", "html": ICONS["folder"]}),
                               h("span", {"class": "cosw-name", "text": ".. (up one folder)"}))))  # fmt: skip
        self.list_el.replaceChildren(*rows)
        self.more_btn.hidden = not listing.truncated
        files = [e for e in listing.entries if not e.is_folder]
        if not listing.entries:
            self.list_status.textContent = "This folder is empty. Upload files above."
        else:
            total = sum(e.size or 0 for e in files)
            folders = len(listing.entries) - len(files)
            parts = []
            if folders:
                parts.append(f"{folders} folder{'s' if folders != 1 else ''}")
            parts.append(f"{len(files)} file{'s' if len(files) != 1 else ''}, {format_bytes(total)}")
            self.list_status.textContent = ", ".join(parts) + (" (more to load)" if listing.truncated else "")
        self.list_status.hidden = False

    def _entry_row(self, entry: Entry) -> Any:
        h = self.dom.h
        if entry.is_folder:
            return h("li", {"class": "cosw-entry cosw-folder", "data-key": entry.key},
                     h("button", {"type": "button", "class": "cosw-entry-name", "title": entry.key, "data-action": "open"},
                       h("span", {"class": "cosw-icon", "html": ICONS["folder"]}), h("span", {"class": "cosw-name", "text": entry.name})),
                     h("span", {"class": "cosw-size", "text": "Folder"}), h("span", {"class": "cosw-date"}), h("span"))  # fmt: skip
        return h("li", {"class": "cosw-entry cosw-object", "data-key": entry.key},
                 h("span", {"class": "cosw-entry-name"},
                   h("span", {"class": "cosw-icon", "html": ICONS["file"]}),
                   h("span", {"class": "cosw-name", "text": entry.name, "title": entry.key})),
                 h("span", {"class": "cosw-size", "text": format_bytes(entry.size)}),
                 h("span", {"class": "cosw-date", "text": local_date(entry.last_modified), "title": entry.last_modified}),
                 h("span", {"class": "cosw-actions"},
                   h("button", {"type": "button", "class": "cosw-btn cosw-download", "data-action": "download",
                                "aria-label": f"Download {entry.name}", "text": "Download"}),
                   h("button", {"type": "button", "class": "cosw-btn cosw-delete", "data-action": "delete",
                                "aria-label": f"Delete {entry.name}", "text": "Delete"})))  # fmt: skip

    def _on_list_click(self, event: Any) -> None:
        """One listener for the listing: open a folder, download, delete."""
        button = event.target.closest("button[data-action]")
        li = button and button.closest("li[data-key]")
        if not li:
            return
        key, action = li.getAttribute("data-key"), button.getAttribute("data-action")
        if action == "open":
            self.open_folder(key)
            return
        entry = next((e for e in (self.listing.entries if self.listing else []) if e.key == key), None)
        if entry is None:
            return
        if action == "download":
            self.dom.spawn(self.download(entry, button))
        elif action == "delete":
            self.dom.spawn(self.delete(entry, button, li))

    # ------------------------------------------------------------------ objects

    async def download(self, entry: Entry, button: Any = None) -> None:
        """Check the object is there (errors in words), then let the browser stream it to disk from a
        signed URL that asks COS for ``Content-Disposition: attachment`` (no copy in memory)."""
        browser = js()
        name = entry.key.rsplit("/", 1)[-1]
        if button is not None:
            button.disabled = True
            button.textContent = "Preparing…"
        try:
            await self.cos.head_object(Bucket=self.bucket, Region=self.region, Key=entry.key)
            disposition = "attachment; filename*=UTF-8''" + browser.encodeURIComponent(name)
            data = await self.cos.get_object_url(Bucket=self.bucket, Region=self.region, Key=entry.key, Sign=True,
                                                 Query={"response-content-disposition": disposition})  # fmt: skip
            link = browser.document.createElement("a")
            link.href = _field(data, "Url")
            link.download = name
            link.rel = "noopener"
            link.style.display = "none"
            browser.document.body.appendChild(link)
            link.click()
            link.remove()
        except Exception as exc:  # noqa: BLE001 - shown to the person
            self.show_error(f"Downloading {entry.name} failed: {describe_error(exc)}")
        finally:
            if button is not None:
                button.disabled = False
                button.textContent = "Download"

    async def delete(self, entry: Entry, button: Any, li: Any) -> None:
        """First click arms the button ('Confirm'); a second within 4 s deletes."""
        if button.getAttribute("data-armed") != "1":
            button.setAttribute("data-armed", "1")
            button.textContent = "Confirm?"
            button.classList.add("is-armed")
            await asyncio.sleep(4)
            if button.getAttribute("data-armed") == "1":
                button.setAttribute("data-armed", "0")
                button.textContent = "Delete"
                button.classList.remove("is-armed")
            return
        button.setAttribute("data-armed", "busy")
        button.disabled = True
        button.textContent = "Deleting…"
        try:
            await self.cos.delete_object(Bucket=self.bucket, Region=self.region, Key=entry.key)
        except Exception as exc:  # noqa: BLE001 - shown to the person
            self.show_error(f"Deleting {entry.name} failed: {describe_error(exc)}")
            button.disabled = False
            button.setAttribute("data-armed", "0")
            button.textContent = "Delete"
            button.classList.remove("is-armed")
            return
        li.remove()
        if self.listing:
            self.listing.entries = [e for e in self.listing.entries if e.key != entry.key]
            self._draw_listing()
