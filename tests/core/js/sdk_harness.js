// Runs cos-js-sdk-v5 (node_modules, unmodified) on JSON cases read from stdin and
// prints JSON results: used by tests/core to check cos_web against the JS SDK.
//
// Input: {"auth": [opts...]} -> COS.getAuthorization(opts) for each;
//        {"md5": [[text, isBinStr]...], "encodeBase64": [[value, safe]...], "xml2json": [...],
//         "json2xml": [...], "version": true} -> COS.util's results, COS.version;
//        {"calls": [{options, api, params, response: {statusCode, headers, body}}]}
//          -> for each, the request the SDK made (its custom Request hook) and its (err, data).
'use strict';
const path = require('path');
const root = path.resolve(__dirname, '..', '..', '..');
const origWarn = console.warn, origLog = console.log, origErr = console.error;
console.warn = () => {};
console.error = () => {};
console.log = () => {};
const COS = require(path.join(root, 'node_modules', 'cos-js-sdk-v5', 'src', 'cos.js'));

// Node has Blob but no FileReader; the SDK reads Blobs with it to hash them (UploadCheckContentMd5,
// UploadAddMetaMd5). A minimal stand-in, for this harness only.
if (typeof FileReader === 'undefined') {
  globalThis.FileReader = class {
    _read(blob, convert) {
      blob.arrayBuffer().then((buf) => { this.result = convert(buf); if (this.onload) this.onload.call(this, { target: this }); });
    }
    readAsArrayBuffer(blob) { this._read(blob, (buf) => buf); }
    readAsBinaryString(blob) {
      this._read(blob, (buf) => { let s = ''; for (const b of new Uint8Array(buf)) s += String.fromCharCode(b); return s; });
    }
  };
}

// lib/request.js's query string (the SDK appends it to opt.url)
var stringifyPrimitive = function (v) {
  switch (typeof v) {
    case 'string': return v;
    case 'boolean': return v ? 'true' : 'false';
    case 'number': return isFinite(v) ? v : '';
    default: return '';
  }
};
function fullUrl(opt) {
  let url = opt.url;
  if (opt.qs) {
    const qs = Object.keys(opt.qs).map((k) => encodeURIComponent(stringifyPrimitive(k)) + '=' + encodeURIComponent(stringifyPrimitive(opt.qs[k]))).join('&');
    if (qs) url += (url.indexOf('?') === -1 ? '?' : '&') + qs;
  }
  return url;
}

async function bodyText(body) {
  if (body === undefined || body === null) return null;
  if (typeof body === 'string') return body;
  if (body instanceof Blob) return { blob: await body.text(), type: body.type, size: body.size };
  return String(body);
}

function runCall(c) {
  return new Promise((resolve) => {
    const seen = [];
    const options = Object.assign({}, c.options, {
      Request: function (opt, cb) {
        seen.push(opt);
        const r = c.response || { statusCode: 200, headers: {}, body: '' };
        const body = r.body && r.body.$b64 !== undefined ? new Uint8Array(Buffer.from(r.body.$b64, 'base64')).buffer : r.body; // binary (select)
        setTimeout(() => cb({ statusCode: r.statusCode, statusMessage: r.statusMessage || '', headers: r.headers || {}, body }), 0);
        return { abort() {} };
      },
    });
    const cos = new COS(options);
    const params = c.params;
    const done = async (err, data) => {
      const reqs = [];
      for (const o of seen) {
        reqs.push({ method: o.method, url: fullUrl(o), headers: o.headers, body: await bodyText(o.body) });
      }
      let e = null;
      if (err) e = { code: err.code, message: err.message, statusCode: err.statusCode, ErrorStatus: err.ErrorStatus };
      resolve({ requests: reqs, err: e, data: data === undefined ? null : JSON.parse(JSON.stringify(data)) });
    };
    try {
      if (c.api === 'getObjectUrl') {
        const sync = cos.getObjectUrl(params, (err, data) => done(err, { sync, async: data && data.Url }));
        return;
      }
      cos[c.api](params, done);
    } catch (ex) {
      resolve({ requests: [], err: { code: 'throw', message: String(ex && ex.message) }, data: null });
    }
  });
}

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const out = {};
  if (input.auth) {
    out.auth = input.auth.map((o) => {
      try { return COS.getAuthorization(o); } catch (e) { return { error: String(e.message) }; }
    });
  }
  if (input.xml2json) out.xml2json = input.xml2json.map((x) => COS.util.xml2json(x));
  if (input.json2xml) out.json2xml = input.json2xml.map((x) => COS.util.json2xml(x));
  if (input.md5) out.md5 = input.md5.map(([text, isBin]) => COS.util.md5(text, isBin));
  if (input.encodeBase64) out.encodeBase64 = input.encodeBase64.map(([v, safe]) => COS.util.encodeBase64(v, safe));
  if (input.version) out.version = COS.version;
  if (input.calls) {
    out.calls = [];
    for (const c of input.calls) out.calls.push(await runCall(c));
  }
  return JSON.stringify(out);
}
// Exit only once stdout has drained: a pipe takes 64 KiB at a time, and exiting
// right after write() would cut a longer answer short.
main().then((text) => process.stdout.write(text, () => process.exit(0)));
