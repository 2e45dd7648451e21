// The fleet dashboard's script, served by examples/dashboard.rs (hand-written, plain JavaScript,
// no build step). It receives the board's updates over Server-Sent Events (`/events`): each one
// carries the rows of the vehicles that changed (their latest values only), new notifications
// and connection events, and the counters. Rows are updated in place, cell by cell, only where
// the text changed, so the page stays responsive with tens of thousands of vehicles.
"use strict";

const NOTES_SHOWN = 100;
const LOG_SHOWN = 50;
const MAP_EVERY_MS = 1000;

const $ = (id) => document.getElementById(id);
const tbody = document.querySelector("#vehicles tbody");
const svg = $("map");
const SVG_NS = "http://www.w3.org/2000/svg";

/** id → {tr, cells, row, dot} */
const vehicles = new Map();
/** The vehicle ids in table order (sorted), for inserting new rows in place. */
const order = [];
let staleAfterMs = 15 * 60 * 1000;
/** The server's clock minus the browser's, so that ages do not depend on the browser's clock. */
let skewMs = 0;
let mapDirty = false;

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

function createRow(id) {
  const tr = document.createElement("tr");
  tr.dataset.id = id;
  const cells = {};
  const vehicle = document.createElement("td");
  vehicle.dataset.col = "vehicle";
  const name = document.createElement("strong");
  const small = document.createElement("span");
  small.className = "id";
  small.textContent = id;
  vehicle.append(name, small);
  tr.append(vehicle);
  cells.name = name;
  for (const col of [...Object.keys(COLUMNS), "age"]) {
    const td = document.createElement("td");
    td.dataset.col = col;
    if (col === "age") td.className = "fresh";
    tr.append(td);
    cells[col] = td;
  }
  const i = insertionIndex(id);
  const before = i < order.length ? vehicles.get(order[i]).tr : null;
  tbody.insertBefore(tr, before);
  order.splice(i, 0, id);
  const entry = { tr, cells, row: null, dot: null };
  vehicles.set(id, entry);
  return entry;
}

function updateRow(row, now) {
  const entry = vehicles.get(row.id) ?? createRow(row.id);
  entry.row = row;
  setText(entry.cells.name, row.name ?? "");
  for (const [col, text] of Object.entries(COLUMNS)) setText(entry.cells[col], text(row));
  refreshAge(entry, now);
  mapDirty = true;
}

function refreshAge(entry, now) {
  const received = entry.row.received_ms;
  if (received == null) {
    setText(entry.cells.age, "no status yet");
    entry.tr.classList.remove("stale");
    return;
  }
  const silent = now - received;
  setText(entry.cells.age, age(silent));
  const stale = silent > staleAfterMs;
  if (entry.tr.classList.contains("stale") !== stale) entry.tr.classList.toggle("stale", stale);
}

function refreshAges() {
  const now = Date.now() + skewMs;
  for (const entry of vehicles.values()) refreshAge(entry, now);
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

/** An equirectangular plot of the vehicles with a position, fitted to them. */
function drawMap() {
  if (!mapDirty) return;
  mapDirty = false;
  const placed = [];
  for (const entry of vehicles.values()) {
    const r = entry.row;
    if (r && r.lat != null && r.lon != null) placed.push(entry);
  }
  $("map-note").textContent = placed.length ? `${placed.length} of ${vehicles.size} vehicles placed` : "no positions yet";
  if (!placed.length) return;
  let [minLat, maxLat, minLon, maxLon] = [90, -90, 180, -180];
  for (const { row } of placed) {
    minLat = Math.min(minLat, row.lat); maxLat = Math.max(maxLat, row.lat);
    minLon = Math.min(minLon, row.lon); maxLon = Math.max(maxLon, row.lon);
  }
  const k = Math.cos(((minLat + maxLat) / 2) * Math.PI / 180);
  const w = Math.max((maxLon - minLon) * k, 0.01);
  const h = Math.max(maxLat - minLat, 0.01);
  const pad = Math.max(w, h) * 0.08;
  svg.setAttribute("viewBox", `${minLon * k - pad} ${-maxLat - pad} ${w + 2 * pad} ${h + 2 * pad}`);
  const radius = String(Math.max(w, h) / 90);
  const now = Date.now() + skewMs;
  for (const entry of placed) {
    if (!entry.dot) {
      entry.dot = document.createElementNS(SVG_NS, "circle");
      entry.dot.append(document.createElementNS(SVG_NS, "title"));
      svg.append(entry.dot);
    }
    const { row, dot } = entry;
    dot.setAttribute("cx", String(row.lon * k));
    dot.setAttribute("cy", String(-row.lat));
    dot.setAttribute("r", radius);
    dot.classList.toggle("stale", now - (row.received_ms ?? 0) > staleAfterMs);
    setText(dot.firstChild, `${row.name ?? row.id} ${position(row)}`);
  }
}

function apply(update) {
  skewMs = update.now_ms - Date.now();
  staleAfterMs = update.stale_after_s * 1000;
  if (update.snapshot) {
    $("notifications").replaceChildren();
    $("connection-log").replaceChildren();
  }
  const now = Date.now() + skewMs;
  for (const row of update.vehicles) updateRow(row, now);
  for (const note of update.notifications) addNote(note);
  for (const event of update.connection) {
    addLink(event);
    showState(event.state, event.detail);
  }
  if (!update.connection.length) showState(update.state, $("connection").title);
  showCounts(update.counts, update.total_vehicles);
  $("empty").hidden = vehicles.size > 0;
}

const source = new EventSource("/events");
source.onmessage = (message) => apply(JSON.parse(message.data));
// The browser reconnects by itself; until then the page says it lost the dashboard.
source.onerror = () => showState("offline", "lost the dashboard server; the browser retries");
setInterval(refreshAges, 1000);
setInterval(drawMap, MAP_EVERY_MS);
