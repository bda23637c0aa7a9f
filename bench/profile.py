"""``python -m bench --profile``: where the time goes (bench/profile.md, and "profile" in results.json).

After the measured figures, with the same page and server:

- CPU seconds per process (the COS server, Chromium's renderer / network service / browser /
  GPU processes, and everything else on the machine) while each contender uploads, from
  /proc: on 2 shared cores this says whether an upload is limited by CPU and whose;
- Chromium's CPU profile (CDP ``Profiler``) of the page's main thread for the same uploads,
  small operations and getObject: self time by function, grouped (wasm = Python in Pyodide,
  Pyodide's JS glue, cos-js-sdk-v5, idle, GC);
- py-spy on the COS server while curl and the browser upload (self time by function);
- ``import cos_web`` in a fresh interpreter: the modules it pulls in and cProfile's cumulative
  time per module.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Callable

from dataclasses import asdict

from .session import MB, random_file

BENCH = Path(__file__).resolve().parent
TICK = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------- CPU per process (/proc)


def _proc_table() -> dict[int, tuple[int, str, int]]:
    """pid -> (ppid, cmdline, utime+stime ticks) for every readable process."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmd = fh.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        table[int(entry)] = (int(fields[1]), cmd, int(fields[11]) + int(fields[12]))
    return table


def _group(pid: int, table: dict, server_pid: int, me: int) -> str:
    ppid, cmd, _ = table[pid]
    if pid == server_pid:
        return "COS server"
    chain, p = [], pid
    while p in table and p > 1:
        chain.append(p)
        p = table[p][0]
    if me not in chain:
        return "others (rest of the machine)"
    if "chromium" in cmd or "chrome" in cmd:
        for kind, label in (("--type=renderer", "Chromium renderer (page, Pyodide, JS SDK)"),
                            ("NetworkService", "Chromium network service"), ("--type=gpu", "Chromium GPU"),
                            ("--type=", "Chromium other")):  # fmt: skip
            if kind in cmd:
                return label
        return "Chromium browser process"
    if pid == me:
        return "bench driver (Python, Playwright)"
    if "curl" in cmd:
        return "curl"
    return "bench driver (Python, Playwright)"


def cpu_by_process(fn: Callable[[], Any], server_pid: int) -> tuple[Any, dict[str, float], float]:
    """Run ``fn``; CPU seconds each group of processes used meanwhile, and the wall time."""
    me = os.getpid()
    before = _proc_table()
    t0 = time.monotonic()
    result = fn()
    wall = time.monotonic() - t0
    after = _proc_table()
    used: dict[str, float] = defaultdict(float)
    for pid, (_, _, ticks) in after.items():
        delta = ticks - (before[pid][2] if pid in before else 0)
        if delta > 0:
            used[_group(pid, after, server_pid, me)] += delta / TICK
    return result, dict(sorted(used.items(), key=lambda kv: -kv[1])), wall


# ---------------------------------------------------------------------- Chromium CPU profile (CDP)


def _category(frame: dict) -> str:
    name, url = frame.get("functionName", ""), frame.get("url", "")
    if name in ("(idle)", "(program)", "(garbage collector)", "(root)"):
        return name
    if url.endswith(".wasm") or "wasm://" in url or name.startswith("$") or (not url and "wasm-function" in name):
        return "wasm (Python in Pyodide)"
    if "pyodide" in url:
        return "Pyodide JS glue"
    if "cos-js-sdk" in url:
        return "cos-js-sdk-v5"
    if "/bench/page.js" in url:
        return "bench page.js"
    return "other JS / browser natives"


