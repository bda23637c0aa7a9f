"""Issue 17's bench rows: uploads with default options on loopback and on emulated links,
uploads from a Web Worker, and the main thread during a 1 GB upload.

- Rows 9: ``sliceUploadFile`` with no ChunkSize / ChunkParallelLimit, cos_web vs
  cos-js-sdk-v5 (its defaults: 1 MB parts, 3 in flight) vs raw fetch at the best of
  :data:`RAW_GRID` (part size, parts in flight), on loopback and on links emulated by
  Chromium (``Network.emulateNetworkConditions`` over CDP: added latency per request,
  an upload cap shared by the page's requests). The slow links use smaller files so a
  run stays short (:data:`PROFILES`).
- Row 10: the same default upload from a dedicated Web Worker (tests/browser/worker.html)
  vs from the page, loopback.
- Row 11: the page's main thread during a 1 GB upload (both SDKs at row 1's settings):
  the share of frames a 60 Hz display would have drawn that were not, and long tasks.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from .session import MB

if TYPE_CHECKING:
    from .run import Bench

__all__ = ["PROFILES", "RAW_GRID", "Profile", "link_rows", "worker_row", "main_thread_row"]


@dataclass(frozen=True)
class Profile:
    name: str
    latency_ms: float  # added to each request (preflights too) by Chromium
    up_mb_s: float | None  # upload cap, MB/s (None: none)
    size_mb: int  # file uploaded on this link
    quick_size_mb: int


PROFILES = (
    Profile("loopback", 0, None, 256, 8),
    Profile("40 ms RTT", 40, None, 64, 8),
    Profile("40 ms RTT, 25 MB/s up", 40, 25, 64, 4),
    Profile("150 ms RTT, 5 MB/s up", 150, 5, 16, 2),
)
RAW_GRID = ((8 * MB, 4), (16 * MB, 6), (4 * MB, 6))  # raw fetch settings tried; the best one is the baseline
QUICK_RAW_GRID = ((1 * MB, 4), (2 * MB, 6))


def _median(values: list[float]) -> float:
    return statistics.median(values)


def emulate(bench: "Bench", profile: Profile) -> Any:
    """Apply ``profile`` to the bench page over CDP (None on loopback); detach to end it."""
    if not profile.latency_ms and profile.up_mb_s is None:
        return None
    page = bench.s.harness.page
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": profile.latency_ms, "downloadThroughput": -1,
        "uploadThroughput": profile.up_mb_s * MB if profile.up_mb_s else -1,
    })  # fmt: skip
    return cdp


def unemulate(cdp: Any) -> None:
    if cdp is None:
        return
    try:
        cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    finally:
        cdp.detach()


def _contenders(bench: "Bench", name: str, grid: tuple[tuple[int, int], ...]) -> dict[str, Callable[[str], dict]]:
    s = bench.s
    out: dict[str, Callable[[str], dict]] = {
        "cos_web": lambda key: s.py("await B.default_upload(N, K)", N=name, K=key),
        "cos-js-sdk-v5": lambda key: s.js("([n, k]) => bench.sdkDefaultUpload(n, k)", [name, key]),
    }
    for chunk, parallel in grid:
        out[f"raw fetch {chunk // MB} MB x{parallel}"] = (
            lambda key, c=chunk, p=parallel: s.js("([n, k, c, p]) => bench.rawSliceUpload(n, k, c, p)", [name, key, c, p])
        )
    return out


def link_rows(bench: "Bench", target_raw: str, target_js: str) -> list[Any]:
    """Rows 9: default-option uploads per link profile (Figures)."""
    from .run import Figure
    from .session import random_file

    c = bench.cfg
    grid = QUICK_RAW_GRID if c.quick else RAW_GRID
    figures = []
    results: dict[str, Any] = {}
    for profile in PROFILES:
        size = (profile.quick_size_mb if c.quick else profile.size_mb) * MB
        name = bench.s.add_file(random_file(size))
        contenders = _contenders(bench, name, grid)
        rates: dict[str, list[float]] = {k: [] for k in contenders}
        extra: dict[str, list] = {"part_mb": [], "most_in_flight": [], "limits": []}
        cdp = emulate(bench, profile)
        try:
            for rep in range(c.link_reps):
                for who in _rotate(list(contenders), rep):
                    key = bench.key("default", profile.name.replace(" ", "-").replace(",", ""), who.replace(" ", "-"), rep)
                    out = contenders[who](key)
                    assert out["size"] == size, out
                    rates[who].append(bench.mbps(size, out["ms"]))
                    if who == "cos_web":
                        for k in extra:
                            extra[k].append(out.get(k))
                    bench.log(f"  {profile.name:22s} {size // MB} MB rep {rep} {who:22s} {out['ms'] / 1000:6.2f} s {rates[who][-1]:7.1f} MB/s"
                              + (f"  (parts {out['part_mb']:.0f} MB, most in flight {out['most_in_flight']}, limits {out['limits']})" if who == "cos_web" else ""))  # fmt: skip
                    bench.delete(key)
        finally:
            unemulate(cdp)
        medians = {k: _median(v) for k, v in rates.items()}
        raw_best = max((k for k in medians if k.startswith("raw")), key=lambda k: medians[k])
        web, js, raw = medians["cos_web"], medians["cos-js-sdk-v5"], medians[raw_best]
        results[profile.name] = {"MBps": rates, "cos_web": extra, "raw_best": raw_best, "size": size}
        link = profile.name if profile.name == "loopback" else f"emulated {profile.name}"
        note = (f"{size // MB} MB file-backed File; cos-js-sdk-v5 defaults {js:.1f} MB/s, cos_web/JS {web / js:.2f}×; "
                f"best raw fetch: {raw_best.removeprefix('raw fetch ')}; cos_web chose {extra['part_mb'][0]:.0f} MB parts, "
                f"at most {max(x for x in extra['most_in_flight'] if x is not None)} in flight")  # fmt: skip
        figures.append(Figure(9, f"sliceUploadFile with default options, {link}, vs the best raw fetch", web, raw, "MB/s",
                              web / raw, target_raw, web / raw >= 0.9, note=note, samples=rates))  # fmt: skip
        if profile.name == "loopback":
            figures.append(Figure(9, f"same, loopback, vs cos-js-sdk-v5 with its default options", web, js, "MB/s",
                                  web / js, target_js, web / js >= 2.5, samples=rates))  # fmt: skip
    bench.raw["default_uploads"] = results
    return figures


def worker_row(bench: "Bench") -> Any:
    """Row 10: a default-option upload from a Web Worker vs from the page (loopback)."""
    from tests.browser.conftest import WorkerHarness

    from .run import Figure
    from .session import BENCH, random_file

    c = bench.cfg
    size = (PROFILES[0].quick_size_mb if c.quick else PROFILES[0].size_mb) * MB
    path = random_file(size)
    s = bench.s
    context = s.browser.new_context()
    s._extra.append(context)
    worker = WorkerHarness(context.new_page(), s.base_url, s.wheel_url, "/tests/browser/worker.html")
    worker.run(
        "import sys, types\nm = types.ModuleType('cos_web_bench')\n"
        "exec(compile(SRC, '/bench/page_bench.py', 'exec'), m.__dict__)\nsys.modules['cos_web_bench'] = m\nm.init(CFG)\n",
        SRC=(BENCH / "page_bench.py").read_text(), CFG=s.page_config,
    )  # fmt: skip
    wname = worker.add_file(path)
    pname = s.add_file(path)
    runs = {
        "worker": lambda key: worker.run("import cos_web_bench as B\nawait B.default_upload(N, K)", timeout=600, N=wname, K=key),
        "page": lambda key: s.py("await B.default_upload(N, K)", N=pname, K=key),
    }
    rates: dict[str, list[float]] = {k: [] for k in runs}
    try:
        for rep in range(c.link_reps):
            for who in _rotate(list(runs), rep):
                key = bench.key("worker", who, rep)
                out = runs[who](key)
                assert out["size"] == size, out
                rates[who].append(bench.mbps(size, out["ms"]))
                bench.log(f"  default upload {size // MB} MB from the {who:6s} rep {rep}: {rates[who][-1]:7.1f} MB/s")
                bench.delete(key)
    finally:
        s.close_extra()
    w, p = _median(rates["worker"]), _median(rates["page"])
    bench.raw["worker_vs_page_MBps"] = rates
    return Figure(10, f"sliceUploadFile {size // MB} MB with default options from a Web Worker vs from the page (loopback)",
                  w, p, "MB/s", w / p, "— (context)", None, samples=rates)  # fmt: skip


def main_thread_row(bench: "Bench", name: str, size: int) -> Any:
    """Row 11: the main thread during a ``size`` upload: frames not drawn, cos_web vs cos-js-sdk-v5."""
    from .run import Figure

    c, s = bench.cfg, bench.s
    runs = {
        "cos_web": lambda key: s.py("await B.slice_upload(N, K, C, P)", N=name, K=key, C=c.chunk, P=c.parallel),
        "cos-js-sdk-v5": lambda key: s.js("([n, k, c, p]) => bench.sdkSliceUpload(n, k, c, p)", [name, key, c.chunk, c.parallel]),
        "cos_web defaults": lambda key: s.py("await B.default_upload(N, K)", N=name, K=key),
    }
    out: dict[str, dict] = {}
    for who, fn in runs.items():
        key = bench.key("mainthread", who.replace(" ", "-"))
        s.js("() => bench.startMainThreadMonitor()")
        res = fn(key)
        mon = s.js("() => bench.stopMainThreadMonitor()")
        expected = mon["frames"] + mon["dropped"]
        mon["dropped_pct"] = 100.0 * mon["dropped"] / expected if expected else 0.0
        mon["long_pct"] = 100.0 * mon["longMs"] / mon["ms"] if mon["ms"] else 0.0
        mon["MBps"] = bench.mbps(size, res["ms"])
        out[who] = mon
        bench.log(f"  main thread, {size // MB} MB upload, {who:16s}: {mon['MBps']:6.1f} MB/s, frames dropped "
                  f"{mon['dropped']}/{expected} ({mon['dropped_pct']:.1f} %), long tasks {mon['longTasks']} = {mon['long_pct']:.1f} % of the time")  # fmt: skip
        bench.delete(key)
    bench.raw["main_thread"] = out
    web, js = out["cos_web"]["dropped_pct"], out["cos-js-sdk-v5"]["dropped_pct"]
    d = out["cos_web defaults"]
    note = (f"long tasks {out['cos_web']['long_pct']:.1f} % vs {out['cos-js-sdk-v5']['long_pct']:.1f} % of the upload; "
            f"cos_web with default options: {d['dropped_pct']:.1f} % frames dropped, long tasks {d['long_pct']:.1f} %, {d['MBps']:.0f} MB/s")  # fmt: skip
    ratio = web / js if js else (1.0 if not web else float("inf"))
    return Figure(11, f"main thread during a {size // MB} MB sliceUploadFile (ChunkSize {c.chunk // MB} MB, ChunkParallelLimit {c.parallel}): "
                      "% of 60 Hz frames not drawn, vs cos-js-sdk-v5", web, js, "%", ratio,
                  "— (context)", None, note=note)  # fmt: skip


def _rotate(items: list, rep: int) -> list:
    k = rep % len(items)
    return items[k:] + items[:k]
