// Pyodide under Node.js with cos_web installed, driven by pytest over stdin/stdout.
//
//   node tests/node/node_harness.mjs WHEEL RUNNER
//
// Boots the npm `pyodide` package once, unpacks WHEEL into its site-packages (as the browser
// harness does), loads RUNNER (tests/browser/harness_runner.py: the same run contract as
// the page), prints "@@ready", then answers each stdin line {"id", "code", "vars"} with one
// stdout line "@@result " + {"id", "result"} (result: the runner's JSON text). Python's own
// output goes to stderr, so stdout carries only these lines.

import dns from "node:dns";
import fs from "node:fs";
import readline from "node:readline";
import { loadPyodide } from "pyodide";

// Node resolves names with getaddrinfo, which does not know `*.localhost` (browsers map it to
// loopback, RFC 6761). Do what a hosts file would: answer those names with 127.0.0.1 and leave
// every other name alone. Node's global fetch (its bundled undici) connects through
// net.connect, which looks up through this very `dns.lookup` property, so fetch and
// pyodide.http.pyfetch reach the local COS server by the SDK's real virtual-host URLs.
const systemLookup = dns.lookup;
dns.lookup = function lookup(hostname, options, callback) {
  if (typeof options === "function") [callback, options] = [options, {}];
  if (typeof options === "number") options = { family: options };
  if (!/(^|\.)localhost\.?$/i.test(hostname)) return systemLookup.call(dns, hostname, options, callback);
  const answer = { address: "127.0.0.1", family: 4 };
  if (options && options.all) process.nextTick(callback, null, [answer]);
  else process.nextTick(callback, null, answer.address, answer.family);
  return {};
};

const [wheel, runnerPath] = process.argv.slice(2);
const toStderr = (line) => process.stderr.write(line + "\n");
const pyodide = await loadPyodide({ stdout: toStderr, stderr: toStderr });
if (process.env.COS_WEB_FASTPATH !== undefined) {
  // the same switch as the page's ?fastpath= (cos_web/_fastpath.py): set before cos_web is imported
  pyodide.runPython(`import os; os.environ["COS_WEB_FASTPATH"] = ${JSON.stringify(process.env.COS_WEB_FASTPATH)}`);
}
const sitePackages = pyodide.runPython("import sysconfig; sysconfig.get_path('purelib')");
pyodide.unpackArchive(new Uint8Array(fs.readFileSync(wheel)), "wheel", { extractDir: sitePackages });
await pyodide.runPythonAsync(fs.readFileSync(runnerPath, "utf8"));
const run = pyodide.globals.get("_harness_run");

process.stdout.write("@@ready " + JSON.stringify({ pyodide: pyodide.version }) + "\n");
const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  const { id, code, vars } = JSON.parse(line);
  let result;
  try {
    result = await run(code, JSON.stringify(vars || {}));
  } catch (e) {
    result = JSON.stringify({ ok: false, error: String((e && e.stack) || e) });
  }
  process.stdout.write("@@result " + JSON.stringify({ id, result }) + "\n");
}