def chrome_profile(page, fn: Callable[[], Any], interval_us: int = 500) -> tuple[Any, dict]:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Profiler.enable")
    cdp.send("Profiler.setSamplingInterval", {"interval": interval_us})
    cdp.send("Profiler.start")
    try:
        result = fn()
    finally:
        prof = cdp.send("Profiler.stop")["profile"]
        cdp.detach()
    nodes = {n["id"]: n for n in prof["nodes"]}
    self_us: Counter = Counter()
    for node_id, delta in zip(prof.get("samples", []), prof.get("timeDeltas", [])):
        self_us[node_id] += max(0, delta)
    total = sum(self_us.values()) or 1
    by_cat: Counter = Counter()
    by_fn: Counter = Counter()
    for node_id, us in self_us.items():
        frame = nodes[node_id]["callFrame"]
        cat = _category(frame)
        by_cat[cat] += us
        url = frame.get("url", "").rsplit("/", 1)[-1]
        by_fn[f"{frame.get('functionName') or '(anonymous)'} [{url or cat}]"] += us
    busy = total - by_cat.get("(idle)", 0)
    return result, {
        "wall_ms": total / 1000,
        "busy_ms": busy / 1000,
        "categories_ms": {k: round(v / 1000, 1) for k, v in by_cat.most_common()},
        "top_self_ms": [(k, round(v / 1000, 1)) for k, v in by_fn.most_common(14) if not k.startswith("(idle)")],
    }


# ---------------------------------------------------------------------- py-spy on the server


