"""``python -m bench``: every figure of issue 9, side by side in one Chromium session
against one local COS server, written to BENCHMARKS.md and bench/results.json.

Each figure is a ratio of two contenders measured in the same run; each contender's
value is the median of ``reps`` repetitions, the contenders interleaved (their order
rotated every repetition) so that drift of a shared, busy machine hits both alike.
Absolute times are kept as context only.

    python -m bench                 # full run (< 10 min on 2 cores)
    python -m bench --quick         # tiny sizes, one repetition: proves the code paths run
    python -m bench --profile       # also: Chromium CPU profile + py-spy on the server (bench/profile.md)
    python -m bench --only 3        # only row 3 (small calls), printed; BENCHMARKS.md left alone
    python -m bench --only 1        # only rows 1 and 2 (sliceUploadFile at fixed settings), printed
    python -m bench --only 1 --profile  # only row 1's CPU profile (per process, per renderer thread, main thread by task): bench/profile-row1.md
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from . import links, load
from .session import MB, ROOT, Session, random_file

BENCH = Path(__file__).resolve().parent


@dataclass
class Config:
    quick: bool = False
    big: int = 256 * MB  # rows 1, 2, 4
    huge: int = 1024 * MB  # rows 5, 7
    chunk: int = 8 * MB
    parallel: int = 4
    ops: int = 500
    inflight: int = 8
    reps: int = 5  # 256 MB uploads / downloads (the noisiest figures on a shared machine)
    small_reps: int = 3
    curl_reps: int = 3
    import_reps: int = 3
    load_size: load.LoadSize = load.FULL  # row 8: run once (a load, not a race: no repetitions)
    link_reps: int = 3  # rows 9, 10 (bench/links.py): default-option uploads per link, worker vs page

    @classmethod
    def make(cls, quick: bool) -> "Config":
        if not quick:
            return cls()
        return cls(quick=True, big=8 * MB, huge=16 * MB, chunk=1 * MB, parallel=4, ops=20, reps=1,
                   small_reps=1, curl_reps=1, import_reps=1, load_size=load.QUICK, link_reps=1)  # fmt: skip


@dataclass
class Figure:
    """One row of the table."""

    row: int
    figure: str
    measured: float | None  # cos_web's value (for row 7: the server's curl ingest)
    baseline: float | None
    unit: str
    ratio: float | None
    target: str
    met: bool | None
    note: str = ""
    samples: dict[str, list[float]] = field(default_factory=dict)


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def rotate(items: list, rep: int) -> list:
    k = rep % len(items)
    return items[k:] + items[:k]


class Bench:
    def __init__(self, cfg: Config, session: Session, log: Callable[[str], None]) -> None:
        self.cfg = cfg
        self.s = session
        self.log = log
        self.figures: list[Figure] = []
        self.raw: dict[str, Any] = {}  # every sample, for results.json
        self.run_id = uuid.uuid4().hex[:6]

    # ------------------------------------------------------------------ helpers

    def key(self, *parts: Any) -> str:
        return "bench/" + self.run_id + "/" + "/".join(str(p) for p in parts)

    def delete(self, key: str) -> None:
        self.s.js("(k) => bench.raw('DELETE', k).then(() => true)", key)

    def mbps(self, size: int, ms: float) -> float:
        return size / MB / (ms / 1000.0)

    # ------------------------------------------------------------------ rows 1, 2: sliceUploadFile

    def slice_uploads(self, name: str, size: int) -> dict[str, list[float]]:
        c = self.cfg
        contenders: dict[str, Callable[[str], dict]] = {
            "cos_web": lambda key: self.s.py("await B.slice_upload(N, K, C, P)", N=name, K=key, C=c.chunk, P=c.parallel),
            "cos-js-sdk-v5": lambda key: self.s.js("([n, k, c, p]) => bench.sdkSliceUpload(n, k, c, p)",
                                                   [name, key, c.chunk, c.parallel]),
            "raw fetch": lambda key: self.s.js("([n, k, c, p]) => bench.rawSliceUpload(n, k, c, p)",
                                               [name, key, c.chunk, c.parallel]),
        }  # fmt: skip
        rates: dict[str, list[float]] = {k: [] for k in contenders}
        etags: dict[str, set] = {k: set() for k in contenders}
        for rep in range(c.reps):
            for who in rotate(list(contenders), rep):
                key = self.key("slice", who.replace(" ", "-"), rep)
                out = contenders[who](key)
                assert out["size"] == size, out
                rates[who].append(self.mbps(size, out["ms"]))
                etags[who].add(str(out.get("etag", "")).replace("&quot;", '"'))
                phases = ""
                if "phases_ms" in out:  # raw fetch: where the time went (init, parts, complete)
                    self.raw.setdefault("raw_slice_phases_ms", []).append(out["phases_ms"])
                    phases = "  (" + ", ".join(f"{k} {v / 1000:.2f} s" for k, v in out["phases_ms"].items()) + ")"
                self.log(f"  slice {size // MB} MB  rep {rep}  {who:14s} {out['ms'] / 1000:6.2f} s  {rates[who][-1]:7.1f} MB/s{phases}")
                self.delete(key)
        self.raw["slice_upload_MBps"] = rates
        self.raw["slice_upload_etags"] = {k: sorted(v) for k, v in etags.items()}
        return rates

    # ------------------------------------------------------------------ row 3: small operations

    def small_ops(self) -> dict[str, dict[str, list[float]]]:
        c = self.cfg
        contenders = {  # (n ops, k in flight, key prefix)
            "cos_web": lambda n, k, p: self.s.py("await B.small_ops(N, K, P)", N=n, K=k, P=p),
            "cos-js-sdk-v5": lambda n, k, p: self.s.js("([n, k, p]) => bench.sdkSmallOps(n, k, p)", [n, k, p]),
            "raw fetch": lambda n, k, p: self.s.js("([n, k, p]) => bench.rawSmallOps(n, k, p)", [n, k, p]),
        }
        results: dict[str, dict[str, list[float]]] = {}
        for rep in range(c.small_reps):
            for inflight in (1, c.inflight):
                for who in rotate(list(contenders), rep):
                    prefix = self.key("small", who.replace(" ", "-"), rep, inflight) + "/"
                    out = contenders[who](c.ops, inflight, prefix)
                    for op in ("put", "head"):
                        ops_s = c.ops / (out[f"{op}_ms"] / 1000.0)
                        results.setdefault(f"{op}/{inflight}", {}).setdefault(who, []).append(ops_s)
                    self.log(f"  small ops  rep {rep}  x{inflight}  {who:14s} put {c.ops / out['put_ms'] * 1000:7.1f}/s"
                             f"  head {c.ops / out['head_ms'] * 1000:7.1f}/s")  # fmt: skip
        self.raw["small_ops_per_s"] = results
        return results

    # ------------------------------------------------------------------ row 4: getObject as Blob

    def get_blob(self, key: str, size: int) -> dict[str, list[float]]:
        contenders = {
            "cos_web": lambda: self.s.py("await B.get_blob(K)", K=key),
            "raw fetch": lambda: self.s.js("(k) => bench.rawGetBlob(k)", key),
            "cos-js-sdk-v5": lambda: self.s.js("(k) => bench.sdkGetBlob(k)", key),
        }
        rates: dict[str, list[float]] = {k: [] for k in contenders}
        for rep in range(self.cfg.reps):
            for who in rotate(list(contenders), rep):
                out = contenders[who]()
                self.s.collect_garbage()  # else 256 MB Blobs pile up in the blob store until V8 collects
                assert out["size"] == size, out
                rates[who].append(self.mbps(size, out["ms"]))
                self.log(f"  getObject blob {size // MB} MB  rep {rep}  {who:14s} {out['ms'] / 1000:6.2f} s  {rates[who][-1]:7.1f} MB/s")
        self.raw["get_blob_MBps"] = rates
        return rates

    # ------------------------------------------------------------------ row 7: server ingest with curl

    def curl_put(self, path: Path, key: str) -> float:
        """PUT ``path`` with curl to a presigned URL; MB/s."""
        from cos_web import COS

        cs = self.s.cos
        cos = COS(SecretId=cs.secret_id, SecretKey=cs.secret_key, Domain=cs.domain)
        url = str(cos.get_object_url(Bucket=cs.bucket, Region=cs.region, Key=key, Method="PUT"))
        assert "//" + cs.bucket + ".cos." in url and ".localhost:" in url, url  # loopback only
        out = subprocess.run(
            ["curl", "-sS", "--fail-with-body", "-o", "/dev/null", "-H", "Expect:", "-H", "Content-Type: application/octet-stream",
             "-w", "%{http_code} %{size_upload} %{time_total}", "-T", str(path), url],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if out.returncode != 0:
            raise RuntimeError(f"curl failed ({out.returncode}): {out.stderr} {out.stdout}")
        code, uploaded, seconds = out.stdout.split()
        assert code == "200" and int(float(uploaded)) == path.stat().st_size, out.stdout
        return path.stat().st_size / MB / float(seconds)

    def curl_ingest(self, path: Path) -> list[float]:
        rates = []
        for rep in range(self.cfg.curl_reps):
            key = self.key("curl", rep)
            rates.append(self.curl_put(path, key))
            self.log(f"  curl PUT {path.stat().st_size // MB} MB  rep {rep}  {rates[-1]:7.1f} MB/s")
            self.delete(key)
        self.raw["curl_ingest_MBps"] = rates
        return rates

    # ------------------------------------------------------------------ rows 5, 6: fresh interpreters

    def fresh_import(self) -> float:
        """Reload the page (a fresh interpreter) and time ``import cos_web`` there, in ms."""
        self.s.reload()
        ms = self.s.harness.run(
            "import sys, time\n"
            "assert 'cos_web' not in sys.modules\n"
            "t0 = time.perf_counter()\n"
            "import cos_web\n"
            "(time.perf_counter() - t0) * 1000\n"
        )
        self.s.prepare_page()
        return ms

    def heap_growth(self, name: str, size: int) -> dict[str, Any]:
        """wasm heap growth during one cos_web sliceUploadFile of ``name`` (run in a fresh interpreter)."""
        c = self.cfg
        self.s.js("() => bench.startHeapSampler(25)")
        key = self.key("heap", size // MB)
        out = self.s.py("await B.slice_upload(N, K, C, P)", N=name, K=key, C=c.chunk, P=c.parallel)
        heap = self.s.js("() => bench.stopHeapSampler()")
        self.delete(key)
        heap["growth"] = heap["max"] - heap["start"]
        heap["ms"] = out["ms"]
        self.log(f"  heap during {size // MB} MB slice upload: {heap['start'] / MB:.1f} -> max {heap['max'] / MB:.1f} MB "
                 f"(+{heap['growth'] / MB:.1f} MB), {self.mbps(size, out['ms']):.1f} MB/s")  # fmt: skip
        self.raw["heap"] = heap
        return heap

    # ------------------------------------------------------------------ row 8: load with faults

    def load_with_faults(self) -> dict[str, Any]:
        """bench/load.py's load, on a COS server and browser contexts of its own (its data
        folder is counted afterwards, and its injected faults must not touch rows 1–7)."""
        from tests.conftest import CosServer

        tmp = Path(tempfile.mkdtemp(prefix="cos-web-bench-load-"))
        server = CosServer(data_dir=tmp / "cos-data").start()
        try:
            figures = load.run_load(self.s.new_harness, server, tmp, self.cfg.load_size)
        finally:
            self.s.close_extra()
            server.stop()
            shutil.rmtree(tmp, ignore_errors=True)
        self.log("  " + load.summary(figures))
        self.raw["load"] = {k: v for k, v in figures.items() if k != "etags"}
        return figures

    # ------------------------------------------------------------------ the whole run

    def small_rows(self, target: str) -> None:
        """Row 3: putObject and headObject, sequential and ``inflight`` at a time, vs the JS SDK."""
        c = self.cfg
        self.log(f"row 3: {c.ops} putObject (1 KB) + headObject, sequential and {c.inflight} in flight")
        small = self.small_ops()
        for inflight, label in ((1, "sequential"), (c.inflight, f"{c.inflight} in flight")):
            for op, what in (("put", "putObject 1 KB"), ("head", "headObject")):
                series = small[f"{op}/{inflight}"]
                web, js, raw = (median(series[k]) for k in ("cos_web", "cos-js-sdk-v5", "raw fetch"))
                ratio = web / js
                self.figures.append(Figure(3, f"{c.ops} × {what}, {label}, vs cos-js-sdk-v5", web, js, "ops/s", ratio,
                                           target, ratio >= 0.8, note=f"raw fetch {raw:.0f} ops/s", samples=series))  # fmt: skip

    def slice_rows(self, target1: str, target2: str, big_name: str) -> dict[str, list[float]]:
        """Rows 1 and 2: sliceUploadFile at fixed settings vs the JS SDK and vs raw fetch."""
        c = self.cfg
        self.log(f"rows 1, 2: sliceUploadFile {c.big // MB} MB, ChunkSize {c.chunk // MB} MB, ChunkParallelLimit {c.parallel}")
        slices = self.slice_uploads(big_name, c.big)
        web, js, raw = (median(slices[k]) for k in ("cos_web", "cos-js-sdk-v5", "raw fetch"))
        ratio1 = web / js
        self.figures.append(Figure(1, f"sliceUploadFile {c.big // MB} MB (ChunkSize {c.chunk // MB} MB, ChunkParallelLimit {c.parallel}) vs cos-js-sdk-v5",
                                   web, js, "MB/s", ratio1, target1, ratio1 >= 1.0, samples=slices))  # fmt: skip
        ratio2 = web / raw
        self.figures.append(Figure(2, "same upload vs raw fetch PUTs (same parts, same concurrency)",
                                   web, raw, "MB/s", ratio2, target2, ratio2 >= 0.9))  # fmt: skip
        return slices

    def run(self, only: set[int] | None = None) -> list[Figure]:
        if only == {3}:
            self.small_rows("≥ 0.8×")
            return self.figures
        if only == {1}:
            self.slice_rows("≥ 1.0×", "≥ 0.9×", self.s.add_file(random_file(self.cfg.big)))
            return self.figures
        c = self.cfg
        big = random_file(c.big)
        huge = random_file(c.huge)
        big_name = self.s.add_file(big)
        huge_name = self.s.add_file(huge)
        target = {
            1: "≥ 1.0×", 2: "≥ 0.9×", 3: "≥ 0.8×", 4: "≥ 0.9×", 5: "< 1.0× (≤ CPL×ChunkSize + 32 MB)",
            6: "< 1.0× (100 ms; 100 KB)", 7: "≥ 2.0×",
            8: f"1.00× (all exact), no temp file or orphan blob left, RSS growth ≤ {load.RSS_BOUND_MB} MB",
            9: "≥ 0.9×", 9.5: "≥ 2.5×",
        }  # fmt: skip

        self.log(f"row 7: local COS server ingest, curl PUT of {c.huge // MB} MB over loopback")
        curl = self.curl_ingest(huge)

        slices = self.slice_rows(target[1], target[2], big_name)

        self.small_rows(target[3])

        self.log(f"row 4: getObject {c.big // MB} MB as Blob")
        get_key = self.key("get", c.big // MB)
        self.curl_put(big, get_key)
        gets = self.get_blob(get_key, c.big)
        self.delete(get_key)
        web, raw, js = (median(gets[k]) for k in ("cos_web", "raw fetch", "cos-js-sdk-v5"))
        ratio4 = web / raw
        self.figures.append(Figure(4, f"getObject {c.big // MB} MB as Blob vs raw fetch", web, raw, "MB/s", ratio4,
                                   target[4], ratio4 >= 0.9, note=f"cos-js-sdk-v5 {js:.0f} MB/s", samples=gets))  # fmt: skip

        self.log(f"rows 5, 6: fresh interpreters: import cos_web; wasm heap during a {c.huge // MB} MB sliceUploadFile")
        imports = []
        heap = None
        for rep in range(c.import_reps):
            imports.append(self.fresh_import())
            self.log(f"  import cos_web (fresh interpreter) rep {rep}: {imports[-1]:.1f} ms")
            if heap is None:
                heap = self.heap_growth(huge_name, c.huge)
        self.raw["import_ms"] = imports
        bound = c.parallel * c.chunk + 32 * MB
        self.figures.append(Figure(5, f"wasm heap growth during a {c.huge // MB} MB sliceUploadFile vs ChunkParallelLimit × ChunkSize + 32 MB",
                                   heap["growth"] / MB, bound / MB, "MB", heap["growth"] / bound, target[5],
                                   heap["growth"] < bound, note=f"heap {heap['start'] / MB:.0f} → {heap['max'] / MB:.0f} MB"))  # fmt: skip
        imp = median(imports)
        self.figures.append(Figure(6, "import cos_web in a fresh Pyodide interpreter vs 100 ms", imp, 100.0, "ms",
                                   imp / 100.0, target[6], imp < 100.0, samples={"cos_web": imports}))  # fmt: skip
        wheel = self.s.wheel.stat().st_size
        self.figures.append(Figure(6, f"wheel size ({self.s.wheel.name}) vs 100 KB", wheel / 1000, 100.0, "KB",
                                   wheel / 100_000, target[6], wheel < 100_000))  # fmt: skip

        browser = max(median(v) for v in slices.values())
        fastest = max(slices, key=lambda k: median(slices[k]))
        cm = median(curl)
        self.figures.append(Figure(7, f"local COS server ingest, curl PUT {c.huge // MB} MB over loopback, vs the fastest browser upload above",
                                   cm, browser, "MB/s", cm / browser, target[7], cm / browser >= 2.0,
                                   note=f"fastest browser contender: {fastest}", samples={"curl": curl}))  # fmt: skip
        self.log("rows 9-11: default-option uploads on loopback and emulated links; Web Worker vs page; the main thread")
        self.figures += links.link_rows(self, target[9], target[9.5])
        self.figures.append(links.worker_row(self))
        self.figures.append(links.main_thread_row(self, huge_name, c.huge))
        size = c.load_size
        self.log(f"row 8: load, {size.contexts} browser contexts × {size.per_context} upload_file at once, "
                 f"{min(size.sizes) // 1024} KB–{max(size.sizes) // MB} MB, 2 % injected faults")  # fmt: skip
        fig = self.load_with_faults()
        self.figures.append(Figure(8, f"load: {size.contexts} browser contexts × {size.per_context} upload_file at once "
                                      f"({min(size.sizes) // 1024} KB–{max(size.sizes) // MB} MB, {fig['bytes'] / MB:.0f} MiB), "
                                      "2 % injected 503s / resets: objects MD5-exact of all uploads",
                                   fig["exact"], fig["uploads"], "objects", fig["exact"] / fig["uploads"], target[8],
                                   load.verdict(fig, size),
                                   note=f"{fig['exact']}/{fig['uploads']} MD5-exact; faults fired {fig['faults']}/{fig['requests']} requests; request latency "
                                        f"p50 {fig['p50_ms']:.0f} ms, p99 {fig['p99_ms']:.0f} ms; server RSS "
                                        f"{fig['rss_growth_mb']:+.0f} MB; {fig['tmp_left']} temp files, "
                                        f"{fig['orphan_blobs']} orphan blobs left; {fig['seconds']:.0f} s"))  # fmt: skip
        self.figures.sort(key=lambda f: f.row)
        return self.figures


# ---------------------------------------------------------------------- report


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    digits = 0 if value >= 100 or unit == "objects" else 1 if value >= 10 else 2
    return f"{value:,.{digits}f} {unit}"


def _rel(path: Path) -> str:
    path = path.resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def write_report(figures: list[Figure], meta: dict[str, Any], md_path: Path, json_path: Path,
                 profile: dict | None = None) -> None:  # fmt: skip
    json_path.write_text(json.dumps({"meta": meta, "figures": [asdict(f) for f in figures], "profile": profile},
                                    indent=1, default=str) + "\n")  # fmt: skip
    lines = [
        "# Benchmarks",
        "",
        f"Produced by `bash bench/run.sh{' --quick' if meta['quick'] else ''}` on {meta['date']} "
        f"(commit {meta['commit']}, {meta['machine']}) in {meta['elapsed_s']:.0f} s"
        + (f" (then {meta['profile_s']:.0f} s of `--profile`: `bench/profile.md`)" if meta.get("profile_s") else "")
        + f". Raw samples: `{_rel(json_path)}`.",
        "",
        "One Chromium session (one page, Pyodide + the freshly built wheel) against one local COS server "
        "(`python -m cos_web.server`, default durable mode, data in a temp dir), all over loopback. "
        f"Every value is the median of {meta['config']['reps']} repetitions ({meta['config']['big'] // MB} MB transfers) or "
        f"{meta['config']['small_reps']} (small operations, curl, import; the heap row is one "
        f"{meta['config']['huge'] // MB} MB upload), "
        "the contenders interleaved (order rotated each repetition), all samples in results.json; "
        "the ratio compares two values of the same run (row 8, the load, runs once: its ratio is the share of "
        "uploads that came back MD5-exact, its other figures in the note). "
        "Higher is better for MB/s and ops/s, lower for MB, ms and KB.",
        "",
        "| # | figure | cos_web | baseline | ratio | target | met? |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in figures:
        met = "—" if f.met is None else ("yes" if f.met else "**no**")
        note = f" ({f.note})" if f.note else ""
        lines.append(f"| {f.row} | {f.figure}{note} | {fmt(f.measured, f.unit)} | {fmt(f.baseline, f.unit)} | "
                     f"{f.ratio:.2f}× | {f.target} | {met} |")  # fmt: skip
    met = sum(1 for f in figures if f.met)
    lines += ["", f"{met} of {len(figures)} rows meet their target.", ""]
    notes = BENCH / "NOTES.md"
    if notes.exists():
        lines += [notes.read_text().rstrip(), ""]
    md_path.write_text("\n".join(lines) + "\n")


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "cos_web"], cwd=ROOT, capture_output=True, text=True)
        return out.stdout.strip() + ("+dirty cos_web" if dirty.stdout.strip() else "")
    except OSError:
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="tiny sizes, one repetition (the smoke test)")
    p.add_argument("--profile", action="store_true", help="also profile (Chromium CPU profile, py-spy); bench/profile.md")
    p.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"), help="Markdown table (default BENCHMARKS.md)")
    p.add_argument("--json", default=str(BENCH / "results.json"), help="raw results (default bench/results.json)")
    p.add_argument("--reps", type=int, help="repetitions of every measured figure (overrides the defaults)")
    p.add_argument("--only", type=int, choices=[1, 3],
                   help="only this row, printed, no report written (1: rows 1 and 2, the fixed-setting sliceUploadFile; "
                        "with --profile, instead only row 1's CPU profile: bench/profile-row1.md; 3: the small calls)")
    p.add_argument("--render", action="store_true", help="only rewrite --out from --json (e.g. after editing bench/NOTES.md)")
    args = p.parse_args(argv)
    if args.render:
        data = json.loads(Path(args.json).read_text())
        write_report([Figure(**f) for f in data["figures"]], data["meta"], Path(args.out), Path(args.json), data.get("profile"))
        if data.get("profile"):
            from .profile import write_profile_md

            write_profile_md(data["profile"], BENCH / "profile.md", data["meta"]["config"])
        print(f"wrote {args.out} from {args.json}")
        return 0

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up the COS server and browser on kill
    if shutil.which("curl") is None:
        print("bench: needs curl (bash bench/run.sh installs it)", file=sys.stderr)
        return 2
    cfg = Config.make(args.quick)
    if args.reps:
        cfg.reps = cfg.small_reps = cfg.curl_reps = cfg.import_reps = args.reps
    t0 = time.monotonic()

    def log(msg: str) -> None:
        print(f"[{time.monotonic() - t0:6.1f}s] {msg}", flush=True)

    profile = None
    profile_s = None
    with Session(log=log) as session:
        bench = Bench(cfg, session, log)
        if args.only == 1 and args.profile:
            from .profile import row1_profile

            result = row1_profile(bench, reps=args.reps or 3)
            for who, u in result["contenders"].items():
                print(f"{who}: {u['MBps']} MB/s (load {u['load']}), CPU s {u['cpu_s']}, renderer threads {u['renderer_threads_s']}")
            log("wrote bench/profile-row1.md")
            return 0
        figures = bench.run({args.only} if args.only else None)
        elapsed = time.monotonic() - t0
        if args.only:
            for f in figures:
                print(f"{f.row}  {f.ratio:5.2f}×  {fmt(f.measured, f.unit)} vs {fmt(f.baseline, f.unit)}  {f.figure} ({f.note})")
            return 0
        if args.profile:
            from .profile import run_profiles

            profile = run_profiles(bench)
            profile_s = time.monotonic() - t0 - elapsed
    meta = {
        "quick": cfg.quick,
        "config": asdict(cfg),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": git_commit(),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, load avg {os.getloadavg()[0]:.1f} at the end",
        "elapsed_s": elapsed,  # the measured figures, session start included
        "profile_s": profile_s,  # --profile, after them
        "raw": bench.raw,
    }
    write_report(figures, meta, Path(args.out), Path(args.json), profile)
    for f in figures:
        print(f"{f.row}  {f.ratio:5.2f}×  {'met ' if f.met else 'MISS'}  {f.figure}")
    log(f"wrote {args.out} and {args.json}")
    return 0
