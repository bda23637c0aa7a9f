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

The plain-Python half (formatting, the upload state model, listing parsing, error
wording) is :mod:`cos_web.widget_model`, importable in CPython; this module touches
``js`` only inside :class:`UploadWidget`, and only when mounted.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any, Callable

from .widget_model import (
    CANCELED,
    DONE,
    ERROR,
    PAUSED,
    Entry,
    Listing,
    UploadItem,
    _field,
    breadcrumbs,
    describe_error,
    format_bytes,
    format_eta,
    format_percent,
    format_speed,
    normalize_prefix,
    parse_listing,
)

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

# --------------------------------------------------------------------------- the widget (DOM)

_ICONS = {
    "folder": '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M3 6.5A1.5 1.5 0 0 1 4.5 5h4.4l2 2h8.6A1.5 1.5 0 0 1 21 8.5v9A1.5 1.5 0 0 1 19.5 19h-15A1.5 1.5 0 0 1 3 17.5z"/></svg>',
    "file": '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M6 3h8l5 5v12.5A1.5 1.5 0 0 1 17.5 22h-11A1.5 1.5 0 0 1 5 20.5v-16A1.5 1.5 0 0 1 6.5 3zm7 1.5V9h4.5"/></svg>',
    "upload": '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M12 16V4m0 0-4.5 4.5M12 4l4.5 4.5M4 15v3.5A1.5 1.5 0 0 0 5.5 20h13a1.5 1.5 0 0 0 1.5-1.5V15"/></svg>',
    "refresh": '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M20 11a8 8 0 1 0-2.3 5.7M20 4v7h-7"/></svg>',
}


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
        self.folder = self.root
        self.title = title
        self.stylesheet = stylesheet
        self.upload_params = dict(upload_params or {})
        self.on_uploaded = on_uploaded
        self.on_error = on_error
        self.items: dict[int, UploadItem] = {}
        self.listing: Listing | None = None
        self._rows: dict[int, dict[str, Any]] = {}
        self._proxies: list[Any] = []
        self._tasks: set[asyncio.Future] = set()
        self._refresh_pending = False
        self._listing_generation = 0
        self.root_el = None

    # ------------------------------------------------------------------ DOM helpers

    @staticmethod
    def _js():
        import js  # browser only

        return js

    def _h(self, tag: str, attrs: dict[str, Any] | None = None, *children: Any):
        """Create an element; strings become text nodes (never HTML)."""
        doc = self._js().document
        el = doc.createElement(tag)
        for name, value in (attrs or {}).items():
            if value is None or value is False:
                continue
            if name == "class":
                el.className = value
            elif name == "text":
                el.textContent = str(value)
            elif name == "html":  # trusted constants only (icons)
                el.innerHTML = value
            elif name.startswith("on"):
                self._listen(el, name[2:], value)
            else:
                el.setAttribute(name, "" if value is True else str(value))
        for child in children:
            if child is None:
                continue
            el.appendChild(doc.createTextNode(child) if isinstance(child, str) else child)
        return el

    def _listen(self, el: Any, event: str, handler: Callable[[Any], Any]) -> None:
        from pyodide.ffi import create_proxy

        proxy = create_proxy(handler)
        self._proxies.append(proxy)
        el.addEventListener(event, proxy)

    def _spawn(self, coro: Any) -> None:
        """Run a coroutine from an event handler; its failure is shown, never lost."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)

        def done(fut: asyncio.Future) -> None:
            self._tasks.discard(fut)
            if not fut.cancelled() and fut.exception() is not None:
                self.show_error(describe_error(fut.exception()))

        task.add_done_callback(done)

    @staticmethod
    async def _maybe_await(value: Any) -> Any:
        if inspect.isawaitable(value):
            return await value
        return value

    def _install_stylesheet(self) -> None:
        doc = self._js().document
        if not self.stylesheet or doc.getElementById("cos-web-widget-css"):
            return
        from importlib.resources import files

        css = files("cos_web").joinpath("widget.css").read_text(encoding="utf-8")
        style = doc.createElement("style")
        style.id = "cos-web-widget-css"
        style.textContent = css
        doc.head.appendChild(style)

    # ------------------------------------------------------------------ mount

    def mount(self, target: Any) -> "UploadWidget":
        """Draw the widget into ``target`` (an element or a CSS selector); returns self."""
        js = self._js()
        host = js.document.querySelector(target) if isinstance(target, str) else target
        if host is None:
            raise ValueError(f"no element matches {target!r}")
        self.unmount()
        self._install_stylesheet()
        h = self._h

        self.input_el = h("input", {"type": "file", "multiple": True, "class": "cosw-input", "aria-label": "Choose files to upload",
                                    "onchange": self._on_input_change})  # fmt: skip
        self.drop_el = h(
            "label",
            {"class": "cosw-drop"},
            h("span", {"class": "cosw-drop-icon", "html": _ICONS["upload"]}),
            h("span", {"class": "cosw-drop-text"},
              h("strong", {"text": "Drop files here"}), " or ", h("span", {"class": "cosw-link", "text": "choose files"})),
            self.input_el,
        )  # fmt: skip
        self.target_el = h("span", {"class": "cosw-target"})
        self.error_text = h("span", {"class": "cosw-alert-text"})
        self.error_el = h("div", {"class": "cosw-alert", "role": "alert", "hidden": True}, self.error_text,
                          h("button", {"type": "button", "class": "cosw-alert-close", "aria-label": "Dismiss", "text": "×",
                                       "onclick": lambda e: self.clear_error()}))  # fmt: skip
        self.uploads_el = h("ul", {"class": "cosw-uploads", "aria-label": "Uploads", "onclick": self._on_uploads_click})
        self.uploads_head = h("div", {"class": "cosw-section-head", "hidden": True},
                              h("h3", {"text": "Uploads"}),
                              h("button", {"type": "button", "class": "cosw-btn cosw-btn-quiet", "text": "Clear finished",
                                           "onclick": lambda e: self._clear_finished()}))  # fmt: skip
        self.crumbs_el = h("nav", {"class": "cosw-crumbs", "aria-label": "Folder", "onclick": self._on_crumb_click})
        self.refresh_btn = h("button", {"type": "button", "class": "cosw-btn cosw-btn-quiet cosw-refresh", "title": "Refresh",
                                        "aria-label": "Refresh", "onclick": lambda e: self.refresh()},
                             h("span", {"class": "cosw-icon", "html": _ICONS["refresh"]}), h("span", {"text": "Refresh"}))  # fmt: skip
        self.list_el = h("ul", {"class": "cosw-list", "aria-label": "Files in the bucket", "onclick": self._on_list_click})
        self.list_status = h("p", {"class": "cosw-list-status", "text": "Loading…"})
        self.more_btn = h("button", {"type": "button", "class": "cosw-btn cosw-more", "hidden": True, "text": "Load more",
                                     "onclick": lambda e: self._spawn(self._load(more=True))})  # fmt: skip

        self.root_el = h(
            "section",
            # The whole widget takes drops (a file dropped beside the zone must not navigate away).
            {"class": "cosw", "data-bucket": self.bucket,
             "ondragover": self._on_drag_over, "ondragleave": self._on_drag_leave, "ondrop": self._on_drop},
            h("header", {"class": "cosw-head"},
              h("h2", {"class": "cosw-title", "text": self.title}),
              h("p", {"class": "cosw-sub"}, "to ", h("code", {"text": self.bucket}), f" · {self.region}")),
            self.error_el,
            self.drop_el,
            h("p", {"class": "cosw-hint"}, "Files go to ", self.target_el),
            self.uploads_head,
            self.uploads_el,
            h("div", {"class": "cosw-section-head cosw-browser-head"},
              h("h3", {"text": "In the bucket"}), self.refresh_btn),
            self.crumbs_el,
            h("div", {"class": "cosw-list-head", "aria-hidden": "true"},
              h("span", {"text": "Name"}), h("span", {"text": "Size"}), h("span", {"text": "Modified"}), h("span")),
            self.list_el,
            self.list_status,
            self.more_btn,
        )  # fmt: skip
        host.replaceChildren(self.root_el)
        self.host = host
        self._draw_crumbs()
        self.refresh()
        return self

    def unmount(self) -> None:
        """Remove the widget and release its event handlers."""
        if self.root_el is not None:
            self.root_el.remove()
            self.root_el = None
        for proxy in self._proxies:
            try:
                proxy.destroy()
            except Exception:  # noqa: BLE001 - already gone
                pass
        self._proxies.clear()
        self._rows.clear()

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

    # ------------------------------------------------------------------ picking files

    def _on_input_change(self, event: Any) -> None:
        files = list(self.input_el.files)
        self.input_el.value = ""
        self.add_files(files)

    def _on_drag_over(self, event: Any) -> None:
        event.preventDefault()
        self.drop_el.classList.add("is-over")

    def _on_drag_leave(self, event: Any) -> None:
        related = event.relatedTarget
        if not related or not self.root_el.contains(related):  # left the widget, not just a child
            self.drop_el.classList.remove("is-over")

    def _on_drop(self, event: Any) -> None:
        event.preventDefault()
        self.drop_el.classList.remove("is-over")
        files = list(event.dataTransfer.files) if event.dataTransfer else []
        self.add_files(files)

    def add_files(self, files: list[Any]) -> list[UploadItem]:
        """Start uploading JS ``File`` objects into the current folder; returns their items."""
        items = []
        for file in files:
            item = UploadItem(name=file.name, key=self.folder + file.name, size=int(file.size))
            self.items[item.id] = item
            items.append(item)
            self._draw_row(item, new=True)
            self._spawn(self._upload(item, file))
        return items

    # ------------------------------------------------------------------ uploads

    async def _upload(self, item: UploadItem, file: Any) -> None:
        def on_progress(info: Any) -> None:
            if item.progress(_field(info, "loaded"), _field(info, "total"), _field(info, "speed"), _field(info, "percent")):
                self._update_row(item)

        def on_task_ready(task_id: Any) -> None:
            item.task_id = str(task_id)
            self._update_row(item)

        params = dict(self.upload_params)
        params.update(Bucket=self.bucket, Region=self.region, Key=item.key, Body=file,
                      onProgress=on_progress, TaskReady=on_task_ready)  # fmt: skip
        try:
            upload = getattr(self.cos, "upload_file", None) or self.cos.slice_upload_file
            call = upload(**params)
            if item.task_id is None and getattr(call, "taskId", None):
                item.task_id = str(call.taskId)
                self._update_row(item)
            if item.state == CANCELED and item.task_id:  # canceled before the SDK named the task
                await self._maybe_await(self.cos.cancel_task(item.task_id))
        except Exception as exc:  # noqa: BLE001 - bad parameters: shown to the person
            if item.fail(describe_error(exc)):
                self._update_row(item)
            return
        await self._outcome(item, call)

    async def _outcome(self, item: UploadItem, call: Any) -> None:
        """Wait for an upload's result (it stays pending while the task is paused) and show it."""
        try:
            data = await call
        except asyncio.CancelledError:
            if item.state not in (CANCELED, PAUSED):
                item.fail("The upload was stopped.")
                self._update_row(item)
            return
        except Exception as exc:  # noqa: BLE001 - shown to the person
            if item.fail(describe_error(exc)):
                self._update_row(item)
            return
        if item.state != CANCELED and item.finish():
            self._update_row(item)
            self.schedule_refresh()
            if self.on_uploaded:
                self.on_uploaded(data)

    async def pause(self, item: UploadItem) -> None:
        if item.pause():
            self._update_row(item)
            await self._maybe_await(self.cos.pause_task(item.task_id))

    async def resume(self, item: UploadItem) -> None:
        """Resume a paused upload, or retry a failed one (from the parts already on the server)."""
        failed = item.state == ERROR
        if item.resume():
            self._update_row(item)
            result = self.cos.restart_task(item.task_id)
            if failed and inspect.isawaitable(result):
                await self._outcome(item, result)  # the first wait ended with the failure

    async def cancel(self, item: UploadItem) -> None:
        if item.cancel():
            self._update_row(item)
            if item.task_id:  # else _upload cancels it once the SDK names the task
                await self._maybe_await(self.cos.cancel_task(item.task_id))

    def remove(self, item: UploadItem) -> None:
        if item.active:
            return
        self.items.pop(item.id, None)
        row = self._rows.pop(item.id, None)
        if row:
            row["li"].remove()
        self._toggle_uploads_head()

    def _clear_finished(self) -> None:
        for item in [i for i in self.items.values() if i.state in (DONE, CANCELED)]:
            self.remove(item)

    # ------------------------------------------------------------------ upload rows

    def _toggle_uploads_head(self) -> None:
        self.uploads_head.hidden = not self.items

    def _draw_row(self, item: UploadItem, new: bool = False) -> None:
        h = self._h
        bar = h("div", {"class": "cosw-bar-fill"})
        row = {
            "bar": bar,
            "track": h("div", {"class": "cosw-bar", "role": "progressbar", "aria-label": f"Upload progress of {item.name}",
                               "aria-valuemin": "0", "aria-valuemax": "100"}, bar),  # fmt: skip
            "percent": h("span", {"class": "cosw-percent"}),
            "status": h("span", {"class": "cosw-status"}),
            "actions": h("span", {"class": "cosw-actions"}),
            "acts": None,
        }
        row["li"] = h(
            "li",
            {"class": "cosw-upload", "data-item": item.id, "data-name": item.name, "data-key": item.key},
            h("span", {"class": "cosw-icon cosw-file-icon", "html": _ICONS["file"]}),
            h("div", {"class": "cosw-upload-main"},
              h("div", {"class": "cosw-upload-line"},
                h("span", {"class": "cosw-name", "text": item.name, "title": item.key}),
                h("span", {"class": "cosw-size", "text": format_bytes(item.size)}),
                row["percent"]),
              row["track"],
              row["status"]),
            row["actions"],
        )  # fmt: skip
        self._rows[item.id] = row
        self.uploads_el.prepend(row["li"]) if new else self.uploads_el.appendChild(row["li"])
        self._toggle_uploads_head()
        self._update_row(item)

    def _update_row(self, item: UploadItem) -> None:
        row = self._rows.get(item.id)
        if row is None:
            return
        pct = int(max(0.0, min(1.0, item.percent)) * 100)
        row["li"].setAttribute("data-state", item.state)
        row["bar"].style.width = f"{pct}%"
        row["track"].setAttribute("aria-valuenow", str(pct))
        row["percent"].textContent = f"{pct}%"
        row["status"].textContent = item.status_text()
        acts = item.actions()
        if acts != row["acts"]:
            row["acts"] = acts
            row["actions"].replaceChildren(*[self._action_button(item, a) for a in acts])

    _ACTION_LABELS = {"pause": "Pause", "resume": "Resume", "retry": "Retry", "cancel": "Cancel", "remove": "Remove from list"}
    _ACTION_GLYPHS = {"pause": "❚❚", "resume": "▶", "retry": "↻", "cancel": "✕", "remove": "✕"}

    def _action_button(self, item: UploadItem, action: str):
        label = self._ACTION_LABELS[action]
        return self._h("button", {"type": "button", "class": f"cosw-btn cosw-icon-btn cosw-{action}", "title": label,
                                  "aria-label": f"{label} {item.name}", "data-action": action},
                       self._h("span", {"aria-hidden": "true", "text": self._ACTION_GLYPHS[action]}))  # fmt: skip

    def _on_uploads_click(self, event: Any) -> None:
        """One listener for every row's buttons (rows come and go; no handler per button)."""
        button = event.target.closest("button[data-action]")
        row = button and button.closest("li[data-item]")
        item = row and self.items.get(int(row.getAttribute("data-item")))
        if not item:
            return
        action = button.getAttribute("data-action")
        if action == "pause":
            self._spawn(self.pause(item))
        elif action in ("resume", "retry"):
            self._spawn(self.resume(item))
        elif action == "cancel":
            self._spawn(self.cancel(item))
        elif action == "remove":
            self.remove(item)

    # ------------------------------------------------------------------ bucket browser

    def refresh(self) -> None:
        """Reload the current folder's listing."""
        self._spawn(self._load())

    def schedule_refresh(self, delay: float = 0.3) -> None:
        """Refresh soon, once for several finishing uploads."""
        if self._refresh_pending:
            return
        self._refresh_pending = True

        async def later() -> None:
            await asyncio.sleep(delay)
            self._refresh_pending = False
            await self._load()

        self._spawn(later())

    def open_folder(self, folder: str) -> None:
        if not folder.startswith(self.root):
            folder = self.root
        self.folder = folder
        self._draw_crumbs()
        self.list_el.replaceChildren()
        self.refresh()

    def _on_crumb_click(self, event: Any) -> None:
        button = event.target.closest("button[data-folder]")
        if button:
            self.open_folder(button.getAttribute("data-folder"))

    def _draw_crumbs(self) -> None:
        h = self._h
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
        self.target_el.textContent = f"{self.bucket}/{self.folder}"

    async def _load(self, more: bool = False) -> None:
        if self.root_el is None:
            return
        self._listing_generation += 1
        generation = self._listing_generation
        folder = self.folder
        params: dict[str, Any] = {"Bucket": self.bucket, "Region": self.region, "Prefix": folder, "Delimiter": "/", "MaxKeys": 1000}
        if more and self.listing and self.listing.next_marker:
            params["Marker"] = self.listing.next_marker
        self.root_el.classList.add("is-loading")
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
            if generation == self._listing_generation and self.root_el is not None:
                self.root_el.classList.remove("is-loading")
        if generation != self._listing_generation or folder != self.folder:
            return  # a newer listing is on its way
        listing = parse_listing(data, folder)
        if more and self.listing:
            listing.entries = self.listing.entries + listing.entries
        self.listing = listing
        self._draw_listing()

    def _draw_listing(self) -> None:
        listing = self.listing
        rows = [self._entry_row(entry) for entry in listing.entries]
        if self.folder != self.root:
            parent = self.folder[: self.folder[:-1].rfind("/") + 1]
            rows.insert(0, self._h("li", {"class": "cosw-entry cosw-up", "data-key": parent},
                                   self._h("button", {"type": "button", "class": "cosw-entry-name", "data-action": "open"},
                                           self._h("span", {"class": "cosw-icon", "html": _ICONS["folder"]}),
                                           self._h("span", {"class": "cosw-name", "text": ".. (up one folder)"}))))  # fmt: skip
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
            self._spawn(self.download(entry, button))
        elif action == "delete":
            self._spawn(self.delete(entry, button, li))

    def _format_date(self, iso: str) -> str:
        """LastModified in the person's time zone, short and sortable: 2026-11-26 13:03."""
        if not iso:
            return ""
        date = self._js().Date.new(iso)
        if str(date.getTime()) == "nan":
            return iso
        y, mo, d, h, mi = (int(v) for v in (date.getFullYear(), date.getMonth() + 1, date.getDate(), date.getHours(), date.getMinutes()))
        return f"{y:04d}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}"

    def _entry_row(self, entry: Entry):
        h = self._h
        if entry.is_folder:
            return h("li", {"class": "cosw-entry cosw-folder", "data-key": entry.key},
                     h("button", {"type": "button", "class": "cosw-entry-name", "title": entry.key, "data-action": "open"},
                       h("span", {"class": "cosw-icon", "html": _ICONS["folder"]}), h("span", {"class": "cosw-name", "text": entry.name})),
                     h("span", {"class": "cosw-size", "text": "Folder"}), h("span", {"class": "cosw-date"}), h("span"))  # fmt: skip
        return h("li", {"class": "cosw-entry cosw-object", "data-key": entry.key},
                 h("span", {"class": "cosw-entry-name"},
                   h("span", {"class": "cosw-icon", "html": _ICONS["file"]}),
                   h("span", {"class": "cosw-name", "text": entry.name, "title": entry.key})),
                 h("span", {"class": "cosw-size", "text": format_bytes(entry.size)}),
                 h("span", {"class": "cosw-date", "text": self._format_date(entry.last_modified), "title": entry.last_modified}),
                 h("span", {"class": "cosw-actions"},
                   h("button", {"type": "button", "class": "cosw-btn cosw-download", "data-action": "download",
                                "aria-label": f"Download {entry.name}", "text": "Download"}),
                   h("button", {"type": "button", "class": "cosw-btn cosw-delete", "data-action": "delete",
                                "aria-label": f"Delete {entry.name}", "text": "Delete"})))  # fmt: skip

    async def download(self, entry: Entry, button: Any = None) -> None:
        """Check the object is there (errors in words), then let the browser stream it to disk from a
        signed URL that asks COS for ``Content-Disposition: attachment`` (no copy in memory)."""
        js = self._js()
        name = entry.key.rsplit("/", 1)[-1]
        if button is not None:
            button.disabled = True
            button.textContent = "Preparing…"
        try:
            await self.cos.head_object(Bucket=self.bucket, Region=self.region, Key=entry.key)
            disposition = "attachment; filename*=UTF-8''" + js.encodeURIComponent(name)
            data = await self.cos.get_object_url(Bucket=self.bucket, Region=self.region, Key=entry.key, Sign=True,
                                                 Query={"response-content-disposition": disposition})  # fmt: skip
            link = js.document.createElement("a")
            link.href = _field(data, "Url")
            link.download = name
            link.rel = "noopener"
            link.style.display = "none"
            js.document.body.appendChild(link)
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
