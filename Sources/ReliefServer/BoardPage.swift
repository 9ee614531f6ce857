import ReliefDrill
import ReliefHTTP
import ReliefProtocol

/// The situation board's page, script and style, served from the binary (no files to install, no
/// fonts, tiles or scripts from elsewhere: a disaster may take the internet away).
enum BoardPage {
    /// Scripts only from this origin, no framing, nothing inline: a value shown on the board can
    /// never run as code (the script also writes values as text, never as markup).
    static let securityHeaders: [(String, String)] = [
        ("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
        ("X-Frame-Options", "DENY"),
        // Not no-referrer: with it, Chromium posts forms with `Origin: null`, which the log-in refuses.
        ("Referrer-Policy", "same-origin"),
    ]

    static func answer(_ html: String, status: Int = 200) -> HTTPAnswer {
        HTTPAnswer(status: status, contentType: "text/html; charset=utf-8", body: Array(html.utf8), headers: securityHeaders)
    }

    static func cookie(_ id: String) -> String {
        "\(BoardSessions.cookieName)=\(id); Path=/; HttpOnly; SameSite=Strict; Max-Age=\(BoardSessions.lifetime / 1000)"
    }

    static let expiredCookie = "\(BoardSessions.cookieName)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"

    static func escape(_ text: String) -> String { ReportFormat.escape(text) }

    static func login(message: String?) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>reliefd — log in</title><link rel="icon" href="/board/icon.svg"><link rel="stylesheet" href="/board/board.css"></head>
        <body class="login"><main>
        <h1>reliefd situation board</h1>
        \(message.map { "<p class=\"message\" role=\"alert\">\(escape($0))</p>" } ?? "")
        <form method="post" action="/board/login">
        <label>User <input name="user" id="user" autocomplete="username" required></label>
        <label>Token <input name="token" id="token" type="password" autocomplete="current-password" required></label>
        <button type="submit" id="login">Log in</button>
        </form>
        <p class="hint">A token comes from <code>reliefctl token create USER</code>. The board only reads; changes are made on the control socket.</p>
        </main></body></html>
        """
    }

    static func board(user: String, role: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>reliefd situation board</title><link rel="icon" href="/board/icon.svg"><link rel="stylesheet" href="/board/board.css"><script src="/board/board.js" defer></script></head>
        <body data-ready="no">
        <header><h1>Situation board</h1><span id="live" class="down">connecting…</span><span id="asof"></span>
        <span class="who">\(escape(user)) (\(escape(role)))</span>
        <form method="post" action="/board/logout"><button type="submit" id="logout">Log out</button></form></header>
        <main>
        <section id="map-panel"><h2>Map</h2><p class="problem"></p><div id="map"></div>
        <p class="legend"><span><i class="box"></i>warehouse</span><span><i class="dot"></i>incident</span><span><i class="dot unmet"></i>needs not met</span><span><i></i>in transit</span><span><i class="reserved"></i>reserved</span></p></section>
        <section id="alerts-panel"><h2>Alerts <span class="count" id="alerts-count"></span></h2><p class="problem"></p><p id="alerts-summary"></p><div class="scroll tall"><table id="alerts"></table></div></section>
        <section id="incidents-panel"><h2>Incidents and their needs <span class="count" id="incidents-count"></span></h2><p class="problem"></p><table id="incidents"></table>
        <p class="legend"><span>bar: delivered · in transit · reserved · missing</span></p></section>
        <section id="stock-panel"><h2>Stock <span class="count" id="stock-count"></span></h2><p class="problem"></p><div class="pair">
        <div><h2>Below minimum</h2><div class="scroll"><table id="stock-low"></table></div></div>
        <div><h2>Expiring within 30 days</h2><div class="scroll"><table id="stock-expiring"></table></div></div></div></section>
        <section id="teams-panel"><h2>Team readiness</h2><p class="problem"></p><div class="pair wide">
        <div><table id="teams-summary"></table></div>
        <div><h2>Not ready</h2><div class="scroll"><table id="teams"></table></div></div></div></section>
        </main></body></html>
        """
    }

