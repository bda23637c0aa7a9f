"""The JavaScript half of the fetch and XHR transports (:mod:`cos_web.transport`), as source:
compiled once per page (``js.Function.new``) on the first request. Kept apart so the
transport module stays small.
"""

# One request, one call back into Python: the platform does the whole exchange (fetch or
# XHR, body read as text / ArrayBuffer / Blob) and calls ``done(id, status, statusText,
# headers (raw "name: value\r\n" text), body, error, counted)`` once (status 0: no answer,
# ``error`` says why); plain arguments, so Python reads no JS object field by field.
# ``send`` returns what ``.abort()`` aborts (the XHR or an AbortController); the request goes
# out from a microtask it queues (an abort before that: the send throws / fetch rejects).
# With ``down`` and no XHR, fetch reads the body stream itself to report download progress
# (loaded, total); total is the Content-Length, 0 when unknown (as XHR's progress events).
SEND_JS = r"""
const [done] = arguments;
// fetch with ``up`` (passed under Node.js only, see _in_node): the body goes as a stream of
// pieces with its Content-Length, each piece reported as Node takes it.
function counted(body, up) {
  let bytes = null, blob = null;
  if (typeof body === "string") bytes = new TextEncoder().encode(body);
  else if (body instanceof ArrayBuffer) bytes = new Uint8Array(body);
  else if (ArrayBuffer.isView(body)) bytes = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  else if (body instanceof Blob) blob = body;
  else return null;
  const size = bytes ? bytes.byteLength : blob.size;
  let at = 0;
  const stream = new ReadableStream({ async pull(c) {
    if (at >= size) { c.close(); return; }
    const end = Math.min(at + 262144, size);
    c.enqueue(bytes ? bytes.slice(at, end) : new Uint8Array(await blob.slice(at, end).arrayBuffer()));
    at = end;
    up(at, size);
  } }, { highWaterMark: 0 });
  // the Content-Type fetch would take from the body itself
  const type = bytes ? (typeof body === "string" ? "text/plain;charset=UTF-8" : "") : blob.type;
  return { stream, size, type };
}
async function streamed(r, rtype, down) {
  const length = +r.headers.get("content-length") || 0;
  const reader = r.body.getReader();
  const chunks = [];
  let loaded = 0;
  for (;;) {
    const { done: end, value } = await reader.read();
    if (end) break;
    chunks.push(value);
    loaded += value.byteLength;
    down(loaded, length && Math.max(length, loaded));
  }
  if (rtype === "blob") return new Blob(chunks, { type: r.headers.get("content-type") || "" });
  const all = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) { all.set(c, at); at += c.byteLength; }
  return rtype === "text" ? new TextDecoder().decode(all) : all.buffer;
}
return function cosWebSend(id, method, url, headers, body, rtype, up, down, useXhr, reload) {
  const fail = (e) => done(id, 0, "", "", null, String(e && e.message || e), false);
  const hs = headers ? headers.split("\n") : [];
  if (body === undefined) body = null;
  if (useXhr) {
    let x;
    try {
      x = new XMLHttpRequest();
      x.open(method, url, true);
      x.responseType = rtype === "bytes" ? "arraybuffer" : rtype;
      for (let i = 0; i + 1 < hs.length; i += 2) x.setRequestHeader(hs[i], hs[i + 1]);
    } catch (e) { fail(e); return null; }
    x.onload = () => done(id, x.status, x.statusText, x.getAllResponseHeaders(), x.response, null, false);
    x.onerror = () => fail("network error");
    x.onabort = () => fail("aborted");
    if (up) x.upload.onprogress = (e) => up(e.loaded, e.total);
    if (down) x.onprogress = (e) => down(e.loaded, e.total);
    // from a microtask: a shallow JS stack, not Python's wasm frames (send then costs ~half)
    queueMicrotask(() => { try { x.send(body); } catch (e) { fail(e); } }); return x;
  }
  const c = new AbortController();
  const pairs = [];
  for (let i = 0; i + 1 < hs.length; i += 2) pairs.push([hs[i], hs[i + 1]]);
  const init = { method, headers: pairs, signal: c.signal };
  if (reload) init.cache = "reload";  // past a kept answer that may be stale (transport.Freshness)
  const piecewise = up && body !== null ? counted(body, up) : null;
  if (piecewise) {
    init.body = piecewise.stream;
    init.duplex = "half";
    pairs.push(["content-length", String(piecewise.size)]);
    if (piecewise.type && !pairs.some(([k]) => k.toLowerCase() === "content-type")) pairs.push(["content-type", piecewise.type]);
  } else if (body !== null) init.body = body;
  let r;
  Promise.resolve().then(() => fetch(url, init)).then((res) => {  // from a microtask, as x.send
      r = res;
      if (down && r.body) return streamed(r, rtype, down);
      return rtype === "text" ? r.text() : rtype === "blob" ? r.blob() : r.arrayBuffer();
    })
    .then((b) => {
      let h = "";
      for (const [k, v] of r.headers) h += k + ": " + v + "\r\n";
      done(id, r.status, r.statusText, h, b, null, !!piecewise);
    }, fail);
  return c;
};
"""
