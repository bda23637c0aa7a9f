// The bench's JavaScript contenders, loaded into the harness page (tests/browser/harness.html,
// where cos-js-sdk-v5 is the global COS): the official SDK, and raw fetch with nothing but
// COS.getAuthorization for signatures. Every function times itself with performance.now()
// and returns milliseconds, so both sides of a ratio are measured by the same clock.
globalThis.bench = (() => {
  const cfg = {};
  const MB = 1 << 20;

  function init(c) {
    Object.assign(cfg, c);
    cfg.host = `${c.BUCKET}.cos.${c.REGION}.localhost:${c.COS_PORT}`;
    cfg.base = `http://${cfg.host}`;
    return true;
  }

  function sdk(options) {
    return new COS({
      SecretId: cfg.SECRET_ID,
      SecretKey: cfg.SECRET_KEY,
      Domain: cfg.DOMAIN,
      Protocol: "http:",
      ...(options || {}),
    });
  }

  // cos.method(params) as a Promise, with the SDK's own callback convention.
  function call(cos, method, params) {
    return new Promise((resolve, reject) =>
      cos[method](params, (err, data) => (err ? reject(new Error(JSON.stringify(err))) : resolve(data))));
  }

  const file = (name) => globalThis.testFiles.get(name);
  const BR = () => ({ Bucket: cfg.BUCKET, Region: cfg.REGION });

  // ------------------------------------------------------------------ raw fetch

  function sign(method, key, query) {
    return COS.getAuthorization({
      SecretId: cfg.SECRET_ID,
      SecretKey: cfg.SECRET_KEY,
      Method: method,
      Key: key,
      Query: query || {},
      Headers: { host: cfg.host },
    });
  }

  function url(key, query) {
    const q = Object.entries(query || {})
      .map(([k, v]) => (v === "" ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`))
      .join("&");
    return `${cfg.base}/${key.split("/").map(encodeURIComponent).join("/")}${q ? "?" + q : ""}`;
  }

  async function raw(method, key, { query, body, headers } = {}) {
    const resp = await fetch(url(key, query), {
      method,
      body,
      headers: { Authorization: sign(method, key, query), ...(headers || {}) },
    });
    if (!resp.ok) throw new Error(`${method} ${key}: HTTP ${resp.status} ${await resp.text()}`);
    return resp;
  }

  // multipartInit, parts by `parallel` workers pulling from one counter, multipartComplete.
  async function rawSliceUpload(name, key, chunkSize, parallel) {
    const body = file(name);
    const t0 = performance.now();
    const init = await (await raw("POST", key, { query: { uploads: "" } })).text();
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(init)[1];
    const t1 = performance.now();
    const count = Math.ceil(body.size / chunkSize);
    const etags = new Array(count);
    let next = 0;
    async function worker() {
      while (next < count) {
        const i = next++;
        const part = body.slice(i * chunkSize, Math.min(body.size, (i + 1) * chunkSize));
        const resp = await raw("PUT", key, { query: { partNumber: String(i + 1), uploadId }, body: part });
        etags[i] = resp.headers.get("ETag");
        await resp.arrayBuffer();
      }
    }
    await Promise.all(Array.from({ length: parallel }, worker));
    const t2 = performance.now();
    const xml = "<CompleteMultipartUpload>" +
      etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join("") +
      "</CompleteMultipartUpload>";
    const done = await (await raw("POST", key, { query: { uploadId }, body: xml, headers: { "Content-Type": "application/xml" } })).text();
    const ms = performance.now() - t0;
    const etag = (/<ETag>([^<]+)<\/ETag>/.exec(done) || [])[1] || "";
    return { ms, size: body.size, parts: count, etag, phases_ms: { init: t1 - t0, parts: t2 - t1, complete: t0 + ms - t2 } };
  }

  async function rawGetBlob(key) {
    const t0 = performance.now();
    const blob = await (await raw("GET", key)).blob();
    return { ms: performance.now() - t0, size: blob.size };
  }

  // `n` putObject of a 1 KB body then `n` headObject, `inflight` at a time, with raw fetch.
  async function rawSmallOps(n, inflight, prefix) {
    const body = new Uint8Array(1024).fill(120);
    const put = await pool(n, inflight, (i) => raw("PUT", `${prefix}${i}`, { body }).then((r) => r.text()));
    const head = await pool(n, inflight, (i) => raw("HEAD", `${prefix}${i}`));
    return { put_ms: put, head_ms: head };
  }

  // HEAD of each key with signatures made beforehand: the floor of fetch and of XHR.
  async function presignedHeads(keys, useXhr) {
    const reqs = keys.map((k) => [url(k), sign("HEAD", k)]);
    const xhrHead = ([u, auth]) => new Promise((resolve, reject) => {
      const x = new XMLHttpRequest();
      x.open("HEAD", u, true);
      x.setRequestHeader("Authorization", auth);
      x.onload = () => (x.status === 200 ? resolve(x.getAllResponseHeaders()) : reject(new Error(`HTTP ${x.status}`)));
      x.onerror = () => reject(new Error("network"));
      x.send();
    });
    const fetchHead = async ([u, auth]) => {
      const r = await fetch(u, { method: "HEAD", headers: { Authorization: auth } });
      if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
      return Object.fromEntries(r.headers.entries());
    };
    return pool(reqs.length, 1, (i) => (useXhr ? xhrHead : fetchHead)(reqs[i]));
  }

  // One XHR HEAD as one Promise of {status, headers} (raw header text): what a transport
  // awaited once from Python would cost.
  function xhrHead(u, auth) {
    return new Promise((resolve, reject) => {
      const x = new XMLHttpRequest();
      x.open("HEAD", u, true);
      x.setRequestHeader("Authorization", auth);
      x.onload = () => resolve({ status: x.status, headers: x.getAllResponseHeaders() });
      x.onerror = () => reject(new Error("network"));
      x.send();
    });
  }

  async function sdkHeads(keys) {
    const cos = sdk();
    return pool(keys.length, 1, (i) => call(cos, "headObject", { ...BR(), Key: keys[i] }));
  }

  // ------------------------------------------------------------------ cos-js-sdk-v5

  async function sdkSliceUpload(name, key, chunkSize, parallel) {
    const cos = sdk({ ChunkParallelLimit: parallel });
    const body = file(name);
    const t0 = performance.now();
    const data = await call(cos, "sliceUploadFile", { ...BR(), Key: key, Body: body, ChunkSize: chunkSize });
    return { ms: performance.now() - t0, size: body.size, etag: data.ETag || "" };
  }

  async function sdkSmallOps(n, inflight, prefix) {
    const cos = sdk();
    const body = new Blob([new Uint8Array(1024).fill(120)]);
    const put = await pool(n, inflight, (i) => call(cos, "putObject", { ...BR(), Key: `${prefix}${i}`, Body: body }));
    const head = await pool(n, inflight, (i) => call(cos, "headObject", { ...BR(), Key: `${prefix}${i}` }));
    return { put_ms: put, head_ms: head };
  }

  async function sdkGetBlob(key) {
    const cos = sdk();
    const t0 = performance.now();
    const data = await call(cos, "getObject", { ...BR(), Key: key, DataType: "blob" });
    return { ms: performance.now() - t0, size: data.Body.size };
  }

  // `n` tasks, `inflight` at a time (workers pulling from one counter); elapsed ms.
  async function pool(n, inflight, task) {
    let next = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: Math.min(inflight, n) }, async () => {
      while (next < n) await task(next++);
    }));
    return performance.now() - t0;
  }

  // ------------------------------------------------------------------ default options (bench/links.py)

  // sliceUploadFile with no ChunkSize and no ChunkParallelLimit: what a user who tunes nothing gets.
  async function sdkDefaultUpload(name, key) {
    const cos = sdk();
    const body = file(name);
    const t0 = performance.now();
    const data = await call(cos, "sliceUploadFile", { ...BR(), Key: key, Body: body });
    return { ms: performance.now() - t0, size: body.size, etag: data.ETag || "" };
  }

  // The main thread during an upload: frames drawn vs the frames a 60 Hz display would show,
  // and the time spent in long tasks (> 50 ms; PerformanceObserver "longtask").
  let monitor = null;
  function startMainThreadMonitor() {
    const m = { t0: performance.now(), frames: 0, longMs: 0, longTasks: 0, gaps: 0, running: true };
    const frame = (t) => {
      if (!m.running) return;
      if (m.last !== undefined && t - m.last > 1000 / 60 * 1.5) m.gaps += Math.round((t - m.last) / (1000 / 60)) - 1;
      m.last = t;
      m.frames++;
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
    try {
      m.observer = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) { m.longMs += e.duration; m.longTasks++; }
      });
      m.observer.observe({ type: "longtask", buffered: false });
    } catch (e) { m.observer = null; }
    monitor = m;
    return true;
  }
  function stopMainThreadMonitor() {
    const m = monitor;
    monitor = null;
    m.running = false;
    if (m.observer) { m.observer.takeRecords().forEach((e) => { m.longMs += e.duration; m.longTasks++; }); m.observer.disconnect(); }
    const ms = performance.now() - m.t0;
    return { ms, frames: m.frames, dropped: m.gaps, longMs: m.longMs, longTasks: m.longTasks };
  }

  // ------------------------------------------------------------------ wasm heap

  function heapBytes() {
    const m = globalThis.pyodide && globalThis.pyodide._module;
    if (!m) return null;
    const heap = m.HEAPU8 || m.HEAP8;
    return heap ? heap.buffer.byteLength : null;
  }

  let sampler = null;
  function startHeapSampler(intervalMs) {
    const s = { start: heapBytes(), max: heapBytes(), samples: 0 };
    s.timer = setInterval(() => { s.max = Math.max(s.max, heapBytes()); s.samples++; }, intervalMs || 50);
    sampler = s;
    return s.start;
  }
  function stopHeapSampler() {
    const s = sampler;
    clearInterval(s.timer);
    s.end = heapBytes();
    s.max = Math.max(s.max, s.end);
    sampler = null;
    return { start: s.start, max: s.max, end: s.end, samples: s.samples };
  }

  return {
    init, sdk, call, sign, url, raw, pool,
    rawSliceUpload, rawGetBlob, rawSmallOps, presignedHeads, sdkHeads, xhrHead,
    sdkSliceUpload, sdkSmallOps, sdkGetBlob, sdkDefaultUpload, startMainThreadMonitor, stopMainThreadMonitor,
    heapBytes, startHeapSampler, stopHeapSampler, MB,
  };
})();