    /// The tab's icon: a warehouse square and an incident dot, as on the map.
    static let icon = Array(##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect x="1" y="5" width="7" height="7" fill="#fff" stroke="#1d2a3a" stroke-width="1.5"/><circle cx="11.5" cy="5" r="4" fill="#b3261e"/></svg>"##.utf8)

    static let script = Array(scriptText.utf8)
    static let style = Array(styleText.utf8)

    private static let scriptText = #"""
// reliefd situation board: every panel is read from the daemon's JSON (/api/…, /geo/…) with the
// session cookie, and read again when the event stream (/board/events) says its channels changed.
// Values are written as text (textContent), never as markup.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
let lastSeq = "";

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value; else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

function num(text) { const value = Number(text); return Number.isFinite(value) ? value : 0; }
function fmt(value) { return num(value).toLocaleString("en-US"); }

/// "in 5 h", "3 h overdue": how far a time is from now.
function due(iso) {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return "";
  const hours = (ms - Date.now()) / 3600000;
  const text = Math.abs(hours) < 1 ? Math.round(Math.abs(hours) * 60) + " min" :
    Math.abs(hours) < 48 ? Math.round(Math.abs(hours)) + " h" : Math.round(Math.abs(hours) / 24) + " d";
  return hours < 0 ? text + " overdue" : "in " + text;
}

function ago(iso) {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return "";
  const minutes = Math.max(0, (Date.now() - ms) / 60000);
  if (minutes < 1) return "just now";
  if (minutes < 120) return Math.round(minutes) + " min ago";
  if (minutes < 2880) return Math.round(minutes / 60) + " h ago";
  return Math.round(minutes / 1440) + " d ago";
}

async function fetchJSON(url) {
  const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(body.message || response.statusText);
    error.status = response.status;
    throw error;
  }
  return body;
}

function table(id, head, rows, empty) {
  const target = document.getElementById(id);
  const body = el("tbody");
  for (const row of rows) body.append(row);
  target.replaceChildren(el("thead", {}, el("tr", {}, ...head.map((name) => el("th", {}, name)))), body);
  if (rows.length === 0) body.append(el("tr", { class: "empty" }, el("td", { colspan: head.length }, empty)));
}

// MARK: incidents and needs

function needBar(need) {
  const amount = Math.max(num(need.amount), 1);
  const delivered = num(need.delivered), transit = num(need.in_transit), met = num(need.met), missing = num(need.missing);
  const reserved = Math.max(met - transit - delivered, 0);
  const bar = el("div", { class: "bar", title: `${fmt(delivered)} delivered, ${fmt(transit)} in transit, ${fmt(reserved)} reserved, ${fmt(missing)} missing of ${fmt(amount)}` });
  for (const [part, value] of [["delivered", delivered], ["transit", transit], ["reserved", reserved], ["missing", missing]]) {
    if (value <= 0) continue;
    const segment = el("span", { class: part });
    segment.style.width = (100 * Math.min(value, amount) / amount).toFixed(2) + "%";
    bar.append(segment);
  }
  return bar;
}

function renderIncidents(incidents, needs) {
  const byIncident = new Map();
  for (const need of needs.rows) {
    if (!byIncident.has(need.incident)) byIncident.set(need.incident, []);
    byIncident.get(need.incident).push(need);
  }
  const open = incidents.rows.filter((incident) => incident.status !== "closed")
    .sort((a, b) => num(b.severity) - num(a.severity) || num(b.unmet) - num(a.unmet) || a.incident.localeCompare(b.incident));
  const rows = [];
  for (const incident of open) {
    const unmet = num(incident.unmet);
    rows.push(el("tr", { class: "incident" + (unmet > 0 ? " unmet" : ""), "data-id": incident.incident },
      el("td", { colspan: 9 },
        el("strong", {}, incident.title || incident.incident), " ",
        el("span", { class: "muted" }, `${incident.incident} · ${incident.kind} · severity ${incident.severity} · ${fmt(incident.affected)} affected · ${incident.region} · ${incident.status}`),
        el("span", { class: unmet > 0 ? "badge bad" : "badge good" }, unmet > 0 ? `${unmet} of ${incident.open_needs} open needs not fully met` : `${incident.open_needs} open needs, all met`))));
    for (const need of byIncident.get(incident.incident) || []) {
      const missing = num(need.missing);
      const overdue = Date.parse(need.by) < Date.now();
      rows.push(el("tr", { class: "need" + (missing > 0 ? " missing" : ""), "data-need": need.need },
        el("td", { class: "priority p" + need.priority }, "P" + need.priority),
        el("td", {}, need.what, need.ref ? el("span", { class: "muted" }, " " + need.ref) : null),
        el("td", { class: "n" }, `${fmt(need.amount)} ${need.unit}`),
        el("td", {}, needBar(need)),
        el("td", { class: "n" }, fmt(need.met)),
        el("td", { class: "n" }, fmt(need.in_transit)),
        el("td", { class: "n" + (missing > 0 ? " bad" : "") }, fmt(need.missing)),
        el("td", { class: "why" }, need.why),
        el("td", { class: overdue ? "bad" : "" }, due(need.by))));
    }
  }
  table("incidents", ["", "need", "amount", "", "met", "in transit", "missing", "why", "due"], rows, "No open incidents.");
  document.getElementById("incidents-count").textContent = open.length ? `${open.length} open` : "";
}

// MARK: map

/// Warehouses, open incidents and the goods between them: dispatched (in transit, solid, with an
/// arrow) and reserved (dashed), one line per warehouse and incident, as wide as the amount's log.
function renderMap(warehouses, incidents, dispatched, reserved) {
  const places = new Map();
  for (const feature of warehouses.features) places.set("w:" + feature.properties.warehouse, feature.geometry.coordinates);
  // Incidents with needs not met are drawn last, on top of any beside them.
  const open = incidents.features.filter((feature) => feature.properties.status !== "closed")
    .sort((a, b) => (num(a.properties.unmet) > 0) - (num(b.properties.unmet) > 0));
  for (const feature of open) places.set("i:" + feature.properties.incident, feature.geometry.coordinates);
  const points = [...places.values()];
  const map = document.getElementById("map");
  if (points.length === 0) { map.replaceChildren(el("p", { class: "muted" }, "No warehouses or incidents with coordinates.")); return; }
  let minLon = Math.min(...points.map((p) => p[0])), maxLon = Math.max(...points.map((p) => p[0]));
  let minLat = Math.min(...points.map((p) => p[1])), maxLat = Math.max(...points.map((p) => p[1]));
  const padLon = Math.max((maxLon - minLon) * 0.08, 0.2), padLat = Math.max((maxLat - minLat) * 0.08, 0.2);
  minLon -= padLon; maxLon += padLon; minLat -= padLat; maxLat += padLat;
  // Equirectangular, longitude squeezed by the cosine of the middle latitude, fitted into at most
  // 900 × 760 so the whole operation is in view.
  const squeeze = Math.cos(((minLat + maxLat) / 2) * Math.PI / 180);
  const width = 900, height = 760;
  const scale = Math.min(width / ((maxLon - minLon) * squeeze), height / (maxLat - minLat));
  const left = (width - (maxLon - minLon) * squeeze * scale) / 2, top = (height - (maxLat - minLat) * scale) / 2;
  const west = minLon, north = maxLat;
  const x = (lon) => (left + (lon - west) * squeeze * scale).toFixed(1);
  const y = (lat) => (top + (north - lat) * scale).toFixed(1);
  // The graticule covers the whole box.
  minLon -= left / (squeeze * scale); maxLon += left / (squeeze * scale); minLat -= top / scale; maxLat += top / scale;
  const root = svg("svg", { viewBox: `0 0 ${width.toFixed(0)} ${height.toFixed(0)}`, role: "img", "aria-label": "map of warehouses, incidents and dispatched goods" });
  root.append(svg("defs", {},
    svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerUnits: "userSpaceOnUse", markerWidth: 12, markerHeight: 12, orient: "auto" },
      svg("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "arrowhead" }))));
  const grid = svg("g", { class: "graticule" });
  const step = maxLon - minLon > 12 ? 5 : maxLon - minLon > 4 ? 1 : 0.5;
  for (let lon = Math.ceil(minLon / step) * step; lon <= maxLon; lon += step) {
    grid.append(svg("line", { x1: x(lon), x2: x(lon), y1: 0, y2: height }), svg("text", { x: Number(x(lon)) + 2, y: height - 4 }, lon.toFixed(1) + "°E"));
  }
  for (let lat = Math.ceil(minLat / step) * step; lat <= maxLat; lat += step) {
    grid.append(svg("line", { x1: 0, x2: width, y1: y(lat), y2: y(lat) }), svg("text", { x: 2, y: Number(y(lat)) - 2 }, lat.toFixed(1) + "°N"));
  }
  root.append(grid);
  const flows = new Map();
  for (const [status, listing] of [["dispatched", dispatched], ["reserved", reserved]]) {
    for (const allocation of listing.rows) {
      const key = `${status}|${allocation.warehouse}|${allocation.incident}`;
      const flow = flows.get(key) || { status, warehouse: allocation.warehouse, incident: allocation.incident, items: new Map(), total: 0 };
      flow.items.set(`${allocation.item} (${allocation.unit})`, (flow.items.get(`${allocation.item} (${allocation.unit})`) || 0) + num(allocation.quantity));
      flow.total += num(allocation.quantity);
      flows.set(key, flow);
    }
  }
  const lines = svg("g", { class: "flows" });
  for (const flow of flows.values()) {
    const from = places.get("w:" + flow.warehouse), to = places.get("i:" + flow.incident);
    if (!from || !to) continue;
    const text = [...flow.items].map(([item, amount]) => `${fmt(amount)} ${item}`).join(", ");
    lines.append(svg("line", { class: "flow " + flow.status, "data-from": flow.warehouse, "data-to": flow.incident,
      x1: x(from[0]), y1: y(from[1]), x2: x(to[0]), y2: y(to[1]), "stroke-width": (1.2 + Math.log10(1 + flow.total)).toFixed(1),
      "marker-end": flow.status === "dispatched" ? "url(#arrow)" : "none" },
      svg("title", {}, `${flow.warehouse} → ${flow.incident}: ${text} ${flow.status === "dispatched" ? "in transit" : "reserved"}`)));
  }
  root.append(lines);
  const depots = svg("g", { class: "warehouses" });
  for (const feature of warehouses.features) {
    const [lon, lat] = feature.geometry.coordinates, id = feature.properties.warehouse;
    depots.append(svg("g", { class: "warehouse", "data-id": id, transform: `translate(${x(lon)},${y(lat)})` },
      svg("rect", { x: -5, y: -5, width: 10, height: 10 }), svg("text", { x: 8, y: 4 }, id),
      svg("title", {}, `${feature.properties.name} (${id}), ${feature.properties.region}`)));
  }
  root.append(depots);
  const spots = svg("g", { class: "incidents" });
  for (const feature of open) {
    const [lon, lat] = feature.geometry.coordinates, p = feature.properties;
    const unmet = num(p.unmet) > 0;
    spots.append(svg("g", { class: "incident" + (unmet ? " unmet" : ""), "data-id": p.incident, transform: `translate(${x(lon)},${y(lat)})` },
      svg("circle", { r: 6 + 2 * num(p.severity) }), svg("text", { x: 10 + 2 * num(p.severity), y: 4 }, p.title || p.incident),
      svg("title", {}, `${p.title} (${p.incident}): severity ${p.severity}, ${fmt(p.affected)} affected, ${p.unmet} needs not fully met`)));
  }
  root.append(spots);
  map.replaceChildren(root);
}

// MARK: alerts, stock, teams

function renderAlerts(alerts) {
  // Not yet acknowledged first, then what a duty officer acts on first, then the newest.
  const urgency = ["need_overdue", "delivery_late", "stock_low", "plan_unapplied", "duty_hours", "lot_expiring", "certification_expiring"];
  const rank = (alert) => (alert.acknowledged_by ? 100 : 0) + (urgency.indexOf(alert.kind) + 1 || 50);
  const rows = alerts.rows.slice().sort((a, b) => rank(a) - rank(b) || (b.raised || "").localeCompare(a.raised || ""))
    .map((alert) => el("tr", { class: "alert" + (alert.acknowledged_by ? " acknowledged" : ""), "data-id": alert.alert },
      el("td", { class: "kind" }, alert.kind.replace(/_/g, " ")),
      el("td", {}, alert.message),
      el("td", { class: "when", title: alert.raised }, ago(alert.raised)),
      el("td", {}, alert.acknowledged_by ? "ack " + alert.acknowledged_by : "")));
  table("alerts", ["kind", "", "raised", ""], rows, "No alerts.");
  const byKind = new Map();
  for (const alert of alerts.rows) byKind.set(alert.kind, (byKind.get(alert.kind) || 0) + 1);
  document.getElementById("alerts-summary").replaceChildren(...[...byKind].sort((a, b) => b[1] - a[1]).map(([kind, count]) =>
    el("span", { class: "chip", "data-kind": kind }, `${kind.replace(/_/g, " ")} `, el("strong", {}, count))));
  const waiting = alerts.rows.filter((alert) => !alert.acknowledged_by).length;
  document.getElementById("alerts-count").textContent = alerts.rows.length ? `${waiting} not acknowledged of ${alerts.rows.length}` : "";
}

function renderStock(low, expiring) {
  table("stock-low", ["warehouse", "item", "available", "minimum", "reserved"], low.rows.map((row) =>
    el("tr", { "data-warehouse": row.warehouse, "data-item": row.item },
      el("td", {}, row.warehouse), el("td", {}, row.item),
      el("td", { class: "n bad" }, `${fmt(row.available)} ${row.unit}`), el("td", { class: "n" }, fmt(row.min)),
      el("td", { class: "n" }, fmt(row.reserved)))), "Nothing below its minimum.");
  table("stock-expiring", ["warehouse", "lot", "item", "on hand", "expires", "days"], expiring.rows.map((row) =>
    el("tr", { "data-warehouse": row.warehouse, "data-lot": row.lot },
      el("td", {}, row.warehouse), el("td", {}, row.lot), el("td", {}, row.item),
      el("td", { class: "n" }, `${fmt(row.on_hand)} ${row.unit}`), el("td", {}, row.expires),
      el("td", { class: "n" + (num(row.days_left) <= 7 ? " bad" : "") }, row.days_left))), "Nothing expires within 30 days.");
  document.getElementById("stock-count").textContent = `${low.rows.length} low · ${expiring.rows.length} lots expiring`;
}

function renderTeams(readiness) {
  const bySpecialty = new Map();
  for (const team of readiness.rows) {
    const counts = bySpecialty.get(team.specialty) || { ready: 0, partial: 0, stood_down: 0 };
    counts[team.readiness] = (counts[team.readiness] || 0) + 1;
    bySpecialty.set(team.specialty, counts);
  }
  table("teams-summary", ["specialty", "ready", "partial", "stood down"], [...bySpecialty].sort().map(([specialty, counts]) =>
    el("tr", { "data-specialty": specialty }, el("td", {}, specialty), el("td", { class: "n good" }, counts.ready),
      el("td", { class: "n" + (counts.partial ? " warn" : "") }, counts.partial), el("td", { class: "n muted" }, counts.stood_down))),
  "No teams.");
  table("teams", ["team", "specialty", "readiness", "fit / members", "why", "drill"], readiness.rows.filter((team) => team.readiness !== "ready").map((team) =>
    el("tr", { "data-team": team.team, class: team.readiness },
      el("td", {}, team.team), el("td", {}, team.specialty), el("td", {}, team.readiness.replace("_", " ")),
      el("td", { class: "n" }, `${team.fit} / ${team.members}`), el("td", { class: "why" }, team.reason),
      el("td", {}, team.drill_due === true ? "due (last " + team.last_drill + ")" : team.last_drill))), "Every team is ready.");
}

// MARK: loading and the live stream

// Each listing asks for up to 10,000 rows (the most one HTTP answer gives: a country's open needs);
// a panel cut there says so.
const rows = "limit=10000";
const panels = {
  incidents: { urls: [`/api/incident/list?${rows}`, `/api/need/list/open?${rows}`], render: renderIncidents,
               channels: ["incidents", "needs", "plans", "allocations", "assignments"] },
  map: { urls: [`/geo/warehouses?${rows}`, `/geo/incidents?${rows}`, `/api/allocation/list?status=dispatched&${rows}`, `/api/allocation/list?status=reserved&${rows}`],
         render: renderMap, channels: ["incidents", "needs", "allocations", "catalog"] },
  alerts: { urls: [`/api/alert/list?${rows}`], render: renderAlerts, channels: ["alerts"] },
  stock: { urls: [`/api/stock/query/low?${rows}`, `/api/stock/query/expiring?${rows}`], render: renderStock, channels: ["stock", "allocations", "catalog"] },
  teams: { urls: [`/api/team/readiness?${rows}`], render: renderTeams, channels: ["rosters"] },
};
/// A panel is read again at most this often while changes stream in.
const minimumGap = 150;

function markDirty(name) {
  const panel = panels[name];
  panel.dirty = true;
  if (panel.busy || panel.timer) return;
  const wait = Math.max(0, (panel.loadedAt || 0) + minimumGap - Date.now());
  panel.timer = setTimeout(() => load(name), wait);
}

async function load(name) {
  const panel = panels[name];
  panel.timer = null;
  panel.dirty = false;
  panel.busy = true;
  const seq = lastSeq;
  const section = document.getElementById(name + "-panel");
  try {
    const data = await Promise.all(panel.urls.map(fetchJSON));
    panel.render(...data);
    section.dataset.seq = seq;
    section.classList.remove("failed");
    section.querySelector(".problem").textContent = data.some((listing) => listing.more) ?
      "Showing the first 10,000 rows of a listing; reliefctl gives all of them." : "";
  } catch (error) {
    section.classList.add("failed");
    section.querySelector(".problem").textContent = error.status === 403 ? "Not visible to your role." :
      error.status === 401 ? "Your session ended; reload to log in again." : "Could not read: " + error.message;
  }
  panel.busy = false;
  panel.loaded = true;
  panel.loadedAt = Date.now();
  if (panel.dirty) markDirty(name);
  if (Object.values(panels).every((p) => p.loaded)) document.body.dataset.ready = "yes";
}

function setLive(state, text) {
  const live = document.getElementById("live");
  live.className = state;
  live.textContent = text;
}

function connect() {
  const stream = new EventSource("/board/events");
  const channels = new Set(Object.values(panels).flatMap((panel) => panel.channels));
  stream.addEventListener("watching", (event) => {
    setLive("up", "live");
    const start = JSON.parse(event.data);
    if (lastSeq === "") {
      lastSeq = String(start.seq);
      document.body.dataset.seq = lastSeq;
    }
    // Whatever happened while the stream was down is read again.
    for (const name of Object.keys(panels)) markDirty(name);
  });
  for (const channel of channels) {
    stream.addEventListener(channel, (event) => {
      lastSeq = event.lastEventId;
      document.body.dataset.seq = lastSeq;
      document.getElementById("asof").textContent = `seq ${lastSeq} · ${new Date().toLocaleTimeString()}`;
      for (const [name, panel] of Object.entries(panels)) if (panel.channels.includes(channel)) markDirty(name);
    });
  }
  stream.addEventListener("cutoff", () => setLive("down", "catching up…"));
  stream.addEventListener("error", () => setLive("down", stream.readyState === EventSource.CLOSED ? "disconnected: reload" : "reconnecting…"));
}

document.addEventListener("DOMContentLoaded", () => {
  document.body.dataset.ready = "no";
  for (const name of Object.keys(panels)) markDirty(name);
  connect();
  // Times shown relative to now ("3 h overdue") stay true.
  setInterval(() => { for (const name of ["incidents", "alerts"]) markDirty(name); }, 60000);
});
"""#

    private static let styleText = #"""
:root { --bad: #b3261e; --warn: #a15c00; --good: #1b6e3a; --muted: #5f6368; --line: #d9dce1; --bg: #f6f7f9; --ink: #1d1f23; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 "DejaVu Sans", system-ui, sans-serif; color: var(--ink); background: var(--bg); }
header { display: flex; align-items: center; gap: 16px; padding: 8px 16px; background: #1d2a3a; color: #fff; position: sticky; top: 0; z-index: 2; }
header h1 { font-size: 18px; margin: 0; flex: 0 0 auto; }
header .who { margin-left: auto; color: #c9d3de; }
header form { margin: 0; }
header button { background: transparent; color: #fff; border: 1px solid #8796a8; border-radius: 4px; padding: 2px 10px; cursor: pointer; }
#live { padding: 2px 10px; border-radius: 10px; font-weight: bold; }
#live.up { background: #2e7d32; }
#live.down { background: var(--bad); }
#asof { color: #c9d3de; font-variant-numeric: tabular-nums; }
main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 12px; padding: 12px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; min-width: 0; }
section h2 { font-size: 15px; margin: 4px 0 8px; display: flex; gap: 8px; align-items: baseline; }
section h2 .count { font-weight: normal; color: var(--muted); font-size: 13px; }
section .problem:empty { display: none; }
section .problem { color: var(--bad); font-weight: bold; }
#incidents-panel, #stock-panel, #teams-panel { grid-column: 1 / -1; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
.pair.wide { grid-template-columns: 1fr 2fr; }
.scroll { max-height: 420px; overflow: auto; }
.scroll.tall { max-height: 760px; }
#alerts-summary { margin: 0 0 6px; }
.chip { display: inline-block; margin: 0 6px 4px 0; padding: 1px 8px; border-radius: 9px; background: #f3e3e2; color: #5a1410; font-size: 12px; }
table { border-collapse: collapse; width: 100%; }
th { text-align: left; font-weight: 600; color: var(--muted); border-bottom: 1px solid var(--line); padding: 3px 6px; position: sticky; top: 0; background: #fff; }
td { padding: 3px 6px; border-bottom: 1px solid #eef0f2; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.why { color: var(--bad); }
tr.empty td { color: var(--muted); font-style: italic; }
tr.incident td { background: #eef2f7; padding-top: 8px; border-top: 2px solid var(--line); }
tr.incident .muted { margin-left: 6px; }
.muted { color: var(--muted); }
.bad { color: var(--bad); font-weight: 600; }
.warn { color: var(--warn); }
.good { color: var(--good); }
.badge { margin-left: 10px; padding: 1px 8px; border-radius: 9px; font-size: 12px; color: #fff; }
.badge.bad { background: var(--bad); }
.badge.good { background: var(--good); }
td.priority { font-weight: bold; }
td.p1 { color: var(--bad); }
td.p2 { color: var(--warn); }
.bar { display: flex; width: 140px; height: 12px; background: #eceff3; border-radius: 3px; overflow: hidden; margin-top: 3px; }
.bar .delivered { background: #1b6e3a; }
.bar .transit { background: #2f6fb0; }
.bar .reserved { background: #8fb4dc; }
.bar .missing { background: repeating-linear-gradient(45deg, #b3261e, #b3261e 3px, #e7a19c 3px, #e7a19c 6px); }
.legend { color: var(--muted); font-size: 12px; margin: 4px 0 0; }
.legend span { display: inline-block; margin-right: 12px; }
.legend i { display: inline-block; width: 18px; height: 0; vertical-align: middle; margin-right: 4px; border-top: 3px solid #2f6fb0; }
.legend i.reserved { border-top: 3px dashed #8fb4dc; }
.legend i.box { width: 9px; height: 9px; border: 1px solid #1d2a3a; background: #fff; }
.legend i.dot { width: 10px; height: 10px; border: none; border-radius: 50%; background: #e8710a; }
.legend i.dot.unmet { background: var(--bad); }
#map svg { width: 100%; height: auto; background: #f4f8fb; border: 1px solid var(--line); border-radius: 4px; }
.graticule line { stroke: #dbe4ec; stroke-width: 1; }
.graticule text { fill: #9aa7b4; font-size: 10px; }
.warehouse rect { fill: #fff; stroke: #1d2a3a; stroke-width: 1.5; }
.warehouse text { font-size: 11px; fill: #1d2a3a; }
.incident circle { fill: #e8710a; fill-opacity: 0.75; stroke: #fff; stroke-width: 1.5; }
.incident.unmet circle { fill: #b3261e; }
.incident text { font-size: 12px; font-weight: bold; fill: #5a1410; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
.flow { stroke: #2f6fb0; stroke-opacity: 0.8; }
.flow.reserved { stroke: #8fb4dc; stroke-dasharray: 6 4; }
.arrowhead { fill: #2f6fb0; }
tr.alert td.kind { font-weight: 600; white-space: nowrap; }
tr.alert.acknowledged { color: var(--muted); }
td.when { white-space: nowrap; color: var(--muted); }
body.login main { display: block; max-width: 420px; margin: 80px auto; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 24px; }
body.login label { display: block; margin: 12px 0; }
body.login input { display: block; width: 100%; padding: 6px; margin-top: 4px; font: inherit; }
body.login button { padding: 6px 18px; font: inherit; }
body.login .message { color: var(--bad); font-weight: bold; }
body.login .hint { color: var(--muted); font-size: 13px; }
@media (max-width: 1000px) { main { grid-template-columns: 1fr; } .pair, .pair.wide { grid-template-columns: 1fr; } }
"""#
}