def pyspy(pid: int, fn: Callable[[], Any]) -> tuple[Any, dict | None]:
    exe = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not os.path.exists(exe):
        return fn(), {"error": "py-spy not installed (bash bench/run.sh --profile installs py-spy==0.4.2)"}
    out = Path(tempfile.mkstemp(prefix="cos-web-bench-pyspy-", suffix=".txt")[1])
    proc = subprocess.Popen([exe, "record", "--pid", str(pid), "--rate", "200", "--format", "raw", "--output", str(out),
                             "--nonblocking", "--threads"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    time.sleep(1.0)
    try:
        result = fn()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            _, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
    if not out.exists() or out.stat().st_size == 0:
        return result, {"error": f"py-spy wrote nothing: {(err or '').strip()[-500:]}"}
    leaf: Counter = Counter()
    inclusive: Counter = Counter()
    threads: Counter = Counter()
    total = 0
    for line in out.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        threads[frames[0].split(" ")[0] if frames else "?"] += n
        leaf[_short(frames[-1])] += n
        for f in {_short(f) for f in frames[1:]}:
            inclusive[f] += n
    out.unlink()
    pct = lambda c: [(k, round(100 * v / max(total, 1), 1)) for k, v in c]  # noqa: E731
    return result, {"samples": total, "top_self_pct": pct(leaf.most_common(14)),
                    "top_inclusive_pct": pct(inclusive.most_common(40))[:25]}  # fmt: skip


def _short(frame: str) -> str:
    # "function (path/to/file.py:123)" -> "function (file.py)"
    name, _, where = frame.partition(" (")
    file = where.rstrip(")").rsplit(":", 1)[0].rsplit("/", 1)[-1]
    return f"{name} ({file})" if file else name


# ---------------------------------------------------------------------- import cos_web

IMPORT_PROFILE = """
import sys, time, cProfile, pstats, io
assert 'cos_web' not in sys.modules
before = set(sys.modules)
pr = cProfile.Profile()
t0 = time.perf_counter()
pr.enable()
import cos_web
pr.disable()
plain_ms = None
new = sorted(set(sys.modules) - before)
st = pstats.Stats(pr)
mods = []
for (file, line, fn), (cc, nc, tt, ct, callers) in st.stats.items():
    if fn == '<module>':
        mods.append((round(ct * 1000, 1), round(tt * 1000, 1), file.replace('/lib/python3.14/site-packages/', '').replace('/lib/python314.zip/', 'stdlib:')))
mods.sort(reverse=True)
{"new_modules": new, "module_cumulative_ms": mods[:30], "profiled_total_ms": round((time.perf_counter() - t0) * 1000, 1)}
"""

IMPORT_STDLIB = """
import sys, time, os
assert 'cos_web' not in sys.modules
out = {}
for name in NAMES:
    t0 = time.perf_counter(); __import__(name); out[name] = round((time.perf_counter() - t0) * 1000, 1)
t0 = time.perf_counter(); import cos_web; out['cos_web (after those)'] = round((time.perf_counter() - t0) * 1000, 1)
compile_ms = {}
folder = os.path.dirname(cos_web.__file__)
for fn in sorted(os.listdir(folder)):
    if fn.endswith('.py'):
        src = open(os.path.join(folder, fn)).read()
        t0 = time.perf_counter(); compile(src, fn, 'exec'); compile_ms[fn] = round((time.perf_counter() - t0) * 1000, 1)
{"first_import_ms": out, "compile_ms": compile_ms,
 "pycache": sorted(os.listdir(os.path.join(folder, '__pycache__'))) if os.path.isdir(os.path.join(folder, '__pycache__')) else []}
"""

# Stdlib modules cos_web pulls in, in an order where each is timed on its own.
STDLIB_ORDER = ["hashlib", "hmac", "datetime", "uuid", "ipaddress", "urllib.parse", "email.utils", "xml.parsers.expat",
                "dataclasses", "inspect", "random", "json", "asyncio"]


def import_profile(bench) -> dict:
    s = bench.s
    s.reload()
    prof = s.harness.run(IMPORT_PROFILE)
    new = set(prof["new_modules"])
    names = [m for m in STDLIB_ORDER if m in new or m.split(".")[0] in new]
    s.reload()
    prof.update(s.harness.run(IMPORT_STDLIB, NAMES=names))
    s.prepare_page()
    return prof


# ---------------------------------------------------------------------- cos_web's own cost per request

OVERHEAD = """
import asyncio, cProfile, pstats, time
from cos_web import COS
from cos_web.transport import MockTransport, Response

HEADERS = {"etag": '"0123456789abcdef0123456789abcdef"', "content-length": "1024", "x-cos-request-id": "bench",
           "content-type": "application/octet-stream", "last-modified": "Thu, 26 Nov 2026 00:00:00 GMT"}
cos = COS(SecretId=CFG["SECRET_ID"], SecretKey=CFG["SECRET_KEY"], Domain=CFG["DOMAIN"],
          transport=MockTransport(lambda req: Response(200, dict(HEADERS), "")))
br = {"Bucket": CFG["BUCKET"], "Region": CFG["REGION"]}
body = b"x" * 1024
out = {}
for name, call in (("headObject", lambda i: cos.head_object(**br, Key=f"k/{i}")),
                   ("putObject 1 KB", lambda i: cos.put_object(**br, Key=f"k/{i}", Body=body))):
    for i in range(20):
        await call(i)
    t0 = time.perf_counter()
    for i in range(N):
        await call(i)
    out[name] = round((time.perf_counter() - t0) * 1000 / N, 3)
pr = cProfile.Profile()
pr.enable()
for i in range(N):
    await cos.head_object(**br, Key=f"k/{i}")
pr.disable()
st = pstats.Stats(pr)
rows = []
for (file, line, fn), (cc, nc, tt, ct, callers) in st.stats.items():
    rows.append((round(tt * 1000 / N, 4), round(ct * 1000 / N, 4), f"{fn} ({file.rsplit('/', 1)[-1]}:{line})"))
rows.sort(reverse=True)
{"ms_per_call": out, "head_top_self_ms_per_call": rows[:15],
 "head_top_cumulative_ms_per_call": sorted(rows, key=lambda r: -r[1])[:25]}
"""


def sdk_overhead(bench, n: int = 300) -> dict:
    """cos_web's Python cost per call in the page with a mock transport (no network), cProfile'd."""
    return bench.s.py("CFG = B.CFG\n" + OVERHEAD, N=n)


def head_layers(bench, n: int = 150, rounds: int = 3) -> dict[str, float]:
    """Median ms per sequential HEAD: JS SDK, JS fetch/XHR pre-signed, and cos_web layer by layer."""
    s = bench.s
    prefix = bench.key("layers") + "/"
    s.js("([n, p]) => bench.rawSmallOps(n, 8, p)", [n, prefix])
    keys = [f"{prefix}{i}" for i in range(n)]
    samples: dict[str, list[float]] = defaultdict(list)
    for r in range(rounds):
        samples["cos-js-sdk-v5 headObject"].append(s.js("(k) => bench.sdkHeads(k)", keys))
        samples["JS fetch, pre-signed"].append(s.js("(k) => bench.presignedHeads(k, false)", keys))
        samples["JS XHR, pre-signed"].append(s.js("(k) => bench.presignedHeads(k, true)", keys))
        for name, ms in s.py("await B.head_variants(K)", K=keys).items():
            samples[name].append(ms)
    import statistics

    return {k: round(statistics.median(v) / n, 2) for k, v in samples.items()}


# ---------------------------------------------------------------------- the profiling run


def run_profiles(bench) -> dict:
    s, c, log = bench.s, bench.cfg, bench.log
    page = s.harness.page
    server_pid = s.cos.proc.pid
    big = random_file(c.big)
    name = big.name
    out: dict[str, Any] = {"uploads": {}, "small_ops": {}, "get_blob": {}}
    log("profile: uploads (CPU per process, Chromium profile, py-spy on the server)")
    runs = {
        "cos_web": lambda key: s.py("await B.slice_upload(N, K, C, P)", N=name, K=key, C=c.chunk, P=c.parallel),
        "cos-js-sdk-v5": lambda key: s.js("([n, k, c, p]) => bench.sdkSliceUpload(n, k, c, p)", [name, key, c.chunk, c.parallel]),
        "raw fetch": lambda key: s.js("([n, k, c, p]) => bench.rawSliceUpload(n, k, c, p)", [name, key, c.chunk, c.parallel]),
        "curl (no browser)": lambda key: {"MBps": bench.curl_put(big, key)},
    }  # fmt: skip
    for who, fn in runs.items():
        key = bench.key("profile", who.split()[0])
        _, cpu, wall = cpu_by_process(lambda: fn(key), server_pid)
        bench.delete(key)
        key2 = key + "-prof"
        if who.startswith("curl"):
            _, chrome = None, None
        else:
            _, chrome = chrome_profile(page, lambda: fn(key2))
            bench.delete(key2)
        key3 = key + "-spy"
        _, spy = pyspy(server_pid, lambda: fn(key3))
        bench.delete(key3)
        out["uploads"][who] = {"wall_s": round(wall, 2), "MBps": round(c.big / MB / wall, 1),
                               "cpu_s": {k: round(v, 2) for k, v in cpu.items()}, "chrome": chrome, "server_pyspy": spy}  # fmt: skip
        log(f"  {who}: {c.big / MB / wall:.1f} MB/s, CPU s {json.dumps({k: round(v, 1) for k, v in cpu.items()})}")

    n = min(c.ops, 200)
    log(f"profile: {n} headObject and putObject, sequential")
    small = {
        "cos_web": lambda p: s.py("await B.small_ops(N, 1, P)", N=n, P=p),
        "cos-js-sdk-v5": lambda p: s.js("([n, p]) => bench.sdkSmallOps(n, 1, p)", [n, p]),
        "raw fetch": lambda p: s.js("([n, p]) => bench.rawSmallOps(n, 1, p)", [n, p]),
    }
    for who, fn in small.items():
        prefix = bench.key("profile-small", who.split()[0]) + "/"
        res, chrome = chrome_profile(page, lambda: fn(prefix))
        _, cpu, wall = cpu_by_process(lambda: fn(prefix + "again/"), server_pid)
        out["small_ops"][who] = {"put_ms_per_op": round(res["put_ms"] / n, 2), "head_ms_per_op": round(res["head_ms"] / n, 2),
                                 "chrome": chrome, "cpu_s": {k: round(v, 2) for k, v in cpu.items()}}  # fmt: skip
        log(f"  {who}: put {res['put_ms'] / n:.1f} ms/op, head {res['head_ms'] / n:.1f} ms/op (profiled)")

    log("profile: getObject as Blob")
    get_key = bench.key("profile-get")
    bench.curl_put(big, get_key)
    gets = {
        "cos_web": lambda: s.py("await B.get_blob(K)", K=get_key),
        "raw fetch": lambda: s.js("(k) => bench.rawGetBlob(k)", get_key),
    }
    for who, fn in gets.items():
        res, chrome = chrome_profile(page, fn)
        s.collect_garbage()
        out["get_blob"][who] = {"ms": round(res["ms"], 1), "chrome": chrome}
    bench.delete(get_key)

    log("profile: headObject latency through each layer (sequential, interleaved rounds)")
    out["head_layers"] = head_layers(bench)
    log("  " + ", ".join(f"{k}: {v} ms" for k, v in out["head_layers"].items()))

    log("profile: cos_web's Python cost per request (mock transport, no network)")
    out["sdk_overhead"] = sdk_overhead(bench)
    log(f"  {out['sdk_overhead']['ms_per_call']}")

    log("profile: import cos_web in a fresh interpreter")
    out["import"] = import_profile(bench)
    write_profile_md(out, BENCH / "profile.md", asdict(c))
    return out


def _table(rows: list[tuple], head: tuple) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(x) for x in r) + " |" for r in rows]
    return lines


