"""The widget's upload panel: the drop zone and file picker, and one row per file with its
progress bar, percent, speed and pause / resume / retry / cancel. Each row is drawn from an
:class:`~cos_web.widget.model.UploadItem`; the SDK is driven through its public upload and
task calls only (``upload_file`` or ``slice_upload_file`` with ``onProgress`` and
``TaskReady``, ``pause_task``, ``restart_task``, ``cancel_task``).
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any, Callable

from .dom import ICONS, Dom, maybe_await
from .model import CANCELED, DONE, ERROR, PAUSED, UploadItem, _field, describe_error, format_bytes

__all__ = ["UploadPanel"]

_ACTION_LABELS = {"pause": "Pause", "resume": "Resume", "retry": "Retry", "cancel": "Cancel", "remove": "Remove from list"}
_ACTION_GLYPHS = {"pause": "❚❚", "resume": "▶", "retry": "↻", "cancel": "✕", "remove": "✕"}


class UploadPanel:
    """Uploads picked or dropped files into the folder ``folder()`` names at that moment.

    ``on_uploaded(data)`` is called with each finished upload's result. ``upload_params`` are
    extra parameters for every upload (e.g. ``{"StorageClass": "STANDARD_IA"}``).
    """

    def __init__(
        self,
        cos: Any,
        dom: Dom,
        bucket: str,
        region: str,
        folder: Callable[[], str],
        *,
        upload_params: dict[str, Any] | None = None,
        on_uploaded: Callable[[Any], Any] | None = None,
    ) -> None:
        self.cos = cos
        self.dom = dom
        self.bucket = bucket
        self.region = region
        self.folder = folder
        self.upload_params = dict(upload_params or {})
        self.on_uploaded = on_uploaded
        self.items: dict[int, UploadItem] = {}
        self._rows: dict[int, dict[str, Any]] = {}
        self.area = None  # the element that takes drops (the whole widget), once drawn

    # ------------------------------------------------------------------ drawing

    def draw(self) -> tuple[Any, Any, Any]:
        """The drop zone, the uploads heading and the uploads list (in page order)."""
        h = self.dom.h
        self.input_el = h("input", {"type": "file", "multiple": True, "class": "cosw-input", "aria-label": "Choose files to upload",
                                    "onchange": self._on_input_change})  # fmt: skip
        self.drop_el = h(
            "label",
            {"class": "cosw-drop"},
            h("span", {"class": "cosw-drop-icon", "html": ICONS["upload"]}),
            h("span", {"class": "cosw-drop-text"},
              h("strong", {"text": "Drop files here"}), " or ", h("span", {"class": "cosw-link", "text": "choose files"})),
            self.input_el,
        )  # fmt: skip
        self.uploads_el = h("ul", {"class": "cosw-uploads", "aria-label": "Uploads", "onclick": self._on_uploads_click})
        self.uploads_head = h("div", {"class": "cosw-section-head", "hidden": True},
                              h("h3", {"text": "Uploads"}),
                              h("button", {"type": "button", "class": "cosw-btn cosw-btn-quiet", "text": "Clear finished",
                                           "onclick": lambda e: self.clear_finished()}))  # fmt: skip
        return self.drop_el, self.uploads_head, self.uploads_el

    def detach(self) -> None:
        """The rows are gone from the page (unmounted); uploads keep running as items."""
        self._rows.clear()
        self.area = None

    def accept_drops(self, area: Any) -> None:
        """Take drops anywhere in ``area`` (a file dropped beside the zone must not navigate away)."""
        self.area = area
        self.dom.listen(area, "dragover", self._on_drag_over)
        self.dom.listen(area, "dragleave", self._on_drag_leave)
        self.dom.listen(area, "drop", self._on_drop)

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
        if not related or not self.area.contains(related):  # left the widget, not just a child
            self.drop_el.classList.remove("is-over")

    def _on_drop(self, event: Any) -> None:
        event.preventDefault()
        self.drop_el.classList.remove("is-over")
        files = list(event.dataTransfer.files) if event.dataTransfer else []
        self.add_files(files)

    def add_files(self, files: list[Any]) -> list[UploadItem]:
        """Start uploading JS ``File`` objects into the current folder; returns their items."""
        items = []
        folder = self.folder()
        for file in files:
            item = UploadItem(name=file.name, key=folder + file.name, size=int(file.size))
            self.items[item.id] = item
            items.append(item)
            self._draw_row(item, new=True)
            self.dom.spawn(self._upload(item, file))
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
                await maybe_await(self.cos.cancel_task(item.task_id))
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
            if self.on_uploaded:
                self.on_uploaded(data)

    async def pause(self, item: UploadItem) -> None:
        if item.pause():
            self._update_row(item)
            await maybe_await(self.cos.pause_task(item.task_id))

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
                await maybe_await(self.cos.cancel_task(item.task_id))

    def remove(self, item: UploadItem) -> None:
        if item.active:
            return
        self.items.pop(item.id, None)
        row = self._rows.pop(item.id, None)
        if row:
            row["li"].remove()
        self._toggle_uploads_head()

    def clear_finished(self) -> None:
        for item in [i for i in self.items.values() if i.state in (DONE, CANCELED)]:
            self.remove(item)

    # ------------------------------------------------------------------ rows

    def _toggle_uploads_head(self) -> None:
        self.uploads_head.hidden = not self.items

    def _draw_row(self, item: UploadItem, new: bool = False) -> None:
        h = self.dom.h
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
            h("span", {"class": "cosw-icon cosw-file-icon", "html": ICONS["file"]}),
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

    def _action_button(self, item: UploadItem, action: str) -> Any:
        label = _ACTION_LABELS[action]
        return self.dom.h("button", {"type": "button", "class": f"cosw-btn cosw-icon-btn cosw-{action}", "title": label,
                                     "aria-label": f"{label} {item.name}", "data-action": action},
                          self.dom.h("span", {"aria-hidden": "true", "text": _ACTION_GLYPHS[action]}))  # fmt: skip

    def _on_uploads_click(self, event: Any) -> None:
        """One listener for every row's buttons (rows come and go; no handler per button)."""
        button = event.target.closest("button[data-action]")
        row = button and button.closest("li[data-item]")
        item = row and self.items.get(int(row.getAttribute("data-item")))
        if not item:
            return
        action = button.getAttribute("data-action")
        if action == "pause":
            self.dom.spawn(self.pause(item))
        elif action in ("resume", "retry"):
            self.dom.spawn(self.resume(item))
        elif action == "cancel":
            self.dom.spawn(self.cancel(item))
        elif action == "remove":
            self.remove(item)
