// Agent console. Plain JS: state lives on the server; this page renders it and re-fetches on live events.
"use strict";

const state = { me: null, csrf: null, selected: null, detail: null, mode: "reply", ws: null, wsRetry: 0,
                pendingIds: null, canned: [], cannedFor: null, menu: { open: false, items: [], active: 0 } };
const BASE_TITLE = "Helpdesk · Agent console";
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
  state.me = null; state.csrf = null; state.pendingIds = null; state.cannedFor = null;
  document.title = BASE_TITLE;
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
  $("btn-canned-admin").hidden = data.agent.role !== "admin";
  renderAlertToggles();
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
  if (c.shop_name) { const b = el("span", "badge shop", c.shop_name); b.dataset.shop = c.shop; tags.append(b); }
  if (c.handoff_reason) tags.append(el("span", "badge reason", LABELS.reason[c.handoff_reason] || c.handoff_reason));
  if (!pending && c.assigned_agent_name && state.me.role === "admin") tags.append(el("span", "assignee", c.assigned_agent_name));
  li.append(row, tags, el("div", "last", c.last_message || "—"));
  li.tabIndex = 0;
  li.setAttribute("role", "button");
  li.setAttribute("aria-label", [pending ? `Waiting #${c.position}` : "Conversation",
    c.contact_name || c.contact_identity || "customer", LABELS.channel[c.channel] || c.channel,
    c.handoff_reason ? (LABELS.reason[c.handoff_reason] || c.handoff_reason) : "", waited(since)].filter(Boolean).join(", "));
  if (c.id === state.selected) li.setAttribute("aria-current", "true");
  li.addEventListener("click", () => select(c.id));
  li.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); select(c.id); }
  });
  return li;
}

async function loadQueue() {
  if (!state.me) return;
  let data;
  const filter = $("shop-filter");
  const wanted = filter.value;
  try { data = await api("GET", "/queue" + (wanted ? "?shop=" + encodeURIComponent(wanted) : "")); }
  catch (e) { if (e.status !== 401) toast(e.message, true); return; }
  if (filter.options.length !== data.shops.length + 1) {  // the shops this agent works for
    filter.replaceChildren(el("option", null, "All my shops"), ...data.shops.map((s) => {
      const o = el("option", null, s.name); o.value = s.id; return o;
    }));
    filter.firstChild.value = ""; filter.value = wanted;
  }
  filter.parentElement.hidden = data.shops.length < 2;
  const q = $("queue"), mine = $("mine");
  const focusedId = document.activeElement && document.activeElement.classList.contains("conv-item")
    ? document.activeElement.dataset.id : null;
  q.replaceChildren(...data.pending.map((c) => convItem(c, true)));
  mine.replaceChildren(...data.mine.map((c) => convItem(c, false)));
  if (focusedId) { const again = document.querySelector(`.conv-item[data-id="${CSS.escape(focusedId)}"]`); if (again) again.focus(); }
  announceWaiting(data.pending);
  $("queue-count").textContent = data.pending.length; $("queue-empty").hidden = data.pending.length > 0;
  $("mine-count").textContent = data.mine.length; $("mine-empty").hidden = data.mine.length > 0;
}

$("shop-filter").addEventListener("change", () => loadQueue());

setInterval(() => {
  document.querySelectorAll(".conv-item .wait").forEach((w) => { if (w.dataset.since) w.textContent = waited(w.dataset.since); });
}, 15000);

// ---------- Conversation ----------
// ---------- Views (a phone shows one pane at a time: queue -> conversation -> details) ----------
function setView(view) {
  $("console-view").dataset.view = view;
  if (view === "details") $("btn-details-back").focus();
}

function backToQueue() {
  setView("queue");
  const item = state.selected && document.querySelector(`.conv-item[data-id="${CSS.escape(state.selected)}"]`);
  (item || $("queue")).focus();
}

function backToConversation() {
  setView("conversation");
  $("btn-details").focus();
}

