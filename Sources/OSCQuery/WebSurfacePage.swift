/// The web control surface: one page for phones and tablets, served at `/` to a browser by the OSCQuery
/// server. No build step and nothing from outside (it works offline in a club): it reads the OSCQuery
/// tree for its controls, LISTENs to every value over the WebSocket, sends moves as OSC messages over
/// the same socket, and LISTENs to `/lvj/status` (the engine's status feedback) and `/lvj/preview`
/// (the live thumbnail). Several clients stay in sync through LISTEN.
enum WebSurfacePage {
    static let html = #"""
<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<title>LatentVJ</title>
<style>
:root { --bg:#0d0f14; --card:#171a22; --line:#2a2f3c; --text:#e8eaf0; --dim:#8a90a0; --accent:#38d3c4; --warn:#ff5a5f; --amber:#f5b942; }
* { box-sizing:border-box; }
body { margin:0; background:var(--bg); color:var(--text); font:15px/1.3 system-ui, sans-serif; -webkit-user-select:none; user-select:none; }
header { position:sticky; top:0; z-index:2; display:flex; gap:10px; align-items:center; padding:8px 10px; background:#0a0c10ee; border-bottom:1px solid var(--line); flex-wrap:wrap; }
#preview { width:72px; height:72px; border-radius:6px; background:#000; image-rendering:auto; }
.meter { display:flex; flex-direction:column; gap:3px; min-width:120px; flex:1; }
.bar { height:10px; background:#222733; border-radius:5px; overflow:hidden; }
.bar > div { height:100%; width:0; background:var(--accent); transition:width .3s; }
#spark { width:100%; height:26px; }
.stat { font-variant-numeric:tabular-nums; color:var(--dim); font-size:13px; }
.stat b { color:var(--text); font-size:16px; }
#beat { display:inline-block; width:10px; height:10px; border-radius:5px; background:#333; margin-left:4px; }
#conn { font-size:12px; color:var(--warn); }
#conn.ok { color:var(--accent); }
main { padding:10px; display:grid; grid-template-columns:repeat(auto-fill, minmax(300px, 1fr)); gap:10px; }
section { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:10px; }
section h2 { margin:0 0 8px; font-size:13px; letter-spacing:.08em; text-transform:uppercase; color:var(--dim); }
.row { display:grid; grid-template-columns:1fr auto; gap:4px 8px; align-items:center; margin:6px 0; }
.row label { font-size:13px; overflow:hidden; text-overflow:ellipsis; white-space:nowrap; }
.row .val { font-size:12px; color:var(--dim); font-variant-numeric:tabular-nums; text-align:right; min-width:48px; }
.row .ctl { grid-column:1 / span 2; display:flex; gap:6px; align-items:center; }
input[type=range] { flex:1; height:34px; accent-color:var(--accent); }
select, input[type=text] { flex:1; height:34px; background:#0f1218; color:var(--text); border:1px solid var(--line); border-radius:6px; padding:0 8px; font-size:15px; }
button { height:34px; min-width:44px; padding:0 10px; border-radius:6px; border:1px solid var(--line); background:#222733; color:var(--text); font-size:14px; }
button.on { background:var(--accent); color:#001; border-color:var(--accent); }
button.rec.on { background:var(--warn); border-color:var(--warn); color:#fff; }
button.learn { min-width:34px; padding:0 6px; font-size:11px; color:var(--dim); }
button.learn.armed { background:var(--amber); color:#000; }
.big { display:grid; grid-template-columns:repeat(2, 1fr); gap:8px; }
.big button { height:52px; font-size:15px; font-weight:600; letter-spacing:.04em; }
.presets { display:grid; grid-template-columns:repeat(auto-fill, minmax(90px, 1fr)); gap:6px; }
.presets button { height:48px; }
.hint { color:var(--dim); font-size:12px; }
.stats { display:flex; gap:16px; }
@media (max-width: 520px) { #preview { width:64px; height:64px; } .meter { min-width:0; } .stats { width:100%; justify-content:space-between; } }
</style></head>
<body>
<header>
  <canvas id="preview" width="96" height="96" title="live preview"></canvas>
  <div class="meter"><div class="stat">correlation <b id="corr">–</b></div><div class="bar"><div id="corrbar"></div></div><canvas id="spark" width="300" height="26"></canvas></div>
  <div class="stats"><div class="stat"><b id="bpm">–</b> BPM<span id="beat"></span><br><span id="tempo">–</span><br>quantize <span id="quant">–</span></div>
  <div class="stat"><b id="fps">–</b> fps<br>preset <span id="preset">–</span><br><span id="conn">offline</span></div></div>
</header>
<main id="main"><section><h2>Stage</h2><div class="big" id="stage"></div></section>
<section><h2>Presets</h2><div class="presets" id="presets"></div>
<div class="row"><div class="ctl"><button id="morphmode">morph</button><input type="range" id="morphtime" min="0" max="30" step="0.5" value="4"><span class="val" id="morphval">4 s</span></div></div>
<div class="row"><div class="ctl"><input type="text" id="savename" placeholder="save as…" maxlength="64"><button id="save">save</button></div></div>
<p class="hint" id="presethint"></p></section></main>
<script>
"use strict";
const query = new URLSearchParams(location.search);
const token = query.get("token");
const controls = {};          // OSC address -> {node, set(value), busy}
let socket = null, tree = null, morphOn = true, armed = null, wasConnected = false;
const sparkValues = [];
// What arrived, for monitors and the tests: preview frames, values, status messages.
const stats = window.lvjStats = {previews: 0, values: 0, status: 0};

// OSC 1.0, the types this surface uses.
function pad(n) { return (n + 4) & ~3; }
function oscString(s) { const b = new TextEncoder().encode(s); const out = new Uint8Array(pad(b.length)); out.set(b); return out; }
function oscMessage(address, args) {
  const parts = [oscString(address), oscString("," + args.map(a => a.t).join(""))];
  for (const a of args) {
    if (a.t === "s") { parts.push(oscString(a.v)); continue; }
    const b = new DataView(new ArrayBuffer(4));
    if (a.t === "f") b.setFloat32(0, a.v); else b.setInt32(0, a.v);
    parts.push(new Uint8Array(b.buffer));
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0)); let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
function readString(view, at) { let end = at; while (view.getUint8(end) !== 0) end++; return [new TextDecoder().decode(new Uint8Array(view.buffer, at, end - at)), pad(end - at) + at]; }
function parseOSC(buffer) {
  const v = new DataView(buffer); let [address, at] = readString(v, 0); let tags; [tags, at] = readString(v, at);
  const args = [];
  for (const t of tags.slice(1)) {
    if (t === "f") { args.push(v.getFloat32(at)); at += 4; }
    else if (t === "i") { args.push(v.getInt32(at)); at += 4; }
    else if (t === "d") { args.push(v.getFloat64(at)); at += 8; }
    else if (t === "h") { args.push(Number(v.getBigInt64(at))); at += 8; }
    else if (t === "s") { let s; [s, at] = readString(v, at); args.push(s); }
    else if (t === "T") args.push(1); else if (t === "F") args.push(0);
  }
  return [address, args];
}
function send(address, args) { if (socket && socket.readyState === 1) socket.send(oscMessage(address, args)); }

function methods(node, out) {
  if (node.TYPE !== undefined) out.push(node);
  for (const k of Object.keys(node.CONTENTS || {}).sort()) methods(node.CONTENTS[k], out);
  return out;
}
function group(path) { const p = path.split("/"); return p.length > 3 ? p[2] : "main"; }
function label(path) { const p = path.split("/"); return p.slice(p.length > 3 ? 3 : 2).join(" "); }
function el(tag, attrs, text) { const e = document.createElement(tag); Object.assign(e, attrs || {}); if (text !== undefined) e.textContent = text; return e; }
function show(n, v) { return typeof v === "string" ? v : (n.TYPE === "f" ? v.toFixed(Math.abs(v) >= 100 ? 0 : 2) : String(v)) + (n.UNIT ? " " + n.UNIT[0] : ""); }

function control(n) {
  const row = el("div", {className: "row"}); row.dataset.path = n.FULL_PATH;
  const name = n.FULL_PATH.split("/").slice(2).join(".");
  row.append(el("label", {title: n.DESCRIPTION || ""}, label(n.FULL_PATH)));
  const val = el("span", {className: "val"}); row.append(val);
  const ctl = el("div", {className: "ctl"}); row.append(ctl);
  const c = {node: n, busy: false, set: () => {}};
  const range = (n.RANGE || [{}])[0] || {};
  if (n.TYPE === "N") {
    const b = el("button", {}, label(n.FULL_PATH)); b.onclick = () => send(n.FULL_PATH, []); ctl.append(b); val.textContent = "";
  } else if (n.TYPE === "s") {
    const s = el("select"); for (const o of range.VALS || []) s.append(el("option", {value: o}, o));
    s.onchange = () => send(n.FULL_PATH, [{t: "s", v: s.value}]); ctl.append(s);
    c.set = v => { s.value = v; val.textContent = ""; };
  } else if (n.TYPE === "i" && range.MIN === 0 && range.MAX === 1) {
    const b = el("button", {}, "off"); ctl.append(b);
    let on = 0; b.onclick = () => send(n.FULL_PATH, [{t: "i", v: on ? 0 : 1}]);
    c.set = v => { on = v ? 1 : 0; b.textContent = on ? "on" : "off"; b.classList.toggle("on", !!on); };
  } else {
    const r = el("input", {type: "range", min: range.MIN, max: range.MAX, step: n.TYPE === "i" ? 1 : "any"});
    r.oninput = () => { c.busy = true; const v = Number(r.value); val.textContent = show(n, v); send(n.FULL_PATH, [{t: n.TYPE, v: v}]); };
    r.onchange = r.onpointerup = r.onpointercancel = r.onblur = () => { c.busy = false; };
    ctl.append(r); c.set = v => { if (!c.busy) r.value = v; val.textContent = show(n, v); };
  }
  if (n.ACCESS === 3) {
    const learn = el("button", {className: "learn", title: "MIDI learn: move a knob next"}, "learn");
    learn.onclick = () => { send("/lvj/learn", [{t: "s", v: name}]); if (armed) armed.classList.remove("armed"); armed = learn; learn.classList.add("armed"); };
    ctl.append(learn); c.learn = learn;
  }
  if (n.VALUE) c.set(n.VALUE[0]);
  controls[n.FULL_PATH] = c;
  return row;
}

function build() {
  const all = methods(tree, []);
  const groups = {};
  const stage = document.getElementById("stage");
  for (const n of all) {
    const p = n.FULL_PATH;
    if (p.startsWith("/lvj/preset/") || p.startsWith("/lvj/record/") || p.startsWith("/lvj/palette/") || p === "/lvj/learn" || p === "/lvj/reload") continue;
    if (["/lvj/record", "/lvj/freeze", "/lvj/blackout", "/lvj/tempo/tap"].includes(p)) {
      const b = el("button", {className: p === "/lvj/record" ? "rec" : ""}, p === "/lvj/tempo/tap" ? "TAP" : label(p).toUpperCase());
      const c = {node: n, busy: false, set: v => b.classList.toggle("on", !!v)};
      b.onclick = () => n.TYPE === "N" ? send(p, []) : send(p, [{t: "i", v: b.classList.contains("on") ? 0 : 1}]);
      b.dataset.path = p; stage.append(b); controls[p] = c; if (n.VALUE) c.set(n.VALUE[0]); continue;
    }
    (groups[group(p)] = groups[group(p)] || []).push(n);
  }
  const main = document.getElementById("main");
  for (const g of Object.keys(groups)) {
    const s = el("section"); s.append(el("h2", {}, g));
    for (const n of groups[g]) s.append(control(n));
    main.append(s);
  }
  presets();
}

function presets() {
  const load = methods(tree, []).find(n => n.FULL_PATH === "/lvj/preset/load");
  const box = document.getElementById("presets"); box.textContent = "";
  const names = load && load.RANGE && load.RANGE[0].VALS || [];
  document.getElementById("presethint").textContent = names.length ? "" : "no presets yet: save one";
  for (const name of names) {
    const b = el("button", {}, name); b.dataset.preset = name;
    b.onclick = () => morphOn ? send("/lvj/preset/morph", [{t: "s", v: name}, {t: "f", v: Number(document.getElementById("morphtime").value)}])
                              : send("/lvj/preset/load", [{t: "s", v: name}]);
    box.append(b);
  }
}

function status(address, a) {
  const $ = id => document.getElementById(id);
  if (address === "/lvj/status/correlation") {
    $("corr").textContent = a[0].toFixed(2); $("corrbar").style.width = Math.max(0, Math.min(1, Math.abs(a[0]))) * 100 + "%";
    sparkValues.push(a[0]); if (sparkValues.length > 120) sparkValues.shift(); spark();
  } else if (address === "/lvj/status/fps") $("fps").textContent = a[0].toFixed(0);
  else if (address === "/lvj/status/bpm") $("bpm").textContent = a[0].toFixed(1);
  else if (address === "/lvj/status/preset") { if ($("preset").textContent !== (a[0] || "–")) refreshPresets(); $("preset").textContent = a[0] || "–"; }
  else if (address === "/lvj/status/recording") { const c = controls["/lvj/record"]; if (c) c.set(a[0]); }
  else if (address === "/lvj/status/tempo") {
    $("tempo").textContent = a[0] + (a[4] ? "" : " (stopped)") + (a[5] ? " · detected" : "");
    $("beat").style.background = a[2] < 0.25 ? "var(--accent)" : "#333";
  }
}
function spark() {
  const c = document.getElementById("spark"), g = c.getContext("2d"); g.clearRect(0, 0, c.width, c.height);
  g.strokeStyle = "#38d3c4"; g.lineWidth = 2; g.beginPath();
  sparkValues.forEach((v, i) => { const x = i * c.width / 119, y = c.height * (1 - (Math.max(-1, Math.min(1, v)) + 1) / 2); i ? g.lineTo(x, y) : g.moveTo(x, y); });
  g.stroke();
}
function preview(buffer) {
  const v = new DataView(buffer), w = v.getUint16(4, true), h = v.getUint16(6, true);
  const canvas = document.getElementById("preview"); if (canvas.width !== w) { canvas.width = w; canvas.height = h; }
  const img = new ImageData(w, h), px = new Uint8Array(buffer, 8);
  for (let i = 0; i < w * h; i++) { img.data[4*i] = px[4*i]; img.data[4*i+1] = px[4*i+1]; img.data[4*i+2] = px[4*i+2]; img.data[4*i+3] = 255; }
  canvas.getContext("2d").putImageData(img, 0, 0);
}

function connect() {
  const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/" + (token ? "?token=" + encodeURIComponent(token) : "");
  socket = new WebSocket(url); socket.binaryType = "arraybuffer";
  socket.onopen = () => {
    if (wasConnected) { location.reload(); return; }     // the engine came back: its controls may be others
    wasConnected = true;
    const c = document.getElementById("conn"); c.textContent = "connected"; c.className = "ok";
    for (const p of Object.keys(controls)) if (controls[p].node.TYPE !== "N") socket.send(JSON.stringify({COMMAND: "LISTEN", DATA: p}));
    socket.send(JSON.stringify({COMMAND: "LISTEN", DATA: "/lvj/status"}));
    socket.send(JSON.stringify({COMMAND: "LISTEN", DATA: "/lvj/preview"}));
  };
  socket.onmessage = e => {
    if (typeof e.data === "string") { const m = JSON.parse(e.data); if (m.COMMAND === "PATH_ADDED" || m.COMMAND === "PATH_REMOVED") location.reload(); return; }
    const head = new Uint8Array(e.data, 0, 4);
    if (head[0] === 76 && head[1] === 86 && head[2] === 74 && head[3] === 80) { stats.previews++; return preview(e.data); }   // "LVJP"
    const [address, args] = parseOSC(e.data);
    if (address.startsWith("/lvj/status/")) { stats.status++; return status(address, args); }
    stats.values++;
    const c = controls[address];
    if (address === "/lvj/control/quantize") document.getElementById("quant").textContent = args[0];
    if (c) { c.set(args[0]); if (c.learn && armed === c.learn) { armed.classList.remove("armed"); armed = null; } }
  };
  socket.onclose = e => {
    const c = document.getElementById("conn"); c.className = "";
    if (e.code === 1008) { c.textContent = e.reason || "refused"; return; }     // a token or another site: retrying cannot help
    c.textContent = "reconnecting…"; setTimeout(connect, 1000);
  };
}

document.getElementById("morphmode").onclick = e => { morphOn = !morphOn; e.target.classList.toggle("on", morphOn); };
document.getElementById("morphmode").classList.add("on");
document.getElementById("morphtime").oninput = e => { document.getElementById("morphval").textContent = e.target.value + " s"; };
document.getElementById("save").onclick = () => {
  const name = document.getElementById("savename").value.trim();
  if (name) send("/lvj/preset/save", [{t: "s", v: name}]);   // the list is read again when the preset's name changes
};
function refreshPresets() { fetch("/lvj/preset/load", {headers: {Accept: "application/json"}}).then(r => r.json()).then(n => { const load = methods(tree, []).find(m => m.FULL_PATH === "/lvj/preset/load"); if (load) load.RANGE = n.RANGE; presets(); }); }
fetch("/", {headers: {Accept: "application/json"}}).then(r => r.json()).then(t => { tree = t; build(); connect(); })
  .catch(e => { document.getElementById("conn").textContent = "cannot read the engine: " + e; });
</script>
</body></html>
"""#
}
