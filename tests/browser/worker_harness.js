// A plain dedicated Web Worker that boots Pyodide, installs the cos_web wheel and runs
// Python sent by postMessage -- the setting of a JupyterLite kernel: no window, no
// document, no localStorage. Driven by worker.html (see tests/browser/conftest.py).
//
// Messages in:  {type: "run", id, src, vars}   -> {type: "result", id, raw}  (raw: JSON text)
//               {type: "file", name, file}     -> {type: "file", name}      (a File from the page)
// Message out at boot: {type: "ready"} or {type: "error", error}.
import { loadPyodide } from "/node_modules/pyodide/pyodide.mjs";

const params = new URLSearchParams(location.search);
let run = null;

async function boot() {
  const pyodide = await loadPyodide({ indexURL: "/node_modules/pyodide/" });
  const wheel = params.get("wheel");
  if (wheel) {
    const response = await fetch(wheel, { cache: "no-store" });
    if (!response.ok) throw new Error(`wheel ${wheel}: HTTP ${response.status}`);
    const sitePackages = pyodide.runPython("import sysconfig; sysconfig.get_path('purelib')");
    pyodide.unpackArchive(await response.arrayBuffer(), "wheel", { extractDir: sitePackages });
  }
  const runner = await (await fetch("/tests/browser/harness_runner.py", { cache: "no-store" })).text();
  await pyodide.runPythonAsync(runner);
  run = pyodide.globals.get("_harness_run");
  globalThis.pyodide = pyodide;
  globalThis.testFiles = new Map();
}

const booted = boot().then(
  () => postMessage({ type: "ready" }),
  (e) => postMessage({ type: "error", error: String((e && e.stack) || e) }),
);

onmessage = async (event) => {
  const msg = event.data;
  await booted;
  if (msg.type === "file") {
    globalThis.testFiles.set(msg.name, msg.file);
    postMessage({ type: "file", name: msg.name });
  } else if (msg.type === "run") {
    let raw;
    try {
      raw = await run(msg.src, msg.vars);
    } catch (e) {
      raw = JSON.stringify({ ok: false, error: String((e && e.stack) || e) });
    }
    postMessage({ type: "result", id: msg.id, raw });
  }
};