# Frames every server stack has (threads, the event loop, start-up): left out of "inclusive".
_PLUMBING = ("(threading.py)", "(thread.py)", "<frozen runpy>", "(base_events.py)", "(runners.py)", "(__main__.py)",
             "(cli.py)", "(runner.py)", "(events.py)", "(selector_events.py)")  # fmt: skip


def write_profile_md(out: dict, path: Path, cfg: dict) -> None:
    class c:  # noqa: N801 - the config's fields as attributes
        big, chunk, parallel = cfg["big"], cfg["chunk"], cfg["parallel"]

    L = ["# Where the time goes (bench --profile)", "",
         f"Written by `bash bench/run.sh --profile` ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}); one "
         f"unmeasured-for-the-table run of each contender, {c.big // MB} MB, ChunkSize {c.chunk // MB} MB, "
         f"ChunkParallelLimit {c.parallel}. CPU seconds are read from /proc over the upload; "
         "the machine's 2 cores give at most 2 CPU s per wall second.", ""]  # fmt: skip
    L += ["## CPU seconds per process during one upload", ""]
    groups = sorted({g for u in out["uploads"].values() for g in u["cpu_s"]})
    rows = [(who, u["MBps"], u["wall_s"], *(u["cpu_s"].get(g, 0) for g in groups)) for who, u in out["uploads"].items()]
    L += _table(rows, ("contender", "MB/s", "wall s", *groups)) + [""]
    L += ["## Chromium main thread (CDP profile) during the uploads", ""]
    for who, u in out["uploads"].items():
        ch = u.get("chrome")
        if not ch:
            continue
        L += [f"**{who}**: busy {ch['busy_ms']:.0f} of {ch['wall_ms']:.0f} ms; by kind: "
              + ", ".join(f"{k} {v:.0f} ms" for k, v in ch["categories_ms"].items()), "",
              "top self time: " + "; ".join(f"{k} {v:.0f} ms" for k, v in ch["top_self_ms"][:8]), ""]  # fmt: skip
    L += ["## The COS server under py-spy (self time, % of samples)", ""]
    for who, u in out["uploads"].items():
        spy = u.get("server_pyspy") or {}
        if "error" in spy:
            L += [f"**{who}**: {spy['error']}", ""]
            continue
        L += [f"**{who}** ({spy.get('samples')} samples): " + "; ".join(f"{k} {v}%" for k, v in spy["top_self_pct"][:10]), ""]
        inclusive = [(k, v) for k, v in spy["top_inclusive_pct"] if not any(p in k for p in _PLUMBING)]
        L += ["inclusive (without thread / event-loop plumbing): " + "; ".join(f"{k} {v}%" for k, v in inclusive[:10]), ""]
    L += ["## Small operations (sequential), per operation", ""]
    rows = []
    for who, u in out["small_ops"].items():
        ch = u["chrome"]
        rows.append((who, u["put_ms_per_op"], u["head_ms_per_op"], f"{ch['busy_ms']:.0f} / {ch['wall_ms']:.0f}",
                     ", ".join(f"{k} {v:.0f}" for k, v in list(ch["categories_ms"].items())[:5])))  # fmt: skip
    L += _table(rows, ("contender", "put ms/op", "head ms/op", "main thread busy / wall ms", "by kind (ms)")) + [""]
    for who, u in out["small_ops"].items():
        L += [f"**{who}** top self time: " + "; ".join(f"{k} {v:.0f} ms" for k, v in u["chrome"]["top_self_ms"][:10]), ""]
    if out.get("head_layers"):
        L += ["## headObject, layer by layer (ms per sequential request, median of 3 interleaved rounds)", ""]
        L += _table(list(out["head_layers"].items()), ("path", "ms / HEAD")) + [""]
    ov = out.get("sdk_overhead")
    if ov:
        L += ["## cos_web's own Python cost per call (mock transport in the page: no network, no fetch)", "",
              "ms per call: " + ", ".join(f"{k} {v}" for k, v in ov["ms_per_call"].items()), "",
              "headObject under cProfile, top self time (ms per call, self / cumulative): "
              + "; ".join(f"{name} {tt}/{ct}" for tt, ct, name in ov["head_top_self_ms_per_call"][:12]), "",
              "top cumulative: " + "; ".join(f"{name} {ct}" for tt, ct, name in ov["head_top_cumulative_ms_per_call"][:20]), ""]  # fmt: skip
    L += ["## getObject as Blob", ""]
    for who, u in out["get_blob"].items():
        ch = u["chrome"]
        L += [f"**{who}**: {u['ms']:.0f} ms; main thread busy {ch['busy_ms']:.0f} ms; "
              + "; ".join(f"{k} {v:.0f} ms" for k, v in ch["top_self_ms"][:6]), ""]  # fmt: skip
    imp = out["import"]
    L += ["## import cos_web (fresh interpreter)", "",
          f"cProfile'd import: {imp['profiled_total_ms']} ms. In another fresh interpreter, the stdlib modules "
          "cos_web pulls in, imported one after the other (each time is what that one adds), then cos_web itself:", "",
          ", ".join(f"{k} {v} ms" for k, v in imp["first_import_ms"].items()), "",
          f"Compiling each cos_web module's source in the page (ms; the wheel ships no bytecode, "
          f"__pycache__ after import: {len(imp['pycache'])} files): "
          + ", ".join(f"{k} {v}" for k, v in sorted(imp["compile_ms"].items(), key=lambda kv: -kv[1])), "",
          "Modules by cumulative import time (ms, cumulative / self):", "",
          "; ".join(f"{m} {ct}/{tt}" for ct, tt, m in imp["module_cumulative_ms"][:24]), "",
          f"New modules ({len(imp['new_modules'])}): " + ", ".join(imp["new_modules"]), ""]  # fmt: skip
    kept = ""  # hand-written findings below KEEP_MARK survive a re-run
    if path.exists() and KEEP_MARK in path.read_text():
        kept = "\n" + path.read_text().split(KEEP_MARK, 1)[1].lstrip("\n")
    path.write_text("\n".join(L) + "\n" + (f"\n{KEEP_MARK}\n" + kept if kept else ""))


