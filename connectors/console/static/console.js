// Agent console. Plain JS: state lives on the server; this page renders it and re-fetches on live events.
"use strict";

const state = { me: null, csrf: null, selected: null, detail: null, mode: "reply", ws: null, wsRetry: 0 };
const $ = (id) => document.getElementById(id);

const LABELS = {
  reason: { asked: "asked for a person", misses: "bot didn't understand", failed_lookups: "order not found",
            agent: "picked up by agent" },
  channel: { web: "Web chat", whatsapp: "WhatsApp", email: "Email" },
  lang: { nl: "NL", fr: "FR" },
  event: { handoff: "Escalated", taken: "Taken", handed_back: "Handed back to bot", closed: "Closed",
           created: "Started", rasa_reset_failed: "Bot memory reset failed", bot_error: "Bot unreachable" },
};

// ---------- HTTP ----------
async function api(method, path, body) {
  const headers = { "Accept": "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && state.csrf) headers["X-CSRF-Token"] = state.csrf;
  const resp = await fetch("/agent/api" + path, {
    method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try { data = await resp.json(); } catch (_) { /* empty body */ }
  if (resp.status === 401 && path !== "/login") { showLogin(); }
  if (!resp.ok) {
    const err = new Error((data && data.message) || `HTTP ${resp.status}`);
    err.status = resp.status; err.code = data && data.error;
    throw err;
  }
  return data;
}

function toast(text, isError) {
  const el = $("toast");
  el.textContent = text; el.className = "toast" + (isError ? " error" : ""); el.hidden = false;
  clearTimeout(toast.timer); toast.timer = setTimeout(() => { el.hidden = true; }, 4500);
}

// ---------- Login ----------
function showLogin() {
  if (state.ws) { state.ws.onclose = null; state.ws.close(); state.ws = null; }
  state.me = null; state.csrf = null;
  $("console-view").hidden = true; $("login-view").hidden = false;
  $("login-email").focus();
}

async function onLogin(ev) {
  ev.preventDefault();
  const err = $("login-error"); err.hidden = true;
  $("login-submit").disabled = true;
  try {
    const data = await api("POST", "/login", { email: $("login-email").value, password: $("login-password").value });
    $("login-password").value = "";
    enterConsole(data);
  } catch (e) {
    err.textContent = e.message; err.hidden = false;
  } finally {
    $("login-submit").disabled = false;
  }
}

function enterConsole(data) {
  state.me = data.agent; state.csrf = data.csrf;
  $("login-view").hidden = true; $("console-view").hidden = false;
  $("agent-name").textContent = data.agent.name;
  $("agent-role").textContent = data.agent.role;
  $("mine-title").firstChild.textContent = data.agent.role === "admin" ? "With agents " : "My conversations ";
  connectLive();
  loadQueue();
}

async function onLogout() {
  try { await api("POST", "/logout"); } catch (_) { /* already gone */ }
  state.selected = null; state.detail = null;
  showLogin();
}

// ---------- Live updates ----------
function connectLive() {
  if (state.ws) return;
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${proto}//${location.host}/agent/ws`);
  state.ws = ws;
  ws.onopen = () => { state.wsRetry = 0; setLive(true); loadQueue(); if (state.selected) loadDetail(state.selected); };
  ws.onmessage = (ev) => {
    let frame; try { frame = JSON.parse(ev.data); } catch (_) { return; }
    if (frame.type === "conversation" || frame.type === "message") {
      scheduleQueue();
      if (state.selected && frame.conversation_id === state.selected) scheduleDetail();
    }
  };
  ws.onclose = () => {
    setLive(false); state.ws = null;
    if (!state.me) return;
    api("GET", "/me").catch(() => {});  // a 401 here (logged out elsewhere, expired) shows the login
    const delay = Math.min(10000, 500 * 2 ** state.wsRetry++);
    setTimeout(() => { if (state.me) connectLive(); }, delay);
  };
}

function setLive(on) {
  const el = $("live-status");
  el.className = "live-dot " + (on ? "online" : "offline");
  el.textContent = on ? "live" : "reconnecting…";
}

function debounce(fn, ms) { let t; return () => { clearTimeout(t); t = setTimeout(fn, ms); }; }
const scheduleQueue = debounce(() => loadQueue(), 150);
const scheduleDetail = debounce(() => state.selected && loadDetail(state.selected), 150);

// ---------- Queue ----------
function waited(iso) {
  if (!iso) return "";
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d`;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = text;
  return e;
}

function convItem(c, pending) {
  const li = el("li", "conv-item" + (c.id === state.selected ? " selected" : ""));
  li.dataset.id = c.id; li.dataset.testid = "conv-item";
  const row = el("div", "row");
  if (pending) row.append(el("span", "pos", `#${c.position}`));
  row.append(el("span", "who", c.contact_name || c.contact_identity || c.id.slice(0, 8)));
  const since = pending ? c.pending_since : c.updated_at;
  const wait = el("span", "wait", waited(since));
  wait.dataset.since = since || "";
  if (pending && since && Date.now() - Date.parse(since) > 10 * 60000) wait.classList.add("long");
  row.append(wait);
  const tags = el("div", "row");
  tags.append(el("span", `badge ${c.channel}`, LABELS.channel[c.channel] || c.channel));
  tags.append(el("span", "badge lang", LABELS.lang[c.language] || c.language || "?"));
  if (c.handoff_reason) tags.append(el("span", "badge reason", LABELS.reason[c.handoff_reason] || c.handoff_reason));
  if (!pending && c.assigned_agent_name && state.me.role === "admin") tags.append(el("span", "assignee", c.assigned_agent_name));
  li.append(row, tags, el("div", "last", c.last_message || "—"));
  li.addEventListener("click", () => select(c.id));
  return li;
}

async function loadQueue() {
  if (!state.me) return;
  let data;
  try { data = await api("GET", "/queue"); } catch (e) { if (e.status !== 401) toast(e.message, true); return; }
  const q = $("queue"), mine = $("mine");
  q.replaceChildren(...data.pending.map((c) => convItem(c, true)));
  mine.replaceChildren(...data.mine.map((c) => convItem(c, false)));
  $("queue-count").textContent = data.pending.length; $("queue-empty").hidden = data.pending.length > 0;
  $("mine-count").textContent = data.mine.length; $("mine-empty").hidden = data.mine.length > 0;
}

setInterval(() => {
  document.querySelectorAll(".conv-item .wait").forEach((w) => { if (w.dataset.since) w.textContent = waited(w.dataset.since); });
}, 15000);

// ---------- Conversation ----------
async function select(id) {
  state.selected = id;
  document.querySelectorAll(".conv-item").forEach((li) => li.classList.toggle("selected", li.dataset.id === id));
  $("suggestions").replaceChildren();
  $("suggestions-empty").textContent = "Looking for answers…"; $("suggestions-empty").hidden = false;
  await loadDetail(id);
  loadSuggestions(id);
}

async function loadDetail(id) {
  let d;
  try { d = await api("GET", `/conversations/${encodeURIComponent(id)}`); }
  catch (e) { if (e.status !== 401) toast(e.message, true); return; }
  if (state.selected !== id) return;
  const lastIn = state.detail && state.detail.conversation.id === id ? state.detail.last_customer_message_id : null;
  state.detail = d;
  renderDetail(d);
  if (lastIn !== null && lastIn !== d.last_customer_message_id) loadSuggestions(id);
}

function fmtTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  const today = new Date().toDateString() === d.toDateString();
  const opts = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  return today ? d.toLocaleTimeString([], opts)
               : d.toLocaleString([], { day: "2-digit", month: "short", ...opts });
}

function renderDetail(d) {
  const c = d.conversation;
  const t = $("transcript");
  const atBottom = t.scrollHeight - t.scrollTop - t.clientHeight < 150;
  $("no-selection").hidden = true; $("conversation").hidden = false; $("details").hidden = false;
  $("conv-title").textContent = c.contact_name || c.contact_identity || "Customer";
  const meta = $("conv-meta"); meta.replaceChildren();
  meta.append(el("span", `badge ${c.channel}`, LABELS.channel[c.channel] || c.channel),
              el("span", "badge lang", LABELS.lang[c.language] || c.language || "?"));
  const stateText = { bot: "with the bot", pending: `waiting (#${c.position || "?"} in queue)`,
                      agent: `with ${c.assigned_agent_name || "an agent"}`, closed: "closed" }[c.state] || c.state;
  meta.append(el("span", "", stateText));
  if (c.contact_identity && c.contact_name) meta.append(el("span", "", "· " + c.contact_identity));
  if (d.sender_auth) {
    const a = d.sender_auth;
    const text = { pass: `verified sender (${a.domain})`, fail: `NOT verified: ${a.domain} did not vouch for this mail`,
                   none: `sender not verified (no SPF/DKIM result)` }[a.verdict] || a.verdict;
    const badge = el("span", `badge auth-${a.verdict}`, text);
    badge.dataset.testid = "sender-auth";
    badge.title = `SPF ${a.spf || "-"}, DKIM ${a.dkim || "-"}, DMARC ${a.dmarc || "-"}`;
    meta.append(badge);
    if (a.automatic) meta.append(el("span", "badge reason", "automatic mail: not answered"));
  }
  meta.dataset.state = c.state;

  $("btn-take").hidden = !d.permissions.take;
  $("btn-handback").hidden = !d.permissions.handback;
  $("btn-close").hidden = !d.permissions.close;

  const banner = $("conv-banner");
  if (d.notice) { banner.textContent = d.notice; banner.hidden = false; } else { banner.hidden = true; }

  $("composer").hidden = !(d.permissions.reply || d.permissions.note);
  setMode(state.mode);

  // Transcript
  t.replaceChildren(...d.messages.map(renderMessage));
  if (atBottom || !renderDetail.lastId || renderDetail.lastId !== c.id) t.scrollTop = t.scrollHeight;
  renderDetail.lastId = c.id;

  // Facts
  renderFacts($("collected"), [
    ["Email", d.collected.email], ["Order number", d.collected.order_number], ["Plate", d.collected.plate],
    ["Order date", d.collected.order_date], ["Found order", d.collected.found_order],
  ], d.collected_error);
  $("order-panel").hidden = !d.order;
  if (d.order) {
    renderFacts($("order"), [["Number", d.order.order_number], ["Status", d.order.status],
      ["Carrier", d.order.carrier], ["Tracking", d.order.tracking_number],
      ["Expected", d.order.expected_delivery], ["Items", d.order.items], ["Email", d.order.email]]);
  }
  $("events").replaceChildren(...d.events.map((e) => {
    const li = el("li");
    li.append(el("span", "", fmtTime(e.created_at)));
    const txt = el("span"); txt.append(el("b", "", LABELS.event[e.type] || e.type.replace(/_/g, " ")), ` by ${e.actor_name}`);
    if (e.type === "handoff" && e.data && e.data.reason) txt.append(` (${LABELS.reason[e.data.reason] || e.data.reason})`);
    li.append(txt); return li;
  }));
}

function renderMessage(m) {
  const kind = m.internal ? "note" : m.author;
  const li = el("li", `msg ${kind}`);
  li.dataset.author = m.author; li.dataset.testid = "message";
  const who = m.internal ? `Internal note · ${m.agent_name || "agent"}`
    : { customer: "Customer", bot: "Bot", agent: m.agent_name || "Agent", system: "" }[m.author];
  const bubble = el("div", "bubble", m.text || (m.media && m.media.length ? "[media]" : ""));
  li.append(bubble);
  if (m.media && m.media.length) {
    const media = el("div", "buttons");
    m.media.forEach((u, i) => {
      const url = String(typeof u === "string" ? u : (u && u.url) || "");
      if (!/^https?:\/\//i.test(url)) return;  // never a javascript: link
      const a = el("a", "", `attachment ${i + 1}`); a.href = url; a.target = "_blank"; a.rel = "noopener noreferrer";
      media.append(a);
    });
    li.append(media);
  }
  if (m.buttons && m.buttons.length) {
    const b = el("div", "buttons"); m.buttons.forEach((x) => b.append(el("span", "", x.title))); li.append(b);
  }
  const meta = el("div", "meta", [who, fmtTime(m.created_at)].filter(Boolean).join(" · "));
  if (m.direction === "out" && !m.internal && m.status && m.status !== "sent" && m.status !== "delivered" && m.status !== "read") {
    meta.append(" · ", el("span", `status ${m.status}`, m.status));
  }
  li.append(meta);
  return li;
}

function renderFacts(dl, rows, error) {
  dl.replaceChildren();
  rows.forEach(([k, v]) => {
    if (v === undefined) return;
    dl.append(el("dt", "", k));
    const empty = v === null || v === "";
    dl.append(el("dd", empty ? "none" : "", empty ? "—" : (Array.isArray(v) ? v.join(", ") : String(v))));
  });
  if (error) { dl.append(el("dt", "", "Note")); dl.append(el("dd", "none", error)); }
}

async function loadSuggestions(id) {
  const list = $("suggestions");
  let data;
  try { data = await api("GET", `/conversations/${encodeURIComponent(id)}/suggestions`); }
  catch (e) { list.replaceChildren(); $("suggestions-empty").textContent = e.message; $("suggestions-empty").hidden = false; return; }
  if (state.selected !== id) return;
  list.replaceChildren(...data.results.map((r) => {
    const li = el("li", "suggestion"); li.dataset.testid = "suggestion";
    const btn = el("button", "btn", "Insert"); btn.type = "button";
    btn.addEventListener("click", () => insertSuggestion(r.answer));
    li.append(el("div", "q", r.question), el("div", "a", r.answer), btn);
    return li;
  }));
  $("suggestions-empty").textContent = "No suggestion for the last message.";
  $("suggestions-empty").hidden = data.results.length > 0;
}

function insertSuggestion(text) {
  if (state.detail && state.detail.permissions.reply) setMode("reply");
  const box = $("reply-text");
  box.value = box.value.trim() ? box.value.replace(/\s*$/, "\n\n") + text : text;
  box.focus();
}

function setMode(mode) {
  state.mode = mode;
  $("composer").classList.toggle("note-mode", mode === "note");
  $("tab-reply").classList.toggle("active", mode === "reply");
  $("tab-note").classList.toggle("active", mode === "note");
  $("tab-reply").setAttribute("aria-selected", String(mode === "reply"));
  $("tab-note").setAttribute("aria-selected", String(mode === "note"));
  $("btn-send").textContent = mode === "note" ? "Add note" : "Send reply";
  $("reply-text").placeholder = mode === "note" ? "Note for colleagues (never sent to the customer)…" : "Write a reply…";
  const d = state.detail;
  const canReply = !!(d && d.permissions.reply);
  $("btn-send").disabled = mode === "reply" && !canReply;
  let hint = "Only agents see notes.";
  if (mode === "reply") {
    const c = d && d.conversation;
    hint = !d ? "" : canReply
      ? `Goes out by ${LABELS.channel[c.channel] || c.channel} · customer language ${LABELS.lang[c.language] || "?"} · Ctrl+Enter sends`
      : d.conversation.state === "agent" ? "You can't send free text to this customer right now (see above)."
      : "Take over the conversation to reply.";
  }
  $("composer-hint").textContent = hint;
}

async function act(action, body) {
  const id = state.selected;
  try {
    await api("POST", `/conversations/${encodeURIComponent(id)}/${action}`, body);
    await loadDetail(id); loadQueue();
    return true;
  } catch (e) {
    toast(e.message, true);
    if (e.status === 409 || e.status === 403) { loadDetail(id); loadQueue(); }
    return false;
  }
}

async function onSend(ev) {
  ev.preventDefault();
  const text = $("reply-text").value.trim();
  if (!text) return;
  $("btn-send").disabled = true;
  const ok = await act(state.mode === "note" ? "note" : "reply", { text });
  setMode(state.mode);
  if (ok) $("reply-text").value = "";
}

// ---------- Boot ----------
document.addEventListener("DOMContentLoaded", async () => {
  $("login-form").addEventListener("submit", onLogin);
  $("logout").addEventListener("click", onLogout);
  $("composer").addEventListener("submit", onSend);
  $("reply-text").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) $("composer").requestSubmit();
  });
  $("tab-reply").addEventListener("click", () => setMode("reply"));
  $("tab-note").addEventListener("click", () => setMode("note"));
  $("btn-take").addEventListener("click", () => act("take"));
  $("btn-handback").addEventListener("click", () => act("handback"));
  $("btn-close").addEventListener("click", () => { if (confirm("Close this conversation?")) act("close"); });
  try { enterConsole(await api("GET", "/me")); } catch (_) { showLogin(); }
});
