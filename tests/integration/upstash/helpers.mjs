// tests/integration/upstash/helpers.mjs: shared set-up for the @upstash/redis suite: where the
// daemon is (env from suite_upstash.sh), raw POST helpers, and a recording HTTP proxy that shows
// which endpoints the real client uses.
import http from "node:http";

export const URL_BASE = process.env.UPSTASH_REDIS_REST_URL;
export const TOKEN = process.env.UPSTASH_REDIS_REST_TOKEN;
if (!URL_BASE || !TOKEN) throw new Error("run through tests/integration/suite_upstash.sh (needs UPSTASH_REDIS_REST_URL/TOKEN)");

/** POSTs a raw body; returns {status, headers, text, json}. */
export async function post(path, body, { token = TOKEN, headers = {}, method = "POST" } = {}) {
  const h = { ...headers };
  if (token !== null) h.authorization = `Bearer ${token}`;
  const res = await fetch(URL_BASE + path, {
    method,
    headers: h,
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

/** A proxy in front of the daemon that records "METHOD /path" of every request it forwards. */
export async function recordingProxy() {
  const seen = [];
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    seen.push(`${req.method} ${req.url}`);
    const headers = { ...req.headers };
    delete headers.host;
    delete headers["content-length"];
    const up = await fetch(URL_BASE + req.url, { method: req.method, headers, body: Buffer.concat(chunks) });
    const buf = Buffer.from(await up.arrayBuffer());
    res.writeHead(up.status, { "content-type": up.headers.get("content-type") ?? "application/json" });
    res.end(buf);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${server.address().port}`, seen, close: () => new Promise((r) => server.close(r)) };
}