KEEP_MARK = "<!-- hand-written: kept by write_profile_md -->"


# ---------------------------------------------------------------------- row 1 only (python -m bench --only 1 --profile)

RENDERER_THREADS = {"chromium": "main thread", "Chrome_ChildIOT": "IO thread", "ThreadPoolForeg": "thread pool",
                    "Compositor": "compositor"}  # fmt: skip


def renderer_threads(me: int | None = None) -> dict[tuple[int, int], tuple[str, int]]:
    """(pid, tid) -> (thread name, CPU ticks) for every thread of the bench's Chromium renderers."""
    me = me or os.getpid()
    table = _proc_table()
    out = {}
    for pid, (_, cmd, _) in table.items():
        if "--type=renderer" not in cmd:
            continue
        chain, p = [], pid
        while p in table and p > 1:
            chain.append(p)
            p = table[p][0]
        if me not in chain:
            continue
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                with open(f"/proc/{pid}/task/{tid}/stat") as fh:
                    stat = fh.read()
            except OSError:
                continue
            comm = stat[stat.index("(") + 1 : stat.rindex(")")]
            fields = stat[stat.rindex(")") + 2 :].split()
            out[(pid, int(tid))] = (RENDERER_THREADS.get(comm, "other threads"), int(fields[11]) + int(fields[12]))
    return out


