// The fleet dashboard's script, served by examples/dashboard.rs (hand-written, plain JavaScript,
// no build step). It receives the board's updates over Server-Sent Events (`/events`): each one
// carries the rows of the vehicles that changed (their latest values only), new notifications
// and connection events, and the counters. The table is virtual (DOM rows only for the vehicles
// in view) and redrawn at most once per animation frame, and the plot moves only the dots of
// vehicles that changed, so the page stays responsive with tens of thousands of vehicles.
"use strict";

const NOTES_SHOWN = 100;
const LOG_SHOWN = 50;
const MAP_EVERY_MS = 1000;

const $ = (id) => document.getElementById(id);
const tbody = document.querySelector("#vehicles tbody");
const svg = $("map");
const SVG_NS = "http://www.w3.org/2000/svg";

/** id → {row, dot, mapDirty} */
const vehicles = new Map();
/** The vehicle ids in table order (sorted). */
const order = [];
let staleAfterMs = 15 * 60 * 1000;
/** The server's clock minus the browser's, so that ages do not depend on the browser's clock. */
let skewMs = 0;
let positionsDirty = false;

const dash = "–";
const round = (x) => (x == null ? dash : `${Math.round(x)} %`);
const fixed = (x, digits, unit) => (x == null ? dash : `${x.toFixed(digits)} ${unit}`);

function battery(row) {
  const parts = [];
  if (row.battery_v != null) parts.push(`${row.battery_v.toFixed(1)} V`);
  if (row.battery_pct != null) parts.push(`${Math.round(row.battery_pct)} %`);
  return parts.length ? parts.join(" · ") : dash;
}

function position(row) {
  return row.lat == null || row.lon == null ? dash : `${row.lat.toFixed(5)}, ${row.lon.toFixed(5)}`;
}

function ignition(row) {
  return row.ignition == null ? dash : row.ignition ? "on" : "off";
}