async function select(id) {
  state.selected = id;
  setView("conversation");
  document.querySelectorAll(".conv-item").forEach((li) => li.classList.toggle("selected", li.dataset.id === id));
  $("suggestions").replaceChildren();
  $("suggestions-empty").textContent = "Looking for answers…"; $("suggestions-empty").hidden = false;
  await loadDetail(id);
  $("conv-title").focus();
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
  if (c.shop_name) meta.append(el("span", "badge shop", c.shop_name));
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
  renderTemplates(d);
  loadCanned(c);

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
    const media = el("div", "attachments"); media.dataset.testid = "attachments";
    m.media.forEach((u, i) => media.append(renderAttachment(u, i)));
    li.append(media);
  }
  if (m.buttons && m.buttons.length) {
    const b = el("div", "buttons"); m.buttons.forEach((x) => b.append(el("span", "", x.title))); li.append(b);
  }
  const meta = el("div", "meta", [who, fmtTime(m.created_at)].filter(Boolean).join(" · "));
  if (m.direction === "out" && !m.internal && m.status) {
    // Delivery as the channel reports it (WhatsApp status callbacks: delivered, read, failed).
    const st = el("span", `status ${m.status}`, STATUS_TEXT[m.status] || m.status);
    st.dataset.testid = "status";
    if (m.status === "failed" && m.error) st.title = m.error;
    meta.append(" · ", st);
  }
  li.append(meta);
  return li;
}

const STATUS_TEXT = { queued: "sending…", sent: "sent", delivered: "delivered", read: "read", failed: "failed" };