def _helper_line(line: int) -> str:
    """The line of cos_web's JS helper (cos_web/transport_js.py, made with ``new Function``: CDP
    counts two header lines) a frame without a script URL is on, or ""."""
    try:
        from cos_web.transport_js import SEND_JS
    except ImportError:
        return ""
    lines = SEND_JS.split("\n")
    return lines[line - 2] if 2 <= line < len(lines) + 2 else ""


def _entry_label(frame: dict) -> str:
    """The browser task a main-thread sample belongs to, named by its first JS frame."""
    name, url, line = frame.get("functionName") or "(anonymous)", frame.get("url", ""), frame.get("lineNumber", -1)
    if name in ("(idle)", "(program)", "(garbage collector)"):
        return {"(program)": "(program): browser natives outside JS (task dispatch, IPC, XHR/fetch internals)",
                "(garbage collector)": "(garbage collector)"}.get(name, name)  # fmt: skip
    if "MessageChannel" in name and "pyodide" in url:
        return "asyncio loop handles (Pyodide's MessageChannel / setTimeout)"
    if name.startswith("wasm-function") and "pyodide" in url:
        return "Python entered from no JS frame (a resumed or harness-run Pyodide stack)"
    helper = _helper_line(line) if not url and line > 0 else ""
    for marker, label in (("x.onload", "XHR load -> Python (the reply, then the next part: slice, sign, open)"),
                          ("x.upload.onprogress", "XHR upload progress event -> Python"),
                          ("x.onprogress", "XHR download progress event -> Python"),
                          ("queueMicrotask", "XHR send (cos_web's helper sends from a microtask)")):  # fmt: skip
        if marker in helper:
            return label
    file = url.rsplit("/", 1)[-1] or "no script URL"
    return f"{name} [{file}]"


