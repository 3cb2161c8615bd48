// The chat page: joins the room named by the URL (/room/NAME) with a name
// from ?name=, the last one used, or the join dialog; reconnects when the
// connection drops. The JSON messages are described in protocol.go.
"use strict";

const room = decodeURIComponent(location.pathname.split("/")[2] || "lobby");
const $ = (id) => document.getElementById(id);
const log = $("log"), members = $("members"), status = $("status");
const text = $("text"), send = $("send");
let name = new URLSearchParams(location.search).get("name") || localStorage.getItem("chat-name") || "";
let me = null;          // {id, name} from the welcome
let ws = null;
let retry = 500;        // ms before the next reconnection attempt
let connectedOnce = false;
const roster = new Map(); // member ID -> name

$("room").textContent = room;
document.title = "#" + room + " – Chat";

function clock(t) {
  const d = t ? new Date(t) : new Date();
  return d.toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"});
}

function entry(kind, body, time) {
  const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 30;
  const div = document.createElement("div");
  div.className = "entry " + kind;
  const ts = document.createElement("span");
  ts.className = "time";
  ts.textContent = clock(time);
  div.append(ts, ...body);
  log.append(div);
  if (atBottom) log.scrollTop = log.scrollHeight;
  return div;
}

function notice(kind, msg, time) {
  entry("notice " + kind, [msg], time);
}

function renderMembers() {
  members.replaceChildren();
  const sorted = [...roster.entries()].sort((a, b) => a[1].localeCompare(b[1]));
  for (const [id, n] of sorted) {
    const li = document.createElement("li");
    li.textContent = n;
    li.dataset.id = id;
    if (me && id === me.id) li.className = "me";
    members.append(li);
  }
  $("count").textContent = "(" + roster.size + ")";
}

function setOnline(on, msg) {
  status.textContent = msg;
  status.className = "status " + (on ? "online" : "offline");
  text.disabled = send.disabled = !on;
  if (on) text.focus();
}

function handle(ev) {
  switch (ev.type) {
  case "welcome":
    me = ev.you;
    roster.clear();
    for (const m of ev.members || []) roster.set(m.id, m.name);
    roster.set(me.id, me.name);
    renderMembers();
    notice("welcome", (connectedOnce ? "Reconnected. " : "") + "Welcome to #" + ev.room + ", " + me.name + "!");
    connectedOnce = true;
    retry = 500;
    setOnline(true, "connected as " + me.name);
    break;
  case "join":
    roster.set(ev.member.id, ev.member.name);
    renderMembers();
    notice("join", ev.member.name + " joined", ev.time);
    break;
  case "leave":
    roster.delete(ev.member.id);
    renderMembers();
    notice("leave", ev.member.name + " left", ev.time);
    break;
  case "message": {
    const from = document.createElement("span");
    from.className = "from";
    from.textContent = ev.from.name;
    const body = document.createElement("span");
    body.className = "text";
    body.textContent = ev.text;
    entry("message" + (me && ev.from.id === me.id ? " mine" : ""), [from, body], ev.time);
    break;
  }
  case "error":
    notice("error", "Error: " + ev.error);
    break;
  }
}

function connect() {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  ws = new WebSocket(proto + "//" + location.host + "/ws/" + encodeURIComponent(room) + "?name=" + encodeURIComponent(name));
  ws.onmessage = (e) => {
    let ev;
    try { ev = JSON.parse(e.data); } catch { return; }
    handle(ev);
  };
  ws.onclose = (e) => {
    ws = null;
    const why = e.code === 1006 ? "connection lost" : "closed (" + e.code + (e.reason ? " " + e.reason : "") + ")";
    setOnline(false, why + "; reconnecting…");
    setTimeout(connect, retry);
    retry = Math.min(retry * 2, 5000);
  };
}

$("say").addEventListener("submit", (e) => {
  e.preventDefault();
  const t = text.value.trim();
  if (!t || !ws || ws.readyState !== WebSocket.OPEN) return;
  ws.send(JSON.stringify({type: "message", text: t}));
  text.value = "";
});

$("join-form").addEventListener("submit", () => {
  name = $("name").value.trim();
  if (!name) return;
  localStorage.setItem("chat-name", name);
  connect();
});

if (name) {
  connect();
} else {
  $("join").showModal();
}
