// Compile Python sources to bytecode with Pyodide's own interpreter (run by scripts/wheel.py).
//
//   node scripts/compile_pyc.mjs SRC_DIR OUT_DIR
//
// Why Pyodide and not the host Python: a .pyc is only read by the interpreter whose magic
// number wrote it, and the host venv (CPython 3.11) is not the browser's (Pyodide's 3.14).
// Every .py under SRC_DIR is copied into Pyodide's in-memory file system, compiled there by
// compileall with UNCHECKED_HASH invalidation (PEP 552: the import system trusts the .pyc
// without looking at the source's mtime, which a wheel's zip timestamps would not match
// anyway), and each resulting __pycache__/*.pyc is written to the same relative path under
// OUT_DIR. Prints one JSON line: {"cache_tag", "magic", "version", "count"}.

import fs from "node:fs";
import path from "node:path";
import { loadPyodide } from "pyodide";

const [srcDir, outDir] = process.argv.slice(2);
if (!srcDir || !outDir) {
  process.stderr.write("usage: node scripts/compile_pyc.mjs SRC_DIR OUT_DIR\n");
  process.exit(2);
}
const toStderr = (line) => process.stderr.write(line + "\n");
const pyodide = await loadPyodide({ stdout: toStderr, stderr: toStderr });
const FS = pyodide.FS;
const ROOT = "/tmp/cos-web-compile";

function walk(dir, rel = "") {
  const found = [];
  for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const relPath = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory() && entry.name !== "__pycache__") found.push(...walk(dir, relPath));
    else if (entry.isFile() && entry.name.endsWith(".py")) found.push(relPath);
  }
  return found;
}

const sources = walk(srcDir);
for (const rel of sources) {
  FS.mkdirTree(path.posix.dirname(`${ROOT}/${rel}`));
  FS.writeFile(`${ROOT}/${rel}`, fs.readFileSync(path.join(srcDir, rel)));
}
pyodide.globals.set("_root", ROOT);
const info = JSON.parse(
  pyodide.runPython(`
import compileall, importlib.util, json, py_compile, sys
ok = compileall.compile_dir(_root, quiet=1, workers=1,
                            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
if not ok:
    raise SystemExit("compileall failed")
json.dumps({"cache_tag": sys.implementation.cache_tag, "magic": importlib.util.MAGIC_NUMBER.hex(),
            "version": sys.version.split()[0]})
`),
);
let count = 0;
for (const rel of sources) {
  const pycRel = pyodide.runPython(
    `import importlib.util, os; os.path.relpath(importlib.util.cache_from_source(${JSON.stringify(`${ROOT}/${rel}`)}), _root)`,
  );
  const target = path.join(outDir, pycRel);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, FS.readFile(`${ROOT}/${pycRel}`));
  count += 1;
}
process.stdout.write(JSON.stringify({ ...info, count }) + "\n");