def main_thread_entries(page, fn: Callable[[], Any], interval_us: int = 200) -> tuple[Any, dict[str, float]]:
    """Run ``fn`` under a CDP CPU profile; the page main thread's busy ms by the task they ran in."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Profiler.enable")
    cdp.send("Profiler.setSamplingInterval", {"interval": interval_us})
    cdp.send("Profiler.start")
    try:
        result = fn()
    finally:
        prof = cdp.send("Profiler.stop")["profile"]
        cdp.detach()
    nodes = {n["id"]: n for n in prof["nodes"]}
    parent = {c: n["id"] for n in prof["nodes"] for c in n.get("children", [])}
    entry_of: dict[int, str] = {}

    def entry(node_id: int) -> str:
        if node_id not in entry_of:
            chain, p = [], node_id
            while p in nodes:
                chain.append(p)
                p = parent.get(p)
            frames = [nodes[x]["callFrame"] for x in reversed(chain) if nodes[x]["callFrame"].get("functionName") != "(root)"]
            entry_of[node_id] = _entry_label(frames[0]) if frames else "(root)"
        return entry_of[node_id]

    by_entry: Counter = Counter()
    for node_id, delta in zip(prof.get("samples", []), prof.get("timeDeltas", [])):
        by_entry[entry(node_id)] += max(0, delta)
    by_entry.pop("(idle)", None)
    return result, {k: round(v / 1000, 1) for k, v in by_entry.most_common()}


def row1_profile(bench, reps: int = 3) -> dict:
    """Row 1's contenders (and cos_web without upload progress events, as a diagnostic): CPU s per
    process and per renderer thread over ``reps`` interleaved 256 MB uploads (medians), then one
    CDP profile each of the page's main thread by task. Writes bench/profile-row1.md."""
    import statistics

    s, c, log = bench.s, bench.cfg, bench.log
    name = s.add_file(random_file(c.big))
    server_pid = s.cos.proc.pid
    upload = "await B.slice_upload(N, K, C, P)"
    # diagnostic: bodies up to this size get no XHR upload listener (cos_web.transport); raised past the part size
    no_progress = ("import cos_web.transport as T\nT._SMALL_BODY, small = 1 << 50, T._SMALL_BODY\n"
                   f"try:\n    out = {upload}\nfinally:\n    T._SMALL_BODY = small\nout")  # fmt: skip
    runs: dict[str, Callable[[str], dict]] = {
        "cos_web": lambda key: s.py(upload, N=name, K=key, C=c.chunk, P=c.parallel),
        "cos-js-sdk-v5": lambda key: s.js("([n, k, c, p]) => bench.sdkSliceUpload(n, k, c, p)", [name, key, c.chunk, c.parallel]),
        "raw fetch": lambda key: s.js("([n, k, c, p]) => bench.rawSliceUpload(n, k, c, p)", [name, key, c.chunk, c.parallel]),
    }  # fmt: skip
    if s.py("import cos_web.transport as T\nhasattr(T, '_SMALL_BODY')"):
        runs["cos_web, no upload progress events (diagnostic)"] = lambda key: s.py(no_progress, N=name, K=key, C=c.chunk, P=c.parallel)
    for who, fn in runs.items():  # warm-up (JIT, connections)
        key = bench.key("row1-warm", _slug(who))
        fn(key)
        bench.delete(key)
    samples: dict[str, list[dict]] = {who: [] for who in runs}
    for rep in range(reps):
        for who in rotate_list(list(runs), rep):
            key = bench.key("row1", rep, _slug(who))
            before = renderer_threads()
            out, cpu, wall = cpu_by_process(lambda: runs[who](key), server_pid)
            after = renderer_threads()
            threads: Counter = Counter()
            for k, (label, ticks) in after.items():
                threads[label] += (ticks - before.get(k, (label, 0))[1]) / TICK
            bench.delete(key)
            samples[who].append({"MBps": c.big / MB / (out["ms"] / 1000), "cpu_s": cpu, "renderer_threads_s": dict(threads),
                                 "load": os.getloadavg()[0]})  # fmt: skip
            log(f"  row 1 profile rep {rep} {who}: {samples[who][-1]['MBps']:.1f} MB/s, renderer main thread "
                f"{threads.get('main thread', 0):.2f} s, load {os.getloadavg()[0]:.1f}")  # fmt: skip
    page = s.harness.page
    entries = {}
    for who, fn in runs.items():
        key = bench.key("row1-prof", _slug(who))
        _, entries[who] = main_thread_entries(page, lambda: fn(key))
        bench.delete(key)

    def med(values: list[float]) -> float:
        return round(statistics.median(values), 3) if values else 0.0

    summary = {}
    for who, rows in samples.items():
        groups = sorted({g for r in rows for g in r["cpu_s"]})
        threads = sorted({g for r in rows for g in r["renderer_threads_s"]})
        summary[who] = {"MBps": med([r["MBps"] for r in rows]), "load": med([r["load"] for r in rows]),
                        "cpu_s": {g: med([r["cpu_s"].get(g, 0) for r in rows]) for g in groups},
                        "renderer_threads_s": {t: med([r["renderer_threads_s"].get(t, 0) for r in rows]) for t in threads},
                        "main_thread_ms_by_task": entries[who]}  # fmt: skip
    result = {"reps": reps, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "contenders": summary,
              "samples": samples}  # fmt: skip
    write_row1_md(result, BENCH / "profile-row1.md", c)
    return result


