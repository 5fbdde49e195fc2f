// daemon/http/dashboard.cpp: the dashboard page (see dashboard.h). It parses the Prometheus text
// itself and shows throughput, hit ratio, memory against the budget, keys, clients, evictions,
// expirations, the busiest commands and REST responses by status.
#include "daemon/http/dashboard.h"

namespace shardcache::http {
namespace {

constexpr std::string_view kPage = R"HTML(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>shardcache</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;background:#f6f7f9;color:#222}
h1{font-size:20px;margin:0 0 1em}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:12px}
.card{background:#fff;border-radius:8px;padding:12px 14px;box-shadow:0 1px 2px #0002}
.label{color:#667;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.value{font-size:24px;font-weight:600;margin-top:4px}
.bar{height:8px;background:#e3e6ea;border-radius:4px;margin-top:8px;overflow:hidden}
.bar>div{height:100%;background:#3b82f6;width:0}
table{border-collapse:collapse;margin-top:1.5em;background:#fff;border-radius:8px;box-shadow:0 1px 2px #0002}
td,th{padding:6px 14px;text-align:left}th{color:#667;font-weight:500}
#status{color:#667;margin-top:1em;font-size:12px}
</style></head><body>
<h1>shardcache</h1>
<div class="grid">
 <div class="card"><div class="label">Commands / s</div><div class="value" id="ops">–</div></div>
 <div class="card"><div class="label">Hit ratio</div><div class="value" id="hit">–</div></div>
 <div class="card"><div class="label">Memory</div><div class="value" id="mem">–</div><div class="bar"><div id="membar"></div></div></div>
 <div class="card"><div class="label">Keys</div><div class="value" id="keys">–</div></div>
 <div class="card"><div class="label">Clients</div><div class="value" id="clients">–</div></div>
 <div class="card"><div class="label">Evicted / expired</div><div class="value" id="evx">–</div></div>
 <div class="card"><div class="label">RSS</div><div class="value" id="rss">–</div></div>
 <div class="card"><div class="label">Uptime</div><div class="value" id="up">–</div></div>
</div>
<div style="display:flex;gap:24px;flex-wrap:wrap">
<table><thead><tr><th>Command</th><th>Calls</th><th>Per second</th></tr></thead><tbody id="cmds"></tbody></table>
<table><thead><tr><th>REST status</th><th>Requests</th></tr></thead><tbody id="http"></tbody></table>
</div>
<div id="status"></div>
<script>
"use strict";
let prev = null;
function parse(text) {
  const m = {};
  for (const line of text.split("\n")) {
    if (!line || line[0] === "#") continue;
    const r = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? (\S+)$/);
    if (!r) continue;
    const labels = {};
    if (r[3]) for (const kv of r[3].matchAll(/(\w+)="([^"]*)"/g)) labels[kv[1]] = kv[2];
    (m[r[1]] = m[r[1]] || []).push({labels, v: Number(r[4])});
  }
  return m;
}
const one = (m, n) => (m[n] && m[n][0] ? m[n][0].v : 0);
function bytes(n) {
  const u = ["B", "KB", "MB", "GB", "TB"]; let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return n.toFixed(i ? 1 : 0) + " " + u[i];
}
function set(id, v) { document.getElementById(id).textContent = v; }
function render(m, now) {
  const cmds = one(m, "shardcache_commands_processed_total");
  const dt = prev ? (now - prev.t) / 1000 : 0;
  set("ops", prev && dt > 0 ? Math.round((cmds - prev.cmds) / dt).toLocaleString() : "…");
  const hits = one(m, "shardcache_keyspace_hits_total"), miss = one(m, "shardcache_keyspace_misses_total");
  set("hit", hits + miss ? (100 * hits / (hits + miss)).toFixed(1) + " %" : "–");
  const used = one(m, "shardcache_used_memory_bytes"), max = one(m, "shardcache_maxmemory_bytes");
  set("mem", bytes(used) + (max ? " / " + bytes(max) : ""));
  document.getElementById("membar").style.width = max ? Math.min(100, 100 * used / max) + "%" : "0";
  set("keys", one(m, "shardcache_keys").toLocaleString());
  set("clients", one(m, "shardcache_connected_clients"));
  set("evx", one(m, "shardcache_evicted_keys_total") + " / " + one(m, "shardcache_expired_keys_total"));
  set("rss", bytes(one(m, "shardcache_process_resident_memory_bytes")));
  const up = one(m, "shardcache_uptime_seconds");
  set("up", up >= 86400 ? (up / 86400).toFixed(1) + " d" : up >= 3600 ? (up / 3600).toFixed(1) + " h" : up + " s");
  const per = {};
  for (const s of m["shardcache_commands_total"] || []) per[s.labels.cmd] = s.v;
  const rows = Object.entries(per).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]).slice(0, 12);
  document.getElementById("cmds").innerHTML = rows.map(([c, v]) => {
    const rate = prev && dt > 0 ? ((v - (prev.per[c] || 0)) / dt).toFixed(1) : "…";
    return "<tr><td>" + c + "</td><td>" + v.toLocaleString() + "</td><td>" + rate + "</td></tr>";
  }).join("");
  document.getElementById("http").innerHTML = (m["shardcache_http_requests_total"] || []).filter(s => s.v > 0)
    .map(s => "<tr><td>" + s.labels.code + "</td><td>" + s.v.toLocaleString() + "</td></tr>").join("");
  prev = {t: now, cmds, per};
}
async function tick() {
  try {
    const res = await fetch("metrics", {cache: "no-store"});
    render(parse(await res.text()), Date.now());
    set("status", "updated " + new Date().toLocaleTimeString());
  } catch (e) {
    set("status", "cannot reach the daemon: " + e);
  }
}
tick();
setInterval(tick, 2000);
</script></body></html>
)HTML";

}  // namespace

std::string_view dashboard_html() { return kPage; }

}  // namespace shardcache::http