// A customer's attachment: stored ones (file) come from /agent/media (agents only); images show inline.
function renderAttachment(u, i) {
  const item = (u && typeof u === "object") ? u : { url: String(u || "") };
  const label = item.filename || `attachment ${i + 1}`;
  if (item.file) {
    const href = "/agent/media/" + encodeURIComponent(item.file);
    const a = el("a", "attachment"); a.href = href; a.target = "_blank"; a.rel = "noopener";
    if (/^image\//.test(item.content_type || "")) {
      const img = el("img"); img.src = href; img.alt = `Image from the customer: ${label}`; img.loading = "lazy";
      a.append(img);
    } else {
      a.append(el("span", "", `${label} (${item.content_type || "file"}, ${Math.ceil((item.size || 0) / 1024)} kB)`));
    }
    return a;
  }
  if (item.error) return el("span", "attachment missing", `${label}: not kept (${item.error})`);
  const url = String(item.url || "");
  if (!/^https?:\/\//i.test(url)) return el("span", "attachment missing", label);  // never a javascript: link
  const a = el("a", "attachment", label); a.href = url; a.target = "_blank"; a.rel = "noopener noreferrer";
  return a;
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
    const via = c && c.reply_email ? `email to ${c.reply_email} (asked for outside hours)` : (c && (LABELS.channel[c.channel] || c.channel));
    hint = !d ? "" : canReply
      ? `Goes out by ${via} · customer language ${LABELS.lang[c.language] || "?"} · Ctrl+Enter sends`
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

// ---------- New waiting customers: notification, sound (off by default), count in the tab title ----------
function announceWaiting(pending) {
  const ids = new Set(pending.map((c) => c.id));
  document.title = pending.length ? `(${pending.length}) ${BASE_TITLE}` : BASE_TITLE;
  const before = state.pendingIds;
  state.pendingIds = ids;
  if (before === null) return;  // the first load is not news
  const fresh = pending.filter((c) => !before.has(c.id));
  if (!fresh.length) return;
  if (soundOn()) beep();
  if ("Notification" in window && Notification.permission === "granted") {
    const c = fresh[0];
    const more = fresh.length > 1 ? ` (+${fresh.length - 1} more)` : "";
    const n = new Notification("A customer is waiting", {
      body: `${c.contact_name || c.contact_identity || "Customer"} · ${LABELS.channel[c.channel] || c.channel}${more}`,
      tag: "helpdesk-waiting",
    });
    n.onclick = () => { window.focus(); select(c.id); n.close(); };
  }
}

function soundOn() { try { return localStorage.getItem("helpdesk.sound") === "on"; } catch (_) { return false; } }

function beep() {
  try {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    const ctx = beep.ctx || (beep.ctx = new Ctx());
    const osc = ctx.createOscillator(), gain = ctx.createGain();
    osc.frequency.value = 880; gain.gain.value = 0.08;
    osc.connect(gain); gain.connect(ctx.destination);
    osc.start(); osc.stop(ctx.currentTime + 0.18);
    beep.count = (beep.count || 0) + 1;
  } catch (_) { /* no audio device: the title and notification still say it */ }
}

function renderAlertToggles() {
  const sound = soundOn();
  const s = $("btn-sound");
  s.setAttribute("aria-pressed", String(sound));
  s.setAttribute("aria-label", `Sound for new waiting customers (${sound ? "on" : "off"})`);
  s.firstElementChild.textContent = sound ? "Sound on" : "Sound off";
  const n = $("btn-notify");
  const perm = "Notification" in window ? Notification.permission : "unsupported";
  n.setAttribute("aria-pressed", String(perm === "granted"));
  n.setAttribute("aria-label", perm === "granted" ? "Browser notifications are on"
    : perm === "denied" ? "Browser notifications are blocked in this browser" : "Turn on browser notifications");
  n.disabled = perm === "unsupported" || perm === "denied";
  n.firstElementChild.textContent = perm === "granted" ? "Alerts on" : "Alerts";
}

async function toggleNotifications() {
  if (!("Notification" in window)) return;
  if (Notification.permission === "default") { try { await Notification.requestPermission(); } catch (_) { /* */ } }
  else if (Notification.permission === "granted") toast("Notifications are on; switch them off in the browser's site settings.");
  renderAlertToggles();
}

function toggleSound() {
  try { localStorage.setItem("helpdesk.sound", soundOn() ? "off" : "on"); } catch (_) { /* private mode */ }
  renderAlertToggles();
  if (soundOn()) beep();  // a click is the user gesture browsers need before playing sound
}

// ---------- Canned responses ("/" in the composer) ----------
async function loadCanned(c) {
  const key = `${c.shop_id || "default"}|${c.language || ""}`;
  if (state.cannedFor === key) return;
  state.cannedFor = key;
  try {
    const q = new URLSearchParams({ shop: c.shop_id || "default" });
    if (c.language) q.set("language", c.language);
    state.canned = (await api("GET", `/canned?${q}`)).canned;
  } catch (_) { state.canned = []; }
}

function cannedQuery() {
  const box = $("reply-text");
  const before = box.value.slice(0, box.selectionStart);
  const m = /(^|\s)\/([a-z0-9_-]*)$/i.exec(before);
  return m ? { query: m[2].toLowerCase(), start: before.length - m[2].length - 1 } : null;
}

function updateCannedMenu() {
  const found = cannedQuery();
  if (!found) return closeCannedMenu();
  const items = state.canned.filter((c) => c.shortcut.startsWith(found.query)
    || c.title.toLowerCase().includes(found.query)).slice(0, 8);
  state.menu = { open: true, items, active: 0, start: found.start };
  renderCannedMenu();
}

function renderCannedMenu() {
  const menu = $("canned-menu"), box = $("reply-text");
  const { items, active } = state.menu;
  menu.replaceChildren(...(items.length ? items.map((c, i) => {
    const li = el("li", "canned-option" + (i === active ? " active" : ""));
    li.id = `canned-opt-${c.id}`; li.setAttribute("role", "option"); li.setAttribute("aria-selected", String(i === active));
    li.append(el("b", "", "/" + c.shortcut), " ", el("span", "", c.title), el("div", "muted", c.text));
    li.addEventListener("mousedown", (ev) => { ev.preventDefault(); insertCanned(c); });
    return li;
  }) : [el("li", "canned-empty", state.canned.length ? "No match" : "No canned responses for this shop and language")]));
  menu.hidden = false;
  box.setAttribute("aria-expanded", "true");
  if (items[active]) box.setAttribute("aria-activedescendant", `canned-opt-${items[active].id}`);
  else box.removeAttribute("aria-activedescendant");
}

function closeCannedMenu() {
  state.menu = { open: false, items: [], active: 0 };
  $("canned-menu").hidden = true;
  $("reply-text").setAttribute("aria-expanded", "false");
  $("reply-text").removeAttribute("aria-activedescendant");
}

function insertCanned(c) {
  const box = $("reply-text");
  const start = state.menu.start, end = box.selectionStart;
  box.value = box.value.slice(0, start) + c.text + box.value.slice(end);
  const caret = start + c.text.length;
  closeCannedMenu();
  box.focus(); box.setSelectionRange(caret, caret);
}

function onComposerKey(ev) {
  if (state.menu.open) {
    const n = state.menu.items.length;
    if (ev.key === "ArrowDown" && n) { ev.preventDefault(); state.menu.active = (state.menu.active + 1) % n; renderCannedMenu(); return; }
    if (ev.key === "ArrowUp" && n) { ev.preventDefault(); state.menu.active = (state.menu.active + n - 1) % n; renderCannedMenu(); return; }
    if ((ev.key === "Enter" || ev.key === "Tab") && n && !ev.ctrlKey && !ev.metaKey) {
      ev.preventDefault(); insertCanned(state.menu.items[state.menu.active]); return;
    }
    if (ev.key === "Escape") { ev.preventDefault(); ev.stopPropagation(); closeCannedMenu(); return; }
  }
  if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) $("composer").requestSubmit();
}

// ---------- WhatsApp templates (the 24-hour window is closed) ----------
function renderTemplates(d) {
  const form = $("template-form");
  const list = (d.whatsapp && d.whatsapp.template_list) || [];
  form.hidden = !(d.permissions.template && !d.permissions.reply && list.length);
  if (form.hidden) return;
  const select = $("template-select");
  const key = (t) => `${t.name}|${t.language || ""}`;
  const previous = select.value;
  if (select.dataset.for !== d.conversation.id || select.options.length !== list.length) {
    select.replaceChildren(...list.map((t) => {
      const o = el("option", "", t.name + (t.language ? ` (${t.language.toUpperCase()})` : ""));
      o.value = key(t); return o;
    }));
    select.dataset.for = d.conversation.id;
    if (previous && list.some((t) => key(t) === previous)) select.value = previous;
    renderTemplateVars();
  }
}

function selectedTemplate() {
  const list = (state.detail && state.detail.whatsapp && state.detail.whatsapp.template_list) || [];
  return list.find((t) => `${t.name}|${t.language || ""}` === $("template-select").value);
}

function renderTemplateVars() {
  const t = selectedTemplate();
  $("template-vars").replaceChildren(...(t ? t.variables : []).map((label, i) => {
    const l = el("label", "", `{{${i + 1}}} ${label}`);
    const input = el("input"); input.required = true; input.dataset.index = String(i + 1); input.maxLength = 1024;
    l.append(input); return l;
  }));
}

async function onSendTemplate(ev) {
  ev.preventDefault();
  const t = selectedTemplate();
  if (!t) return;
  const variables = [...$("template-vars").querySelectorAll("input")].map((i) => i.value);
  $("btn-template").disabled = true;
  const ok = await act("template", { name: t.name, language: t.language, variables });
  $("btn-template").disabled = false;
  if (ok) { $("template-vars").querySelectorAll("input").forEach((i) => { i.value = ""; }); toast("Template sent."); }
}

// ---------- Admin: manage canned responses ----------
async function openCannedAdmin() {
  resetCannedForm();
  await refreshCannedRows();
  $("canned-dialog").showModal();
  $("canned-shortcut").focus();
}

async function refreshCannedRows() {
  let rows = [];
  try { rows = (await api("GET", "/canned")).canned; } catch (e) { toast(e.message, true); }
  $("canned-rows").replaceChildren(...rows.map((c) => {
    const tr = el("tr");
    tr.append(el("td", "", c.shop_id), el("td", "", c.language.toUpperCase()), el("td", "", "/" + c.shortcut),
              el("td", "canned-text", c.text));
    const td = el("td"), actions = el("div", "row-actions");
    const edit = el("button", "btn", "Edit"); edit.type = "button"; edit.setAttribute("aria-label", `Edit /${c.shortcut} (${c.language})`);
    edit.addEventListener("click", () => fillCannedForm(c));
    const del = el("button", "btn btn-danger", "Delete"); del.type = "button"; del.setAttribute("aria-label", `Delete /${c.shortcut} (${c.language})`);
    del.addEventListener("click", async () => {
      if (!confirm(`Delete /${c.shortcut}?`)) return;
      try { await api("DELETE", `/canned/${c.id}`); } catch (e) { toast(e.message, true); }
      state.cannedFor = null; refreshCannedRows();
    });
    actions.append(edit, del); td.append(actions); tr.append(td); return tr;
  }));
}

function fillCannedForm(c) {
  $("canned-id").value = c.id; $("canned-shop").value = c.shop_id; $("canned-language").value = c.language;
  $("canned-shortcut").value = c.shortcut; $("canned-title").value = c.title; $("canned-text").value = c.text;
  $("canned-legend").textContent = `Edit /${c.shortcut}`;
  $("canned-shortcut").focus();
}

function resetCannedForm() {
  ["canned-id", "canned-shortcut", "canned-title", "canned-text"].forEach((id) => { $(id).value = ""; });
  $("canned-shop").value = "default"; $("canned-legend").textContent = "New response"; $("canned-error").hidden = true;
}

async function saveCanned() {
  const id = $("canned-id").value;
  const body = { shop_id: $("canned-shop").value.trim(), language: $("canned-language").value,
                 shortcut: $("canned-shortcut").value, title: $("canned-title").value, text: $("canned-text").value };
  try {
    await api(id ? "PUT" : "POST", id ? `/canned/${id}` : "/canned", body);
  } catch (e) { $("canned-error").textContent = e.message; $("canned-error").hidden = false; return; }
  state.cannedFor = null;
  resetCannedForm(); await refreshCannedRows(); $("canned-shortcut").focus();
}

// ---------- Boot ----------
document.addEventListener("DOMContentLoaded", async () => {
  $("login-form").addEventListener("submit", onLogin);
  $("logout").addEventListener("click", onLogout);
  $("composer").addEventListener("submit", onSend);
  $("reply-text").addEventListener("keydown", onComposerKey);
  $("reply-text").addEventListener("input", updateCannedMenu);
  $("reply-text").addEventListener("blur", () => setTimeout(closeCannedMenu, 150));
  $("btn-back").addEventListener("click", backToQueue);
  $("btn-details").addEventListener("click", () => setView("details"));
  $("btn-details-back").addEventListener("click", backToConversation);
  $("btn-sound").addEventListener("click", toggleSound);
  $("btn-notify").addEventListener("click", toggleNotifications);
  $("btn-canned-admin").addEventListener("click", openCannedAdmin);
  $("canned-save").addEventListener("click", saveCanned);
  $("canned-reset").addEventListener("click", resetCannedForm);
  $("canned-done").addEventListener("click", () => $("canned-dialog").close());
  $("template-select").addEventListener("change", renderTemplateVars);
  $("template-form").addEventListener("submit", onSendTemplate);
  document.addEventListener("keydown", (ev) => {  // Escape steps back on a phone (details -> conversation -> queue)
    if (ev.key !== "Escape" || ev.defaultPrevented || $("canned-dialog").open) return;
    const view = $("console-view").dataset.view;
    if (view === "details") backToConversation();
    else if (view === "conversation" && getComputedStyle($("btn-back")).display !== "none") backToQueue();
  });
  $("tab-reply").addEventListener("click", () => setMode("reply"));
  $("tab-note").addEventListener("click", () => setMode("note"));
  $("btn-take").addEventListener("click", () => act("take"));
  $("btn-handback").addEventListener("click", () => act("handback"));
  $("btn-close").addEventListener("click", () => { if (confirm("Close this conversation?")) act("close"); });
  try { enterConsole(await api("GET", "/me")); } catch (_) { showLogin(); }
});