def rotate_list(items: list, rep: int) -> list:
    k = rep % len(items)
    return items[k:] + items[:k]


def write_row1_md(result: dict, path: Path, c: Any) -> None:
    con = result["contenders"]
    L = ["# Row 1: where the CPU goes (python -m bench --only 1 --profile)", "",
         f"Written {result['date']}; {c.big // MB} MB, ChunkSize {c.chunk // MB} MB, ChunkParallelLimit {c.parallel}; "
         f"medians of {result['reps']} interleaved uploads per contender. CPU seconds from /proc over each upload "
         "(2 cores: at most 2 CPU s per wall second); load average is the machine's, this bench included.", "",
         "## CPU seconds per process during one upload", ""]  # fmt: skip
    groups = sorted({g for u in con.values() for g in u["cpu_s"]})
    rows = [(who, u["MBps"], u["load"], *(u["cpu_s"].get(g, 0) for g in groups)) for who, u in con.items()]
    L += _table(rows, ("contender", "MB/s", "load", *groups)) + [""]
    L += ["## The renderer by thread (CPU s)", ""]
    threads = sorted({t for u in con.values() for t in u["renderer_threads_s"]})
    rows = [(who, *(u["renderer_threads_s"].get(t, 0) for t in threads)) for who, u in con.items()]
    L += _table(rows, ("contender", *threads)) + [""]
    L += ["## The renderer's main thread by task (CDP profile of one more upload, busy ms; sampling, so wall time "
          "on a loaded machine: compare within a contender)", ""]  # fmt: skip
    for who, u in con.items():
        items = u["main_thread_ms_by_task"]
        L += [f"**{who}** (busy {sum(items.values()):.0f} ms): " + "; ".join(f"{k} {v:.0f}" for k, v in list(items.items())[:8]), ""]
    path.write_text("\n".join(L) + "\n")


def _slug(who: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in who)[:40]
