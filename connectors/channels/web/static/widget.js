/*
 * Helpdesk web chat widget. Plain JS, no build step, no external requests except the gateway.
 *
 * Embed:
 *   <script>
 *     window.HelpdeskWidget = {
 *       gatewayUrl: "https://chat.example.shop",  // default: where this script was loaded from
 *       language: "nl",                            // "nl" | "fr" (default: <html lang>, then browser)
 *       shop: "mister-auto",                       // shops.yml id (default: the gateway's default shop)
 *       shopName: "My Shop",
 *       colors: { primary: "#0f766e", onPrimary: "#ffffff", background: "#ffffff" },
 *       open: false                                // open the panel on load
 *     };
 *   </script>
 *   <script src="https://chat.example.shop/widget.js" async></script>
 *
 * The session token is kept in localStorage ("helpdesk.token", "helpdesk.token.<shop>" with a shop) so a reload or a reconnect
 * resumes the same conversation and its history. Everything lives in a shadow root, so the
 * shop's CSS cannot break the widget and the widget's CSS cannot leak into the shop.
 */
(function () {
  "use strict";
  if (window.__helpdeskWidgetLoaded) return;
  window.__helpdeskWidgetLoaded = true;

  var cfg = window.HelpdeskWidget || {};
  var script = document.currentScript;
  var scriptOrigin = script && script.src ? new URL(script.src, location.href).origin : location.origin;
  var gateway = (cfg.gatewayUrl || scriptOrigin).replace(/\/+$/, "");
  var lang = (cfg.language || document.documentElement.lang || navigator.language || "nl").slice(0, 2).toLowerCase();
  if (lang !== "fr") lang = "nl";
  var colors = cfg.colors || {};
  var primary = colors.primary || "#0f766e";
  var onPrimary = colors.onPrimary || "#ffffff";
  var background = colors.background || "#ffffff";
  var shopName = cfg.shopName || "Shop";
  var openOnLoad = cfg.open === true;
  var shop = typeof cfg.shop === "string" && cfg.shop ? cfg.shop : null;
  var TOKEN_KEY = shop ? "helpdesk.token." + shop : "helpdesk.token";  // two shops' widgets, two sessions
  var SOUND_KEY = "helpdesk.widget.sound";
  var MAX_TEXT = 4000;
  var MAX_IMAGE = 5 * 1024 * 1024;  // the server checks too (WEBCHAT_MAX_IMAGE_BYTES, magic bytes)
  var IMAGE_TYPES = ["image/png", "image/jpeg", "image/webp"];

  var T = {
    nl: {
      title: "Klantenservice", online: "We antwoorden meestal meteen",
      pending: "Een medewerker neemt het zo over", agent: "Je praat met een medewerker",
      closed: "Gesprek afgesloten", offline: "Verbinding maken…",
      placeholder: "Typ je bericht…", send: "Versturen", open: "Chat openen", close: "Chat sluiten",
      welcome: "Hallo! Stel je vraag over je bestelling, levering, retour of factuur.",
      tooLong: "Je bericht is te lang (max. 4000 tekens).", you: "Jij", agentName: "Medewerker",
      error: "Er ging iets mis. Probeer het opnieuw.",
      attach: "Afbeelding toevoegen", image: "Afbeelding", imageTypes: "Alleen PNG-, JPEG- of WebP-afbeeldingen.",
      imageTooBig: "Die afbeelding is te groot (max. 5 MB).", imageFailed: "De afbeelding kon niet worden verstuurd.",
      offer: "Onze medewerkers zijn nu niet beschikbaar. Laat je e-mailadres achter, dan krijg je het antwoord per e-mail.",
      emailLabel: "Je e-mailadres", emailSend: "Antwoord per e-mail", emailNo: "Nee, bedankt",
      emailSaved: "Bedankt! We antwoorden per e-mail aan ", badEmail: "Dat e-mailadres klopt niet.",
      soundOn: "Geluid aan", soundOff: "Geluid uit", unread: " ongelezen"
    },
    fr: {
      title: "Service client", online: "Nous répondons tout de suite",
      pending: "Un conseiller va prendre le relais", agent: "Vous parlez avec un conseiller",
      closed: "Conversation terminée", offline: "Connexion…",
      placeholder: "Écrivez votre message…", send: "Envoyer", open: "Ouvrir le chat", close: "Fermer le chat",
      welcome: "Bonjour ! Posez votre question sur votre commande, la livraison, un retour ou une facture.",
      tooLong: "Votre message est trop long (4000 caractères max.).", you: "Vous", agentName: "Conseiller",
      error: "Un problème est survenu. Réessayez.",
      attach: "Ajouter une image", image: "Image", imageTypes: "Images PNG, JPEG ou WebP uniquement.",
      imageTooBig: "Cette image est trop lourde (5 Mo max.).", imageFailed: "L'image n'a pas pu être envoyée.",
      offer: "Nos conseillers ne sont pas disponibles pour le moment. Laissez votre adresse e-mail et nous vous répondrons par e-mail.",
      emailLabel: "Votre adresse e-mail", emailSend: "Réponse par e-mail", emailNo: "Non merci",
      emailSaved: "Merci ! Nous vous répondrons par e-mail à ", badEmail: "Cette adresse e-mail n'est pas valide.",
      soundOn: "Son activé", soundOff: "Son désactivé", unread: " non lu(s)"
    }
  }[lang];

  var css = "" +
    ":host{all:initial}" +
    "*{box-sizing:border-box;font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}" +
    ".launcher{position:fixed;right:20px;bottom:20px;width:60px;height:60px;border-radius:50%;border:0;cursor:pointer;" +
    "background:var(--p);color:var(--op);box-shadow:0 8px 24px rgba(15,23,42,.25);display:flex;align-items:center;justify-content:center;" +
    "z-index:2147483000;transition:transform .15s ease}" +
    ".launcher:hover{transform:scale(1.06)}.launcher svg{width:28px;height:28px}" +
    ".badge{position:absolute;top:2px;right:2px;min-width:18px;height:18px;border-radius:9px;background:#ef4444;color:#fff;" +
    "font-size:11px;font-weight:700;display:none;align-items:center;justify-content:center;padding:0 5px}" +
    ".panel{position:fixed;right:20px;bottom:92px;width:370px;height:min(600px,calc(100vh - 120px));background:var(--bg);" +
    "border-radius:16px;box-shadow:0 16px 48px rgba(15,23,42,.28);display:none;flex-direction:column;overflow:hidden;z-index:2147483001}" +
    ".panel.open{display:flex;animation:pop .18s ease-out}" +
    "@keyframes pop{from{opacity:0;transform:translateY(12px)}to{opacity:1;transform:none}}" +
    ".head{background:var(--p);color:var(--op);padding:14px 16px;display:flex;align-items:center;gap:12px}" +
    ".avatar{width:38px;height:38px;border-radius:50%;background:rgba(255,255,255,.2);display:flex;align-items:center;justify-content:center;font-weight:700;font-size:16px;flex:none}" +
    ".who{flex:1;min-width:0}.shop{font-weight:700;font-size:16px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}" +
    ".status{font-size:12.5px;opacity:.9;display:flex;align-items:center;gap:6px;min-width:0}" +
    ".stext{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}" +
    ".dot{width:8px;height:8px;border-radius:50%;background:#4ade80;flex:none}.dot.off{background:#fbbf24}" +
    ".x{background:transparent;border:0;color:var(--op);cursor:pointer;width:34px;height:34px;border-radius:8px;display:flex;align-items:center;justify-content:center}" +
    ".x:hover{background:rgba(255,255,255,.15)}.x svg{width:20px;height:20px}" +
    ".log{flex:1;overflow-y:auto;padding:16px 14px;background:#f6f7f9;display:flex;flex-direction:column;gap:8px;scroll-behavior:smooth}" +
    ".row{display:flex;flex-direction:column;max-width:85%}.row.me{align-self:flex-end;align-items:flex-end}.row.them{align-self:flex-start}" +
    ".label{font-size:11px;color:#64748b;margin:0 4px 2px}" +
    ".bubble{padding:9px 13px;border-radius:16px;font-size:14.5px;line-height:1.42;white-space:pre-wrap;word-wrap:break-word;overflow-wrap:anywhere}" +
    ".them .bubble{background:#fff;color:#0f172a;border:1px solid #e5e7eb;border-bottom-left-radius:4px}" +
    ".me .bubble{background:var(--p);color:var(--op);border-bottom-right-radius:4px}" +
    ".agent .bubble{border-left:3px solid var(--p)}" +
    ".bubble a{color:inherit}" +
    ".chips{display:flex;flex-wrap:wrap;gap:6px;margin-top:6px}" +
    ".chip{border:1.5px solid var(--p);color:var(--p);background:#fff;border-radius:999px;padding:6px 12px;font-size:13.5px;cursor:pointer;font-weight:600}" +
    ".chip:hover{background:var(--p);color:var(--op)}.chip:disabled{opacity:.45;cursor:default;background:#fff;color:var(--p)}" +
    ".notice{align-self:center;font-size:12px;color:#475569;background:#e2e8f0;border-radius:999px;padding:4px 12px;text-align:center}" +
    ".notice.err{background:#fee2e2;color:#991b1b}" +
    ".typing{align-self:flex-start;background:#fff;border:1px solid #e5e7eb;border-radius:16px;border-bottom-left-radius:4px;padding:12px 14px;display:none;gap:4px}" +
    ".typing.on{display:flex}.typing i{width:7px;height:7px;border-radius:50%;background:#94a3b8;animation:b 1.2s infinite}" +
    ".typing i:nth-child(2){animation-delay:.15s}.typing i:nth-child(3){animation-delay:.3s}" +
    "@keyframes b{0%,60%,100%{transform:none;opacity:.5}30%{transform:translateY(-4px);opacity:1}}" +
    ".bar{display:flex;align-items:flex-end;gap:8px;padding:10px 12px;border-top:1px solid #e5e7eb;background:var(--bg)}" +
    "textarea{flex:1;resize:none;border:1px solid #cbd5e1;border-radius:20px;padding:10px 14px;font-size:15px;line-height:1.35;max-height:120px;min-height:42px;outline:none;color:#0f172a;background:#fff}" +
    "textarea:focus{border-color:var(--p);box-shadow:0 0 0 3px color-mix(in srgb,var(--p) 18%,transparent)}" +
    ".send{width:42px;height:42px;border-radius:50%;border:0;background:var(--p);color:var(--op);cursor:pointer;flex:none;display:flex;align-items:center;justify-content:center}" +
    ".send:disabled{opacity:.4;cursor:default}.send svg{width:20px;height:20px}" +
    ".foot{font-size:10.5px;color:#94a3b8;text-align:center;padding:0 0 6px;background:var(--bg)}" +
    ".x:focus-visible,.launcher:focus-visible,.send:focus-visible,.chip:focus-visible,.clip:focus-visible,.snd:focus-visible,.offer button:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}" +
    ".snd{background:transparent;border:0;color:var(--op);cursor:pointer;width:34px;height:34px;border-radius:8px;display:flex;align-items:center;justify-content:center;opacity:.85}" +
    ".snd:hover{background:rgba(255,255,255,.15)}.snd svg{width:18px;height:18px}.snd[aria-pressed=true]{opacity:1;background:rgba(255,255,255,.18)}" +
    ".clip{width:42px;height:42px;border-radius:50%;border:1px solid #cbd5e1;background:#fff;color:#475569;cursor:pointer;flex:none;display:flex;align-items:center;justify-content:center}" +
    ".clip svg{width:20px;height:20px}.clip:disabled{opacity:.4;cursor:default}" +
    ".file{position:absolute;width:1px;height:1px;opacity:0;pointer-events:none}" +
    ".bubble img{display:block;max-width:100%;max-height:220px;border-radius:10px}" +
    ".bubble.pic{padding:4px;background:#fff!important;border:1px solid #e5e7eb}" +
    ".offer{align-self:stretch;background:#fff;border:1px solid #e5e7eb;border-radius:14px;padding:12px;display:flex;flex-direction:column;gap:8px;font-size:14px;color:#0f172a}" +
    ".offer label{font-size:12.5px;font-weight:600;color:#334155;display:flex;flex-direction:column;gap:4px}" +
    ".offer input{font:inherit;font-size:15px;padding:9px 12px;border:1px solid #cbd5e1;border-radius:10px}" +
    ".offer .acts{display:flex;gap:8px;flex-wrap:wrap}" +
    ".offer button{font:inherit;font-weight:600;border-radius:999px;padding:8px 14px;cursor:pointer;border:1.5px solid var(--p)}" +
    ".offer .yes{background:var(--p);color:var(--op)}.offer .no{background:#fff;color:var(--p)}" +
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}" +
    "@media (max-width:480px){.panel{right:0;bottom:0;width:100vw;height:100%;max-height:none;border-radius:0}" +
    ".panel.open~.launcher{display:none}}";

  var ICON_CHAT = '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path d="M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z"/></svg>';
  var ICON_CLOSE = '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round"><path d="M6 6l12 12M18 6L6 18"/></svg>';
  var ICON_CLIP = '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path d="M21 11.5l-8.6 8.6a5 5 0 0 1-7.1-7.1l8.6-8.6a3.3 3.3 0 0 1 4.7 4.7l-8.6 8.6a1.7 1.7 0 0 1-2.4-2.4l7.9-7.9"/></svg>';
  var ICON_SOUND_ON = '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"><path d="M4 9v6h4l5 4V5L8 9H4z"/><path d="M16.5 8.5a5 5 0 0 1 0 7M19 6a8.5 8.5 0 0 1 0 12"/></svg>';
  var ICON_SOUND_OFF = '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"><path d="M4 9v6h4l5 4V5L8 9H4z"/><path d="M17 9l5 6M22 9l-5 6"/></svg>';
  var ICON_SEND = '<svg viewBox="0 0 24 24" fill="currentColor"><path d="M3.4 20.4 21 12 3.4 3.6 3.4 10l12.6 2-12.6 2z"/></svg>';

  var host = document.createElement("div");
  host.id = "helpdesk-widget";
  var root = host.attachShadow({ mode: "open" });
  root.innerHTML =
    "<style>" + css + "</style>" +
    '<div class="panel" role="dialog" aria-label="' + T.title + '">' +
    '  <div class="head"><div class="avatar"></div><div class="who"><div class="shop"></div>' +
    '  <div class="status"><span class="dot off"></span><span class="stext"></span></div></div>' +
    '  <button class="snd" type="button" aria-pressed="false" aria-label="' + T.soundOff + '">' + ICON_SOUND_OFF + "</button>" +
    '  <button class="x" type="button" aria-label="' + T.close + '">' + ICON_CLOSE + "</button></div>" +
    '  <div class="log" role="log" aria-live="polite"><div class="typing" aria-hidden="true"><i></i><i></i><i></i></div></div>' +
    '  <form class="bar"><button class="clip" type="button" aria-label="' + T.attach + '" title="' + T.attach + '">' + ICON_CLIP + "</button>" +
    '  <input class="file" type="file" accept="' + IMAGE_TYPES.join(",") + '" tabindex="-1" aria-hidden="true">' +
    '  <textarea rows="1" maxlength="' + MAX_TEXT + '" placeholder="' + T.placeholder + '" aria-label="' + T.placeholder + '"></textarea>' +
    '  <button class="send" type="submit" aria-label="' + T.send + '" disabled>' + ICON_SEND + "</button></form>" +
    '  <div class="foot">' + T.title + "</div>" +
    "</div>" +
    '<button class="launcher" type="button" aria-label="' + T.open + '" aria-expanded="false">' + ICON_CHAT + '<span class="badge" aria-hidden="true"></span></button>';
  host.style.setProperty("--p", primary);
  host.style.setProperty("--op", onPrimary);
  host.style.setProperty("--bg", background);

  var $ = function (sel) { return root.querySelector(sel); };
  var panel = $(".panel"), launcher = $(".launcher"), log = $(".log"), typing = $(".typing");
  var input = $("textarea"), sendBtn = $(".send"), form = $(".bar"), badge = $(".badge");
  var dot = $(".dot"), stext = $(".stext"), clip = $(".clip"), fileInput = $(".file"), soundBtn = $(".snd");
  $(".shop").textContent = shopName;
  $(".avatar").textContent = shopName.trim().charAt(0).toUpperCase() || "?";

  var ws = null, connected = false, state = "bot", retry = 0, unread = 0;
  var outbox = [];           // customer frames not yet acknowledged: resent on reconnect
  var seen = {};             // message ids already shown (history + live may overlap)
  var welcomeShown = false;
  var sessionToken = null;   // the session token (also sent with image uploads)
  var historyDone = false;   // live messages (not history replays) may beep
  var offerShown = false;

  function storageGet() { try { return localStorage.getItem(TOKEN_KEY); } catch (e) { return null; } }
  function storageSet(v) { try { v ? localStorage.setItem(TOKEN_KEY, v) : localStorage.removeItem(TOKEN_KEY); } catch (e) {} }

  function setStatus() {
    dot.classList.toggle("off", !connected || state === "pending");
    stext.textContent = !connected ? T.offline : state === "pending" ? T.pending
      : state === "agent" ? T.agent : state === "closed" ? T.closed : T.online;
  }

  function scroll() { log.scrollTop = log.scrollHeight; }

  function linkify(el, text) {
    var re = /(https?:\/\/[^\s<>"')]+)/g, last = 0, m;
    while ((m = re.exec(text))) {
      el.appendChild(document.createTextNode(text.slice(last, m.index)));
      var a = document.createElement("a");
      a.href = m[1]; a.textContent = m[1]; a.target = "_blank"; a.rel = "noopener noreferrer";
      el.appendChild(a);
      last = m.index + m[1].length;
    }
    el.appendChild(document.createTextNode(text.slice(last)));
  }

  function disableOldChips() {
    var chips = log.querySelectorAll(".chip");
    for (var i = 0; i < chips.length; i++) chips[i].disabled = true;
  }

  function addMessage(from, text, buttons, id, media) {
    if (id != null) { if (seen[id]) return; seen[id] = true; }
    var row = document.createElement("div");
    row.className = "row " + (from === "customer" ? "me" : "them" + (from === "agent" ? " agent" : ""));
    row.setAttribute("data-from", from);
    if (from === "agent") {
      var label = document.createElement("div");
      label.className = "label"; label.textContent = T.agentName;
      row.appendChild(label);
    }
    var bubble = document.createElement("div");
    bubble.className = "bubble";
    var names = (media || []).map(function (m) { return T.image + (m.filename ? ": " + m.filename : ""); });
    linkify(bubble, text || names.join("\n"));
    row.appendChild(bubble);
    if (from !== "customer") disableOldChips();
    if (buttons && buttons.length) {
      var chips = document.createElement("div");
      chips.className = "chips";
      buttons.forEach(function (b) {
        var chip = document.createElement("button");
        chip.type = "button"; chip.className = "chip"; chip.textContent = b.title;
        chip.addEventListener("click", function () {
          if (chip.disabled) return;
          disableOldChips();
          addMessage("customer", b.title);
          send({ type: "button", payload: b.payload });
        });
        chips.appendChild(chip);
      });
      row.appendChild(chips);
    }
    log.insertBefore(row, typing);
    var live = id != null && historyDone;  // not what a reconnect's history replays
    if (from !== "customer" && !panel.classList.contains("open")) {
      unread += 1; showUnread();
    }
    if (from !== "customer" && live && (!panel.classList.contains("open") || document.hidden)) beep();
    scroll();
  }

  function showUnread() {
    badge.textContent = String(unread);
    badge.style.display = unread ? "flex" : "none";
    launcher.setAttribute("aria-label", T.open + (unread ? " (" + unread + T.unread + ")" : ""));
  }

  // ---- sound: off by default; the customer turns it on in the header ----
  function soundOn() { try { return localStorage.getItem(SOUND_KEY) === "on"; } catch (e) { return false; } }
  function renderSound() {
    var on = soundOn();
    soundBtn.setAttribute("aria-pressed", String(on));
    soundBtn.setAttribute("aria-label", on ? T.soundOn : T.soundOff);
    soundBtn.innerHTML = on ? ICON_SOUND_ON : ICON_SOUND_OFF;
  }
  function beep() {
    if (!soundOn()) return;
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      var ctx = beep.ctx || (beep.ctx = new Ctx());
      var osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.frequency.value = 660; gain.gain.value = 0.06;
      osc.connect(gain); gain.connect(ctx.destination);
      osc.start(); osc.stop(ctx.currentTime + 0.15);
    } catch (e) { /* no audio: the badge still counts */ }
  }

  // ---- outside business hours: continue by email ----
  function showEmailOffer() {
    if (offerShown) return;
    offerShown = true;
    var box = document.createElement("form");
    box.className = "offer"; box.noValidate = true; box.setAttribute("aria-label", T.emailSend);
    var p = document.createElement("div"); p.textContent = T.offer;
    var label = document.createElement("label"); label.textContent = T.emailLabel;
    var field = document.createElement("input");
    field.type = "email"; field.autocomplete = "email"; field.required = true; field.maxLength = 254;
    label.appendChild(field);
    var acts = document.createElement("div"); acts.className = "acts";
    var yes = document.createElement("button"); yes.type = "submit"; yes.className = "yes"; yes.textContent = T.emailSend;
    var no = document.createElement("button"); no.type = "button"; no.className = "no"; no.textContent = T.emailNo;
    acts.appendChild(yes); acts.appendChild(no);
    box.appendChild(p); box.appendChild(label); box.appendChild(acts);
    box.addEventListener("submit", function (e) {
      e.preventDefault();
      var v = field.value.trim();
      if (!/^[^@\s<>"]+@[^@\s<>"]+\.[A-Za-z]{2,}$/.test(v)) { notice(T.badEmail, true); field.focus(); return; }
      send({ type: "email", email: v });
    });
    no.addEventListener("click", function () { box.remove(); input.focus(); });
    log.insertBefore(box, typing);
    scroll();
    if (panel.classList.contains("open")) field.focus();
  }

  function emailSaved(address) {
    var box = log.querySelector(".offer");
    var hadFocus = box && box.contains(root.activeElement);
    if (box) box.remove();
    notice(T.emailSaved + address + ".");
    if (hadFocus) input.focus();  // focus never falls out of the chat
  }

  // ---- images: raw bytes to /chat/upload with the session token ----
  function attachImage(file) {
    if (!file) return;
    if (IMAGE_TYPES.indexOf(file.type) < 0) { notice(T.imageTypes, true); return; }
    if (file.size > MAX_IMAGE) { notice(T.imageTooBig, true); return; }
    if (!sessionToken) { notice(T.imageFailed, true); return; }
    var row = document.createElement("div");
    row.className = "row me"; row.setAttribute("data-from", "customer");
    var bubble = document.createElement("div"); bubble.className = "bubble pic";
    var img = document.createElement("img"); img.alt = T.image + ": " + file.name;
    try { img.src = URL.createObjectURL(file); } catch (e) { /* preview is a nicety */ }
    bubble.appendChild(img); row.appendChild(bubble);
    log.insertBefore(row, typing); scroll();
    clip.disabled = true;
    fetch(gateway + "/chat/upload", {
      method: "POST", body: file,
      headers: { "Content-Type": file.type, "X-Chat-Token": sessionToken, "X-Client-Id": clientId(),
                 "X-Filename": encodeURIComponent(file.name).slice(0, 100) }
    }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) throw new Error(r.status === 413 ? T.imageTooBig : r.status === 415 ? T.imageTypes : (body.message || T.imageFailed));
        if (body.message_id != null) seen[body.message_id] = true;
        row.setAttribute("data-stored", "1");
      });
    }).catch(function (e) {
      row.remove(); notice(e && e.message ? e.message : T.imageFailed, true);
    }).then(function () { clip.disabled = false; fileInput.value = ""; });
  }

  function notice(text, isError) {
    var n = document.createElement("div");
    n.className = "notice" + (isError ? " err" : "");
    n.textContent = text;
    log.insertBefore(n, typing);
    scroll();
    if (isError) setTimeout(function () { n.remove(); }, 6000);
  }

  function showWelcome() {
    if (welcomeShown) return;
    welcomeShown = true;
    var row = document.createElement("div");
    row.className = "row them welcome";
    var bubble = document.createElement("div");
    bubble.className = "bubble"; bubble.textContent = T.welcome;
    row.appendChild(bubble);
    log.insertBefore(row, typing);
  }

  function clientId() { return "c" + Date.now().toString(36) + Math.random().toString(36).slice(2, 8); }

  // Every customer frame stays in `outbox` until the server acks it (stored), and is resent
  // after a reconnect; the server stores a resent id only once.
  function send(frame) {
    frame.id = frame.id || clientId();
    outbox.push(frame);
    if (connected && ws && ws.readyState === 1) ws.send(JSON.stringify(frame));
  }

  function connect() {
    var token = storageGet();
    var url = gateway.replace(/^http/, "ws") + "/ws/chat?lang=" + lang +
      (shop ? "&shop=" + encodeURIComponent(shop) : "") + (token ? "&token=" + encodeURIComponent(token) : "");
    var refused = false, stop = false;
    ws = new WebSocket(url);
    ws.onmessage = function (ev) {
      var f;
      try { f = JSON.parse(ev.data); } catch (e) { return; }
      if (f.type === "session") {
        storageSet(f.token); sessionToken = f.token;
        connected = true; retry = 0; setStatus();
        outbox.forEach(function (fr) { ws.send(JSON.stringify(fr)); });
      } else if (f.type === "history") {
        var rows = log.querySelectorAll(".row:not(.welcome)");
        if (!f.messages.length) showWelcome();
        historyDone = false;
        if (rows.length === 0) f.messages.forEach(function (m) { addMessage(m.from, m.text, m.buttons, m.id, m.media); });
        else f.messages.forEach(function (m) { if (m.from !== "customer") addMessage(m.from, m.text, m.buttons, m.id); });
        if (f.messages.length) disableOldChips(), enableLastChips();
        historyDone = true;
      } else if (f.type === "message") {
        typing.classList.remove("on");
        addMessage(f.from, f.text, f.buttons, f.id);
      } else if (f.type === "typing") {
        typing.classList.toggle("on", !!f.on); scroll();
      } else if (f.type === "state") {
        state = f.state; setStatus();
      } else if (f.type === "offer_email") {
        showEmailOffer();
      } else if (f.type === "email_saved") {
        emailSaved(f.email);
      } else if (f.type === "ack") {
        outbox = outbox.filter(function (fr) { return fr.id !== f.id; });
      } else if (f.type === "error") {
        if (f.id) outbox = outbox.filter(function (fr) { return fr.id !== f.id; });  // refused: not retried
        if (f.code === "invalid_token") { refused = true; storageSet(null); }
        else if (f.code === "unknown_shop") { stop = true; notice(f.message || T.error, true); }  // a config error: retrying cannot help
        else notice(f.code === "too_long" ? T.tooLong : f.code === "bad_email" ? T.badEmail : (f.message || T.error), true);
      }
    };
    ws.onclose = function () {
      connected = false; setStatus();
      typing.classList.remove("on");
      if (stop) return;
      var wait = refused ? 0 : Math.min(15000, 500 * Math.pow(2, retry++));
      setTimeout(connect, wait);
    };
  }

  function enableLastChips() {
    var rows = log.querySelectorAll(".row.them");
    var last = rows[rows.length - 1];
    if (!last) return;
    var chips = last.querySelectorAll(".chip");
    for (var i = 0; i < chips.length; i++) chips[i].disabled = false;
  }

  function submit() {
    var text = input.value.trim();
    if (!text) return;
    if (text.length > MAX_TEXT) { notice(T.tooLong, true); return; }
    disableOldChips();
    addMessage("customer", text);
    send({ type: "message", text: text });
    input.value = ""; autosize(); sendBtn.disabled = true;
    input.focus();
  }

  function autosize() {
    input.style.height = "auto";
    input.style.height = Math.min(120, input.scrollHeight) + "px";
  }

  function openPanel(open) {
    panel.classList.toggle("open", open);
    launcher.setAttribute("aria-expanded", String(open));
    if (open) {
      unread = 0; showUnread();
      scroll();
      setTimeout(function () { input.focus(); }, 50);
    }
  }

  launcher.addEventListener("click", function () { openPanel(!panel.classList.contains("open")); });
  $(".x").addEventListener("click", function () { openPanel(false); launcher.focus(); });
  panel.addEventListener("keydown", function (e) {  // Escape closes; focus goes back to the launcher
    if (e.key === "Escape") { e.preventDefault(); openPanel(false); launcher.focus(); }
  });
  soundBtn.addEventListener("click", function () {
    try { localStorage.setItem(SOUND_KEY, soundOn() ? "off" : "on"); } catch (e) { /* private mode */ }
    renderSound(); beep();
  });
  clip.addEventListener("click", function () { fileInput.click(); });
  fileInput.addEventListener("change", function () { attachImage(fileInput.files && fileInput.files[0]); });
  form.addEventListener("submit", function (e) { e.preventDefault(); submit(); });
  input.addEventListener("input", function () { sendBtn.disabled = !input.value.trim(); autosize(); });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
  });

  function mount() {
    document.body.appendChild(host);
    setStatus();
    renderSound();
    connect();
    if (openOnLoad) openPanel(true);
  }
  window.HelpdeskWidget = Object.assign(cfg, {
    open: function () { openPanel(true); },
    close: function () { openPanel(false); }
  });
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
