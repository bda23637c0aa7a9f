// Time `import cos_web` in a fresh Pyodide under Node: node bench/import_node.mjs WHEEL
// (issue 17's import row outside the browser; prints one JSON line with the ms and how many
// cos_web modules were loaded from a .pyc).
import fs from "node:fs";
import { loadPyodide } from "pyodide";

const [wheel] = process.argv.slice(2);
const pyodide = await loadPyodide({ stdout: () => {}, stderr: (l) => process.stderr.write(l + "\n") });
const sitePackages = pyodide.runPython("import sysconfig; sysconfig.get_path('purelib')");
pyodide.unpackArchive(new Uint8Array(fs.readFileSync(wheel)), "wheel", { extractDir: sitePackages });
const out = pyodide.runPython(`
import json, sys, time
t0 = time.perf_counter()
import cos_web
ms = (time.perf_counter() - t0) * 1000
mods = [m for m in sys.modules.values() if getattr(m, "__name__", "").startswith("cos_web")]
json.dumps({"ms": round(ms, 1), "modules": len(mods),
            "from_pyc": sum(type(m.__spec__.loader).__name__ == "SourceFileLoader" and m.__spec__.cached is not None
                            and __import__("os").path.exists(m.__spec__.cached) for m in mods)})
`);
process.stdout.write(out + "\n");