function age(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86400)} d`;
}

/** The text of each data column, from a row. */
const COLUMNS = {
  status: (r) => r.status ?? dash,
  soc: (r) => round(r.soc),
  battery: battery,
  speed: (r) => fixed(r.speed, 1, "km/h"),
  position: position,
  ignition: ignition,
  updated: (r) => r.timestamp ?? dash,
};

function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

function insertionIndex(id) {
  let lo = 0, hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (order[mid] < id) lo = mid + 1; else hi = mid;
  }
  return lo;
}

// The table is virtual: it holds DOM rows only for the vehicles in view (plus a margin), and
// two spacer rows that give the scroll bar the height of all of them. A frame's cost is then
// the rows in view, whatever the size of the fleet.
const ROW_HEIGHT = 30;
const OVERSCAN = 8;
const scroller = $("fleet");
const table = $("vehicles");
const spacer = (cls) => {
  const tr = document.createElement("tr");
  tr.className = `spacer ${cls}`;
  const td = document.createElement("td");
  td.colSpan = 9;
  tr.append(td);
  tbody.append(tr);
  return td;
};
const above = spacer("above");
const below = spacer("below");
/** The DOM rows in use, each {tr, cells}. */
const pool = [];
let renderQueued = false;

function makeRow() {
  const tr = document.createElement("tr");
  const cells = {};
  const vehicle = document.createElement("td");
  vehicle.dataset.col = "vehicle";
  cells.name = document.createElement("strong");
  cells.id = document.createElement("span");
  cells.id.className = "id";
  vehicle.append(cells.name, cells.id);
  tr.append(vehicle);
  for (const col of [...Object.keys(COLUMNS), "age"]) {
    const td = document.createElement("td");
    td.dataset.col = col;
    if (col === "age") td.className = "fresh";
    tr.append(td);
    cells[col] = td;
  }
  return { tr, cells };
}

function fill({ tr, cells }, row, now) {
  if (tr.dataset.id !== row.id) tr.dataset.id = row.id;
  setText(cells.name, row.name ?? "");
  setText(cells.id, row.id);
  for (const [col, text] of Object.entries(COLUMNS)) setText(cells[col], text(row));
  const silent = row.received_ms == null ? null : now - row.received_ms;
  setText(cells.age, silent == null ? "no status yet" : age(silent));
  const stale = silent != null && silent > staleAfterMs;
  if (tr.classList.contains("stale") !== stale) tr.classList.toggle("stale", stale);
}

function queueRender() {
  if (!renderQueued) {
    renderQueued = true;
    requestAnimationFrame(render);
  }
}

function render() {
  renderQueued = false;
  const head = table.tHead.offsetHeight;
  const first = Math.max(0, Math.floor((scroller.scrollTop - head) / ROW_HEIGHT) - OVERSCAN);
  const shown = Math.ceil(scroller.clientHeight / ROW_HEIGHT) + 2 * OVERSCAN;
  const last = Math.min(order.length, first + shown);
  while (pool.length < last - first) {
    const row = makeRow();
    pool.push(row);
    tbody.insertBefore(row.tr, below.parentElement);
  }
  while (pool.length > Math.max(0, last - first)) pool.pop().tr.remove();
  above.style.height = `${first * ROW_HEIGHT}px`;
  below.style.height = `${(order.length - last) * ROW_HEIGHT}px`;
  const now = Date.now() + skewMs;
  for (let i = first; i < last; i++) fill(pool[i - first], vehicles.get(order[i]).row, now);
  table.dataset.rows = String(order.length);
}

function updateRow(row) {
  let entry = vehicles.get(row.id);
  if (!entry) {
    entry = { row, dot: null, mapDirty: true };
    vehicles.set(row.id, entry);
    order.splice(insertionIndex(row.id), 0, row.id);
  }
  entry.row = row;
  entry.mapDirty = true;
  positionsDirty = true;
}

function addNote(note) {
  const li = document.createElement("li");
  const priority = (note.priority || "-").toLowerCase();
  li.className = `prio-${/^[a-z]+$/.test(priority) ? priority : "other"}`;
  li.dataset.priority = note.priority;
  const title = document.createElement("strong");
  title.textContent = note.title ?? "(no title)";
  const meta = document.createElement("div");
  meta.className = "meta";
  const who = note.vehicle_id ? vehicles.get(note.vehicle_id)?.row?.name ?? note.vehicle_id : "";
  meta.textContent = [note.priority, note.kind, who, note.timestamp].filter(Boolean).join(" · ");
  li.append(title, meta);
  if (note.message) {
    const text = document.createElement("div");
    text.textContent = note.message;
    li.append(text);
  }
  const list = $("notifications");
  list.prepend(li);
  while (list.children.length > NOTES_SHOWN) list.lastChild.remove();
}

function addLink(event) {
  const li = document.createElement("li");
  li.dataset.state = event.state;
  const at = new Date(event.at_ms).toLocaleTimeString();
  li.textContent = `${at} ${event.state}${event.detail ? ": " + event.detail : ""}`;
  const log = $("connection-log");
  log.prepend(li);
  while (log.children.length > LOG_SHOWN) log.lastChild.remove();
}

function showState(state, detail) {
  const badge = $("connection");
  badge.dataset.state = state;
  setText(badge, state);
  badge.title = detail ?? "";
}

function showCounts(counts, total) {
  setText($("count-vehicles"), String(total));
  setText($("count-frames"), String(counts.frames));
  setText($("count-notifications"), String(counts.notifications));
  setText($("count-unknown"), String(counts.unknown));
  setText($("count-undecodable"), String(counts.undecodable));
  $("unknown-box").classList.toggle("alarm", counts.unknown > 0);
  $("unknown-box").title = counts.last_unknown ? `last: ${counts.last_unknown}` : "";
  $("undecodable-box").classList.toggle("alarm", counts.undecodable > 0);
  $("undecodable-box").title = counts.last_error ? `last: ${counts.last_error}` : "";
}

/** An equirectangular plot of the vehicles with a position, fitted to them; only the dots of
 * vehicles that changed are moved. */
let mapScale = null;
function drawMap() {
  const now = Date.now() + skewMs;
  let [placed, minLat, maxLat, minLon, maxLon] = [0, 90, -90, 180, -180];
  for (const { row } of vehicles.values()) {
    if (row.lat == null || row.lon == null) continue;
    placed++;
    if (row.lat < minLat) minLat = row.lat;
    if (row.lat > maxLat) maxLat = row.lat;
    if (row.lon < minLon) minLon = row.lon;
    if (row.lon > maxLon) maxLon = row.lon;
  }
  setText($("map-note"), placed ? `${placed} of ${vehicles.size} vehicles placed` : "no positions yet");
  if (!placed) return;
  // Longitudes are shrunk by the cosine of the fleet's middle latitude, fixed once, so that a
  // moving fleet does not make every dot move.
  const k = (mapScale ??= Math.cos(((minLat + maxLat) / 2) * Math.PI / 180));
  const w = Math.max((maxLon - minLon) * k, 0.01);
  const h = Math.max(maxLat - minLat, 0.01);
  const pad = Math.max(w, h) * 0.08;
  svg.setAttribute("viewBox", `${minLon * k - pad} ${-maxLat - pad} ${w + 2 * pad} ${h + 2 * pad}`);
  // Dots shrink as the fleet grows, so that a dense fleet stays readable.
  svg.style.setProperty("--dot", `${Math.max(w, h) / (60 + 2 * Math.sqrt(placed))}px`);
  for (const entry of vehicles.values()) {
    const { row } = entry;
    if (row.lat == null || row.lon == null) continue;
    if (entry.mapDirty || !entry.dot) {
      if (!entry.dot) {
        entry.dot = document.createElementNS(SVG_NS, "circle");
        entry.dot.append(document.createElementNS(SVG_NS, "title"));
        svg.append(entry.dot);
      }
      entry.dot.setAttribute("cx", String(row.lon * k));
      entry.dot.setAttribute("cy", String(-row.lat));
      entry.dot.firstChild.textContent = `${row.name ?? row.id} ${position(row)}`;
      entry.mapDirty = false;
    }
    const stale = now - (row.received_ms ?? 0) > staleAfterMs;
    if (entry.dot.classList.contains("stale") !== stale) entry.dot.classList.toggle("stale", stale);
  }
}

function apply(update) {
  skewMs = update.now_ms - Date.now();
  staleAfterMs = update.stale_after_s * 1000;
  if (update.snapshot) {
    $("notifications").replaceChildren();
    $("connection-log").replaceChildren();
  }
  for (const row of update.vehicles) updateRow(row);
  for (const note of update.notifications) addNote(note);
  for (const event of update.connection) {
    addLink(event);
    showState(event.state, event.detail);
  }
  if (!update.connection.length) showState(update.state, $("connection").title);
  showCounts(update.counts, update.total_vehicles);
  $("empty").hidden = vehicles.size > 0;
  queueRender();
}

const source = new EventSource("/events");
source.onmessage = (message) => apply(JSON.parse(message.data));
// The browser reconnects by itself; until then the page says it lost the dashboard.
source.onerror = () => showState("offline", "lost the dashboard server; the browser retries");
scroller.addEventListener("scroll", queueRender, { passive: true });
window.addEventListener("resize", queueRender);
// Ages move on even when no frame arrives.
setInterval(queueRender, 1000);
setInterval(() => positionsDirty && ((positionsDirty = false), drawMap()), MAP_EVERY_MS);
setInterval(drawMap, 10 * MAP_EVERY_MS);
