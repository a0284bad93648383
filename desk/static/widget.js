/*
 * Kestrel Bank support chat widget.
 *
 * Added to any page with one tag, no build step and no other requests:
 *   <script src="https://desk.example/widget.js" defer data-title="Kestrel Bank support"></script>
 * Optional attributes: data-title, data-customer-id, data-customer-signature, data-locale.
 * A signed-in customer's id is trusted only with data-customer-signature: the site's server
 * computes hex(HMAC-SHA256(DESK_IDENTITY_SECRET, customer id)); without it agents see
 * "unverified".
 *
 * It talks to the desk over one WebSocket, following docs/contracts/widget.md. Customer, bot and
 * agent text is untrusted: everything is rendered with DOM nodes and text nodes, never HTML.
 */
(() => {
  "use strict";

  const script = document.currentScript;
  if (!script || !script.src || window.KestrelWidget) return; // not a script tag, or loaded twice

  const TOKEN_KEY = "kestrel-widget:token";
  const READ_KEY = "kestrel-widget:read"; // {conversation, id}: last message seen with the panel open
  const MAX_CHARS = 2000;
  const PING_MS = 25000;
  const TYPING_THROTTLE_MS = 3000;
  const TYPING_IDLE_MS = 4000;
  const NOTICE_MS = 8000;
  const BOT_NAME = "Kestrel assistant";
  const TOO_LONG = `That message is too long (max ${MAX_CHARS} characters)`;
  const ROLES = new Set(["customer", "bot", "agent", "system"]);
  const WITH_PERSON = new Set(["queued", "agent", "ticket"]);

  const deskUrl = new URL(script.src, location.href);
  const WS_URL = `${deskUrl.protocol === "https:" ? "wss:" : "ws:"}//${deskUrl.host}/ws/widget`;
  const TITLE = script.dataset.title || "Kestrel Bank support";
  const CUSTOMER_ID = script.dataset.customerId || null;
  const CUSTOMER_SIGNATURE = script.dataset.customerSignature || null;
  const LOCALE = script.dataset.locale || navigator.language || "en";

  // localStorage throws when storage is blocked; the widget then keeps its conversation per page.
  const store = {
    get(key) { try { return localStorage.getItem(key); } catch { return null; } },
    set(key, value) { try { localStorage.setItem(key, value); } catch { /* not persisted */ } },
    remove(key) { try { localStorage.removeItem(key); } catch { /* nothing stored */ } },
  };

  // An emailed reply to a ticket links back with "#kestrel-conversation=TOKEN" (desk/mail/): that
  // conversation is resumed here, on any device, and the panel opens. The token leaves the
  // address bar at once, so it is neither bookmarked nor seen by the page's own scripts later.
  const LINK_KEY = "kestrel-conversation";
  const linked = new URLSearchParams(location.hash.slice(1)).get(LINK_KEY);
  if (linked) {
    store.set(TOKEN_KEY, linked);
    history.replaceState(null, "", location.pathname + location.search);
  }

  // ---------------------------------------------------------------------------------------------
  // Styles: every rule is scoped under .kw-root so the host page is never restyled.

  const CSS = `
.kw-root{all:initial;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1c2430}
.kw-root *,.kw-root *::before,.kw-root *::after{box-sizing:border-box}
.kw-root [hidden]{display:none!important}
.kw-root button,.kw-root input,.kw-root textarea{font:inherit;color:inherit;margin:0;text-transform:none;letter-spacing:normal}
.kw-root :focus-visible{outline:3px solid #f5a524;outline-offset:2px}
.kw-root .kw-launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;width:60px;height:60px;padding:0;border:0;border-radius:50%;background:#0f766e;color:#fff;cursor:pointer;display:grid;place-items:center;box-shadow:0 6px 20px rgba(0,0,0,.25);transition:transform .15s}
.kw-root .kw-launcher:hover{transform:scale(1.06)}
.kw-root .kw-badge{position:absolute;top:-4px;right:-4px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;background:#c81e1e;color:#fff;font-size:12px;font-weight:700;line-height:22px;text-align:center}
.kw-root .kw-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.kw-root .kw-panel{position:fixed;right:20px;bottom:92px;z-index:2147483001;width:380px;height:min(620px,calc(100vh - 112px));display:flex;flex-direction:column;overflow:hidden;background:#fff;border-radius:16px;box-shadow:0 12px 40px rgba(0,0,0,.25);animation:kw-in .18s ease-out}
.kw-root .kw-header{display:flex;align-items:center;gap:8px;padding:12px 12px 12px 16px;background:#0f766e;color:#fff}
.kw-root .kw-title{flex:1;font-size:16px;font-weight:600}
.kw-root .kw-close{width:36px;height:36px;padding:0;border:0;border-radius:8px;background:transparent;color:#fff;font-size:26px;line-height:1;cursor:pointer}
.kw-root .kw-close:hover{background:rgba(255,255,255,.16)}
.kw-root .kw-status{padding:10px 16px;background:#ecfdf5;border-bottom:1px solid #ccefe0;font-size:14px}
.kw-root .kw-status[data-mode="bot"]{padding:0;border:0}
.kw-root .kw-status[data-mode="ticket"]{background:#fffbeb;border-color:#fde9b5}
.kw-root .kw-status p{margin:0}
.kw-root .kw-status .kw-status-note:not(:empty){margin-top:4px;font-weight:600}
.kw-root .kw-email-form{display:flex;align-items:flex-end;gap:8px;margin-top:8px}
.kw-root .kw-email-form label{flex:1;display:flex;flex-direction:column;gap:2px;font-size:13px;font-weight:600}
.kw-root .kw-email{padding:7px 10px;border:1px solid #8a96a3;border-radius:8px;background:#fff;font-weight:400}
.kw-root .kw-email-send{padding:8px 14px;border:0;border-radius:8px;background:#0f766e;color:#fff;font-weight:600;cursor:pointer}
.kw-root .kw-connection,.kw-root .kw-notice{font-size:13px;text-align:center}
.kw-root .kw-connection:not(:empty){padding:6px 16px;background:#fef3c7;color:#713f12}
.kw-root .kw-notice:not(:empty){margin:0 12px 8px;padding:8px 10px;border-radius:8px;background:#fef2f2;color:#991b1b}
.kw-root .kw-log{flex:1;overflow-y:auto;display:flex;flex-direction:column;gap:12px;padding:16px 12px;background:#f6f8fa}
.kw-root .kw-msg{display:flex;align-items:flex-start;gap:8px;max-width:88%}
.kw-root .kw-msg[data-role="customer"]{align-self:flex-end}
.kw-root .kw-msg[data-role="system"]{align-self:center;max-width:92%;color:#52606d;font-size:12.5px;font-style:italic;text-align:center}
.kw-root .kw-body{min-width:0}
.kw-root .kw-author{margin:0 0 2px 2px;color:#52606d;font-size:12px;font-weight:600}
.kw-root .kw-avatar{flex:none;width:30px;height:30px;margin-top:18px;border-radius:50%;display:grid;place-items:center;background:#6d28d9;color:#fff;font-size:12px;font-weight:700}
.kw-root .kw-avatar--bot{background:#0f766e;box-shadow:0 0 0 2px #a7f3d0}
.kw-root .kw-bubble{padding:9px 12px;border:1px solid #e1e6eb;border-radius:14px 14px 14px 4px;background:#fff;overflow-wrap:anywhere}
.kw-root .kw-msg[data-role="agent"] .kw-bubble{background:#f5f3ff;border-color:#ddd6fe}
.kw-root .kw-msg[data-role="customer"] .kw-bubble{border-color:#0f766e;border-radius:14px 14px 4px 14px;background:#0f766e;color:#fff}
.kw-root .kw-msg[data-pending="true"] .kw-bubble{opacity:.65}
.kw-root .kw-msg[data-pending="true"] .kw-body::after{content:"Sending…";display:block;margin-top:2px;color:#52606d;font-size:11px;text-align:right}
.kw-root .kw-text{white-space:pre-wrap}
.kw-root .kw-msg a{color:#0b5c8f;text-decoration:underline}
.kw-root .kw-msg[data-role="customer"] a{color:#fff}
.kw-root .kw-links{margin:8px 0 0;padding:6px 0 0;border-top:1px solid #e1e6eb;list-style:none;font-size:14px}
.kw-root .kw-quick{display:flex;flex-wrap:wrap;gap:6px;margin-top:8px}
.kw-root .kw-quick-btn{padding:6px 12px;border:1px solid #0f766e;border-radius:999px;background:#fff;color:#0f766e;font-size:14px;cursor:pointer}
.kw-root .kw-quick-btn:hover{background:#ecfdf5}
.kw-root .kw-typing{display:flex;align-items:center;gap:8px;padding:4px 16px 8px;background:#f6f8fa;color:#52606d;font-size:13px}
.kw-root .kw-dots{display:inline-flex;gap:3px}
.kw-root .kw-dots i{width:6px;height:6px;border-radius:50%;background:#8a96a3;animation:kw-blink 1.2s infinite ease-in-out}
.kw-root .kw-dots i:nth-child(2){animation-delay:.15s}
.kw-root .kw-dots i:nth-child(3){animation-delay:.3s}
.kw-root .kw-composer{padding:8px 12px 12px;border-top:1px solid #e1e6eb;background:#fff}
.kw-root .kw-earlier{align-self:center;margin:6px auto 0;padding:4px 8px;border:0;background:none;color:#0f766e;font-size:13px;font-weight:600;text-decoration:underline;cursor:pointer}
.kw-root .kw-earlier[hidden]{display:none}
.kw-root .kw-masked{margin-top:2px;color:#52606d;font-size:11px;text-align:right}
.kw-root .kw-human{margin-bottom:6px;padding:4px 2px;border:0;background:none;color:#0f766e;font-size:13px;font-weight:600;text-decoration:underline;cursor:pointer}
.kw-root .kw-form{display:flex;align-items:flex-end;gap:8px}
.kw-root .kw-input{flex:1;min-height:42px;max-height:140px;padding:10px 12px;border:1px solid #8a96a3;border-radius:12px;background:#fff;line-height:1.4;resize:none}
.kw-root .kw-send{flex:none;width:42px;height:42px;padding:0;border:0;border-radius:50%;background:#0f766e;color:#fff;display:grid;place-items:center;cursor:pointer}
.kw-root button:disabled,.kw-root textarea:disabled{opacity:.5;cursor:not-allowed}
.kw-root .kw-csat{margin:0 12px 8px;padding:10px 12px;border:1px solid #ccefe0;border-radius:12px;background:#ecfdf5;font-size:14px}
.kw-root .kw-csat fieldset{margin:0;padding:0;border:0}
.kw-root .kw-csat legend{padding:0;font-weight:600}
.kw-root .kw-csat-scores{display:flex;gap:6px;margin:8px 0}
.kw-root .kw-csat-score{flex:1;position:relative}
.kw-root .kw-csat-score input{position:absolute;opacity:0;inset:0;margin:0;cursor:pointer}
.kw-root .kw-csat-score span{display:flex;flex-direction:column;align-items:center;padding:4px 2px;border:1px solid #0f766e;border-radius:8px;background:#fff;color:#0f766e;font-size:11px;line-height:1.2;text-align:center}
.kw-root .kw-csat-score b{font-size:16px}
.kw-root .kw-csat-score input:checked+span{background:#0f766e;color:#fff}
.kw-root .kw-csat-score input:focus-visible+span{outline:3px solid #f5a524;outline-offset:2px}
.kw-root .kw-csat-comment{display:flex;flex-direction:column;gap:2px;font-size:13px;font-weight:600}
.kw-root .kw-csat-comment textarea{padding:6px 10px;border:1px solid #8a96a3;border-radius:8px;background:#fff;font-weight:400;resize:vertical}
.kw-root .kw-csat-actions{display:flex;justify-content:flex-end;gap:8px;margin-top:8px}
.kw-root .kw-csat-send{padding:6px 14px;border:0;border-radius:8px;background:#0f766e;color:#fff;font-weight:600;cursor:pointer}
.kw-root .kw-csat-later{padding:6px 10px;border:0;background:none;color:#0f766e;font-weight:600;text-decoration:underline;cursor:pointer}
.kw-root .kw-csat-thanks{margin:0 12px 8px;color:#065f46;font-size:13px;text-align:center}
@keyframes kw-in{from{opacity:0;transform:translateY(12px)}}
@keyframes kw-blink{0%,80%,100%{opacity:.3;transform:none}40%{opacity:1;transform:translateY(-3px)}}
@media (max-width:480px){.kw-root .kw-panel{inset:0;width:100%;height:100%;border-radius:0}}
@media (prefers-reduced-motion:reduce){.kw-root *,.kw-root *::before,.kw-root *::after{animation:none!important;transition:none!important}}
`;

  // ---------------------------------------------------------------------------------------------
  // DOM helpers. Children given as strings become text nodes (Element.append), never HTML.

  function h(tag, attrs = {}, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (value === false || value == null) continue;
      el.setAttribute(name, value === true ? "" : String(value));
    }
    el.append(...children);
    return el;
  }

  function icon(pathData) {
    const NS = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(NS, "svg");
    const path = document.createElementNS(NS, "path");
    for (const [name, value] of [["viewBox", "0 0 24 24"], ["width", "24"], ["height", "24"],
      ["aria-hidden", "true"], ["focusable", "false"]]) svg.setAttribute(name, value);
    path.setAttribute("d", pathData);
    path.setAttribute("fill", "currentColor");
    svg.append(path);
    return svg;
  }

  /** An absolute http(s) URL (relative ones resolve against the desk), or null for anything else. */
  function safeUrl(value) {
    try {
      const url = new URL(String(value), deskUrl);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch {
      return null;
    }
  }

  function anchor(href, text) {
    return h("a", { href, target: "_blank", rel: "noopener noreferrer" }, text);
  }

  const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"']+/gi;

  /** Appends text to parent, turning http(s) URLs into links (built as DOM nodes). */
  function appendLinkified(parent, text) {
    let last = 0;
    for (const match of text.matchAll(URL_IN_TEXT)) {
      const raw = match[0].replace(/[.,;:!?)\]]+$/, ""); // trailing punctuation ends the sentence
      const href = safeUrl(raw);
      if (!href) continue;
      parent.append(text.slice(last, match.index), anchor(href, raw));
      last = match.index + raw.length;
    }
    parent.append(text.slice(last));
  }

  function initials(name) {
    const words = name.trim().split(/\s+/).filter(Boolean);
    const picked = words.length > 1 ? [words[0], words[words.length - 1]] : words;
    return picked.map((word) => [...word][0]).join("").toUpperCase() || "?";
  }

  function uuid() {
    if (window.crypto?.randomUUID) return crypto.randomUUID(); // secure contexts only
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
    const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  // ---------------------------------------------------------------------------------------------
  // Elements. The live regions (status, connection, notice) stay in the layout and collapse when
  // empty, because screen readers often miss updates to a region that was display:none.

  const root = h("div", { class: "kw-root" });
  const badge = h("span", { class: "kw-badge", "aria-hidden": "true", hidden: true });
  const unreadText = h("span", { class: "kw-sr", id: "kw-unread" });
  const launcher = h("button", {
    type: "button", class: "kw-launcher", "data-testid": "kw-launcher", "aria-label": "Open chat",
    "aria-expanded": "false", "aria-controls": "kw-panel", "aria-describedby": "kw-unread",
  }, icon("M6 3h12a3 3 0 0 1 3 3v8a3 3 0 0 1-3 3h-7l-5 4v-4.2A3 3 0 0 1 3 14V6a3 3 0 0 1 3-3z"), badge);

  const closeBtn = h("button", {
    type: "button", class: "kw-close", "data-testid": "kw-close", "aria-label": "Close chat",
  }, "×");

  const statusText = h("p");
  const statusNote = h("p", { class: "kw-status-note" });
  const emailInput = h("input", {
    type: "email", class: "kw-email", "data-testid": "kw-email", name: "email", required: true,
    autocomplete: "email",
  });
  const emailSend = h("button", { type: "submit", class: "kw-email-send", "data-testid": "kw-email-send" }, "Send");
  const emailForm = h("form", { class: "kw-email-form", "data-testid": "kw-email-form", hidden: true },
    h("label", {}, h("span", {}, "Your email"), emailInput), emailSend);
  const status = h("div", { class: "kw-status", "data-testid": "kw-status", "data-mode": "bot", "aria-live": "polite" },
    statusText, statusNote, emailForm);

  const connection = h("div", { class: "kw-connection", "data-testid": "kw-connection", role: "status" });
  const earlier = h("button", {
    type: "button", class: "kw-earlier", "data-testid": "kw-earlier", hidden: true,
  }, "Show earlier messages");
  const log = h("div", { class: "kw-log", role: "log", "aria-live": "polite", "aria-label": "Conversation", tabindex: "0" });
  const typingText = h("span");
  const typing = h("div", { class: "kw-typing", "data-testid": "kw-typing", hidden: true },
    h("span", { class: "kw-dots", "aria-hidden": "true" }, h("i"), h("i"), h("i")), typingText);
  const notice = h("div", { class: "kw-notice", role: "status" });

  // The rating asked for after a resolution (csat_request): a radio group of five labelled
  // scores (arrow keys move between them), an optional comment, send or "not now".
  const CSAT_SCORES = ["Very poor", "Poor", "OK", "Good", "Very good"];
  const csatLegend = h("legend");
  const csatComment = h("textarea", {
    name: "comment", rows: "2", maxlength: "1000", "data-testid": "kw-csat-comment",
  });
  const csatForm = h("form", { class: "kw-csat", "data-testid": "kw-csat", "aria-label": "Rate this conversation", hidden: true },
    h("fieldset", {}, csatLegend,
      h("div", { class: "kw-csat-scores" }, ...CSAT_SCORES.map((label, i) => h("label", { class: "kw-csat-score" },
        h("input", { type: "radio", name: "score", value: String(i + 1), required: true, "data-testid": `kw-csat-${i + 1}` }),
        h("span", {}, h("b", {}, String(i + 1)), label))))),
    h("label", { class: "kw-csat-comment" }, h("span", {}, "Anything you'd like to add? (optional)"), csatComment),
    h("div", { class: "kw-csat-actions" },
      h("button", { type: "button", class: "kw-csat-later", "data-testid": "kw-csat-later" }, "Not now"),
      h("button", { type: "submit", class: "kw-csat-send", "data-testid": "kw-csat-send" }, "Send rating")));
  const csatThanks = h("p", { class: "kw-csat-thanks", "data-testid": "kw-csat-thanks", role: "status" });

  const human = h("button", { type: "button", class: "kw-human", "data-testid": "kw-human" }, "Talk to a person");
  const input = h("textarea", {
    class: "kw-input", "data-testid": "kw-input", rows: "1", maxlength: MAX_CHARS,
    placeholder: "Type your message…", "aria-label": "Message",
  });
  const sendBtn = h("button", { type: "submit", class: "kw-send", "data-testid": "kw-send", "aria-label": "Send" },
    icon("M3.4 20.4 21 12 3.4 3.6 3.4 10l12.6 2-12.6 2z"));
  const form = h("form", { class: "kw-form" }, input, sendBtn);

  const panel = h("div", {
    class: "kw-panel", id: "kw-panel", "data-testid": "kw-panel", role: "dialog", "aria-label": TITLE, hidden: true,
  },
    h("div", { class: "kw-header" }, h("div", { class: "kw-title" }, TITLE), closeBtn),
    status, connection, earlier, log, typing, notice, csatForm, csatThanks,
    h("div", { class: "kw-composer" }, human, form));

  root.append(launcher, unreadText, panel);

  // ---------------------------------------------------------------------------------------------
  // State

  let ws = null;            // the current socket, null while waiting to reconnect
  let ready = false;        // `welcome` received on the current socket: frames may be sent
  let refused = false;      // closed with 4403: this site may not use the chat
  let attempt = 0;          // reconnect attempts since the last welcome
  let reconnectTimer = 0;
  let pingTimer = 0;
  let conversationId = null;
  let lastId = 0;           // highest message id rendered on this page
  let readId = 0;           // highest id seen with the panel open (persisted per conversation)
  let unread = 0;
  let mode = "bot";
  let contactSent = false;  // the customer gave an email from this page
  let lastOutboxSent = null; // client_id of the last outbox frame put on the wire (see 1009)
  let ackTimer = 0;
  let noticeTimer = 0;
  let typingRole = null;    // whose typing indicator is shown
  let typingOn = false;     // whether we told the desk the customer is typing
  let typingSentAt = 0;
  let typingIdleTimer = 0;
  let quickTarget = null;   // message element showing the quick-reply row
  let stick = true;         // the log is scrolled to its end: keep it there as content arrives
  let hasOlder = false;     // the desk holds messages earlier than the oldest shown
  let loadingOlder = false; // an `older` request is on its way
  let csatResolution = null; // the resolution the rating form asks about
  const seen = new Set();   // rendered message ids
  const outbox = new Map(); // client_id → message / handoff_request frame, until acknowledged
  const byClientId = new Map(); // client_id → rendered customer message element
  const buttonsOf = new WeakMap(); // message element → its quick replies

  // ---------------------------------------------------------------------------------------------
  // Connection

  function connect() {
    clearTimeout(reconnectTimer);
    ready = false;
    const socket = new WebSocket(WS_URL);
    ws = socket;
    socket.onopen = () => socket.send(JSON.stringify(helloFrame()));
    socket.onmessage = (event) => { if (socket === ws) onFrame(event.data); };
    socket.onclose = (event) => { if (socket === ws) onClose(event.code); };
  }

  function helloFrame() {
    const metadata = { page: location.href, title: document.title, locale: LOCALE };
    if (CUSTOMER_ID) metadata.customer_id = CUSTOMER_ID;
    if (CUSTOMER_ID && CUSTOMER_SIGNATURE) metadata.customer_signature = CUSTOMER_SIGNATURE;
    return { type: "hello", token: store.get(TOKEN_KEY), after: lastId, metadata };
  }

  /** Sends a frame if the conversation is open; returns whether it was sent. */
  function transmit(frame) {
    if (!ready || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(frame));
    if (frame.client_id) lastOutboxSent = frame.client_id;
    return true;
  }

  function onClose(code) {
    ws = null;
    ready = false;
    clearInterval(pingTimer);
    hideTyping();
    if (code === 4403) {
      refused = true;
      connection.textContent = "Chat is not available on this site";
      input.disabled = true;
      sendBtn.disabled = true;
      updateHuman();
      return;
    }
    if (code === 4401) { // the stored token failed the signature check: start a new conversation
      store.remove(TOKEN_KEY);
      resetConversation();
    }
    if (code === 1009 && outbox.has(lastOutboxSent)) { // too big a frame: resending it would loop
      refuse(lastOutboxSent);
      showNotice(TOO_LONG);
    }
    connection.textContent = "Reconnecting…";
    const base = Math.min(10000, 500 * 2 ** attempt);
    attempt += 1;
    // ±20 % jitter, so that many tabs do not all come back at the same instant.
    reconnectTimer = setTimeout(connect, Math.min(10000, base * (0.8 + Math.random() * 0.4)));
  }

  function onFrame(data) {
    let frame;
    try { frame = JSON.parse(data); } catch { return; }
    switch (frame?.type) {
      case "welcome": return onWelcome(frame);
      case "message": return onMessage(frame.message);
      case "older": return onOlder(frame);
      case "ack": return confirm(frame.client_id, frame.id, frame.text);
      case "state": return applyState(frame.state);
      case "typing": return onTyping(frame);
      case "error": return onError(frame);
      case "csat_request": return askRating(frame);
      case "csat_closed": return ratingClosed(frame);
      default: return; // pong, and frame types this version does not know
    }
  }

  function onWelcome(frame) {
    if (conversationId && frame.conversation_id !== conversationId) resetConversation();
    if (frame.reset) clearMessages(); // more happened while away than a page: start from the latest
    if (frame.reset || lastId === 0) hasOlder = Boolean(frame.has_older);
    loadingOlder = false;
    updateEarlier();
    conversationId = frame.conversation_id;
    store.set(TOKEN_KEY, frame.token);
    readId = loadReadId();
    ready = true;
    attempt = 0;
    connection.textContent = "";
    applyState(frame.state);
    for (const pending of outbox.values()) transmit(pending); // the desk stores a client_id once
    clearInterval(pingTimer);
    pingTimer = setInterval(() => transmit({ type: "ping" }), PING_MS);
  }

  /** Forgets the conversation shown (new token or new conversation); typed messages stay queued. */
  function resetConversation() {
    conversationId = null;
    readId = 0;
    unread = 0;
    contactSent = false;
    clearMessages();
    hasOlder = false;
    hideTyping();
    updateBadge();
    refreshQuickReplies();
    applyState({ mode: "bot" });
  }

  /** Removes the messages shown (not the ones still being sent). */
  function clearMessages() {
    lastId = 0;
    seen.clear();
    for (const el of [...log.children]) {
      if (el.dataset.pending === "true") continue;
      byClientId.delete(el.dataset.clientId);
      el.remove();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Messages

  /** Asks for the page before the oldest message shown (the customer scrolled to the top). */
  function requestOlder() {
    if (!hasOlder || loadingOlder || !ready || !seen.size) return;
    if (transmit({ type: "older", before: Math.min(...seen) })) loadingOlder = true;
  }

  /** Earlier messages go above, and the customer keeps looking at what they were reading. */
  function onOlder(frame) {
    loadingOlder = false;
    const fromBottom = log.scrollHeight - log.scrollTop;
    for (const message of frame.messages || []) {
      if (!message || typeof message.id !== "number" || seen.has(message.id)) continue;
      place(renderMessage(message, false));
      seen.add(message.id);
    }
    refreshQuickReplies();
    log.scrollTop = log.scrollHeight - fromBottom;
    hasOlder = Boolean(frame.has_older);
    updateEarlier();
  }

  function updateEarlier() {
    earlier.hidden = !hasOlder;
  }

  function onMessage(message) {
    if (!message || typeof message.id !== "number" || seen.has(message.id)) return;
    if (message.role === typingRole) hideTyping();
    if (message.client_id && byClientId.has(message.client_id)) {
      confirm(message.client_id, message.id); // the echo of a message this page sent
      return;
    }
    insert(renderMessage(message, false));
    markSeen(message.id);
    if ((message.role === "bot" || message.role === "agent") && panel.hidden && message.id > readId) {
      unread += 1;
      updateBadge();
    }
  }

  /** The desk stored the customer frame `clientId` as message `id` (as `storedText`, when it
   *  masked a card number: the customer sees what was kept). */
  function confirm(clientId, id, storedText) {
    outbox.delete(clientId);
    updateHuman();
    const el = byClientId.get(clientId);
    if (el && typeof storedText === "string") {
      el.querySelector('[data-testid="kw-text"]').textContent = storedText;
      if (!el.querySelector(".kw-masked")) {
        el.querySelector(".kw-body")?.append(h("div", { class: "kw-masked", "data-testid": "kw-masked" },
          "For your security, we hid the card number."));
      }
    }
    if (!el || el.dataset.pending !== "true" || typeof id !== "number" || seen.has(id)) return;
    el.dataset.pending = "false";
    el.dataset.id = String(id);
    place(el);
    markSeen(id);
  }

  function markSeen(id) {
    seen.add(id);
    lastId = Math.max(lastId, id);
    // One ack for a replayed history rather than one per message.
    if (!ackTimer) ackTimer = setTimeout(flushAck, 100);
  }

  function flushAck() {
    ackTimer = 0;
    transmit({ type: "ack", id: lastId });
    if (!panel.hidden) saveRead();
  }

  function renderMessage(message, pending) {
    const role = ROLES.has(message.role) ? message.role : "system";
    const text = String(message.text ?? "");
    const el = h("div", {
      class: "kw-msg", "data-testid": "kw-message", "data-role": role, "data-id": pending ? "" : message.id,
      "data-client-id": message.client_id || "", "data-pending": String(pending),
    });
    const textEl = h("div", { class: "kw-text", "data-testid": "kw-text" });
    if (role === "bot" || role === "agent") appendLinkified(textEl, text);
    else textEl.append(text);
    if (message.client_id) byClientId.set(message.client_id, el);
    if (role === "system") {
      el.append(textEl);
      return el;
    }

    const bubble = h("div", { class: "kw-bubble" }, textEl);
    if (message.links?.length) {
      bubble.append(h("ul", { class: "kw-links" }, ...message.links.map((link) => {
        const title = String(link.title || link.url || "");
        const href = safeUrl(link.url);
        return h("li", {}, href ? anchor(href, title) : title);
      })));
    }
    const body = h("div", { class: "kw-body" });
    if (role !== "customer") {
      const name = message.author?.name || (role === "bot" ? BOT_NAME : "Support agent");
      el.append(h("span", { class: `kw-avatar kw-avatar--${role}`, "aria-hidden": "true" }, initials(name)));
      body.append(h("div", { class: "kw-author", "data-testid": "kw-author" }, name));
    }
    body.append(bubble);
    el.append(body);
    if (message.buttons?.length) buttonsOf.set(el, message.buttons);
    return el;
  }

  /** Adds a message element, keeping the list sorted by id (pending ones last). */
  function insert(el, scroll = false) {
    place(el);
    refreshQuickReplies();
    if (stick || scroll) log.scrollTop = log.scrollHeight;
  }

  function place(el) {
    const sortKey = (node) => (node.dataset.pending === "true" ? Infinity : Number(node.dataset.id));
    const key = sortKey(el);
    let before = null;
    for (const other of log.children) {
      if (other !== el && sortKey(other) > key) { before = other; break; }
    }
    // Only move when needed: a moved node would be announced again by the live region.
    if (el.parentNode !== log || el.nextElementSibling !== before) log.insertBefore(el, before);
  }

  /** Shows the quick replies of the newest message that has them, unless the customer answered. */
  function refreshQuickReplies() {
    let target = null;
    for (let el = log.lastElementChild; el && el.dataset.role !== "customer"; el = el.previousElementSibling) {
      if (buttonsOf.has(el)) { target = el; break; }
    }
    if (target === quickTarget) return;
    root.querySelector(".kw-quick")?.remove();
    quickTarget = target;
    if (!target) return;
    const row = h("div", { class: "kw-quick", role: "group", "aria-label": "Suggested replies" });
    for (const button of buttonsOf.get(target)) {
      const btn = h("button", { type: "button", class: "kw-quick-btn", "data-testid": "kw-quick-reply" }, String(button.title));
      btn.addEventListener("click", () => {
        for (const other of row.children) other.disabled = true;
        sendText(String(button.title), button.payload ?? null);
        input.focus();
      });
      row.append(btn);
    }
    target.querySelector(".kw-body").append(row);
  }

  // ---------------------------------------------------------------------------------------------
  // Sending

  function sendText(text, payload) {
    const frame = { type: "message", client_id: uuid(), text, payload };
    outbox.set(frame.client_id, frame);
    insert(renderMessage({ role: "customer", text, client_id: frame.client_id }, true), true);
    transmit(frame); // when offline it stays in the outbox, shown as pending
    stopTyping();
  }

  function submitInput() {
    const text = input.value.trim();
    if (!text || refused) return;
    input.value = "";
    autosize();
    sendText(text, null);
  }

  function requestHuman() {
    const frame = { type: "handoff_request", client_id: uuid() };
    outbox.set(frame.client_id, frame);
    transmit(frame);
    updateHuman();
  }

  /** The desk refused a frame of the outbox: drop it, and give typed text back to the customer. */
  function refuse(clientId) {
    const frame = outbox.get(clientId);
    if (!frame) return;
    outbox.delete(clientId);
    const el = byClientId.get(clientId);
    if (el?.dataset.pending === "true") {
      el.remove();
      byClientId.delete(clientId);
      refreshQuickReplies(); // a refused quick reply brings its buttons back
    }
    if (frame.type === "message" && frame.payload == null) {
      input.value = input.value ? `${frame.text}\n${input.value}` : frame.text;
      autosize();
    }
    updateHuman();
  }

  function onError(frame) {
    if (frame.client_id) refuse(frame.client_id);
    if (frame.code === "invalid_email") {
      contactSent = false;
      emailSend.disabled = false;
    }
    showNotice({
      message_too_long: TOO_LONG,
      rate_limited: "You're sending messages too quickly. Please wait a moment and try again.",
      invalid_email: "Please check your email address.",
    }[frame.code] || "Something went wrong. Please try again.");
  }

  function showNotice(text) {
    notice.textContent = text;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => { notice.textContent = ""; }, NOTICE_MS);
  }

  // Customer typing: `on` at most once per throttle period, `off` after an idle period or on send.
  function customerTyping() {
    const now = Date.now();
    if (now - typingSentAt >= TYPING_THROTTLE_MS && transmit({ type: "typing", on: true })) {
      typingSentAt = now;
      typingOn = true;
    }
    clearTimeout(typingIdleTimer);
    typingIdleTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
  }

  function stopTyping() {
    clearTimeout(typingIdleTimer);
    if (typingOn) {
      typingOn = false;
      transmit({ type: "typing", on: false });
    }
  }

  function autosize() {
    input.style.height = "";
    if (input.scrollHeight) input.style.height = `${Math.min(input.scrollHeight + 2, 140)}px`;
  }

  // ---------------------------------------------------------------------------------------------
  // Satisfaction rating: the desk asks once per resolution; answering or dismissing it in any tab
  // closes it everywhere (csat_closed).

  function askRating(frame) {
    if (csatResolution === frame.resolution_id) return; // shown already (a reconnect)
    csatResolution = frame.resolution_id;
    const who = frame.of === "agent" ? (frame.agent?.name || "our team") : "our assistant";
    csatLegend.textContent = `How would you rate the help you got from ${who}?`;
    csatForm.reset();
    csatForm.hidden = false;
    csatThanks.textContent = "";
    if (stick) log.scrollTop = log.scrollHeight;
  }

  function ratingClosed(frame) {
    if (frame.resolution_id !== csatResolution) return;
    if (csatForm.contains(document.activeElement)) input.focus();
    csatForm.hidden = true;
    csatResolution = null;
    if (frame.rated) {
      csatThanks.textContent = "Thank you for your feedback.";
      setTimeout(() => { csatThanks.textContent = ""; }, NOTICE_MS);
    }
  }

  function answerRating(frame) {
    if (csatResolution == null) return;
    if (!transmit({ ...frame, resolution_id: csatResolution })) {
      showNotice("We're reconnecting. Please try again in a moment.");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Handoff state, typing indicator, unread badge

  function applyState(state) {
    if (!state) return;
    mode = state.mode || "bot";
    status.dataset.mode = mode;
    statusText.textContent = statusMessage(state);
    const emailNeeded = mode === "ticket" && Boolean(state.email_needed);
    emailForm.hidden = !emailNeeded;
    if (emailNeeded) emailSend.disabled = false;
    statusNote.textContent = mode === "ticket" && !emailNeeded && contactSent ? "We'll reply to you by email." : "";
    if (mode !== "bot") { // a pending "talk to a person" has been answered
      for (const [clientId, frame] of outbox) if (frame.type === "handoff_request") outbox.delete(clientId);
    }
    updateHuman();
  }

  function statusMessage(state) {
    switch (state.mode) {
      case "queued": {
        const parts = [];
        if (state.queue_position != null) parts.push(`you're number ${state.queue_position} in the queue`);
        if (state.estimated_wait_seconds != null) {
          parts.push(`about ${Math.max(1, Math.round(state.estimated_wait_seconds / 60))} min`);
        }
        return `Waiting for a member of our team${parts.length ? ` — ${parts.join(", ")}` : ""}`;
      }
      case "agent": return `You're chatting with ${state.agent?.name || "a member of our team"}`;
      case "ticket": return `Our team is offline. We'll reply by email${state.reply_expected ? ` ${state.reply_expected}` : ""}.`;
      case "resolved": return "This conversation was closed. Write again any time.";
      default: return "";
    }
  }

  function updateHuman() {
    const hide = WITH_PERSON.has(mode);
    const disable = refused || [...outbox.values()].some((frame) => frame.type === "handoff_request");
    // A focused button that gets hidden or disabled would drop focus to the page.
    if ((hide || disable) && document.activeElement === human) (input.disabled ? closeBtn : input).focus();
    human.hidden = hide;
    human.disabled = disable;
  }

  function onTyping(frame) {
    if (frame.on) {
      typingRole = frame.role;
      typingText.textContent = `${frame.name || (frame.role === "bot" ? BOT_NAME : "Our team")} is typing…`;
      typing.hidden = false;
    } else if (frame.role === typingRole) {
      hideTyping();
    }
  }

  function hideTyping() {
    typingRole = null;
    typing.hidden = true;
  }

  function updateBadge() {
    badge.hidden = unread === 0;
    badge.textContent = unread > 9 ? "9+" : String(unread);
    unreadText.textContent = unread ? `${unread} unread message${unread === 1 ? "" : "s"}` : "";
  }

  function loadReadId() {
    try {
      const read = JSON.parse(store.get(READ_KEY));
      return read?.conversation === conversationId ? Number(read.id) || 0 : 0;
    } catch {
      return 0;
    }
  }

  function saveRead() {
    if (!conversationId) return;
    readId = lastId;
    store.set(READ_KEY, JSON.stringify({ conversation: conversationId, id: readId }));
  }

  // ---------------------------------------------------------------------------------------------
  // Panel and events

  function open() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    unread = 0;
    updateBadge();
    saveRead();
    log.scrollTop = log.scrollHeight;
    (input.disabled ? closeBtn : input).focus();
  }

  function close() {
    if (panel.hidden) return;
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  launcher.addEventListener("click", () => (panel.hidden ? open() : close()));
  closeBtn.addEventListener("click", close);
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    }
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submitInput();
    }
  });
  input.addEventListener("input", () => {
    autosize();
    if (input.value.trim()) customerTyping();
    else stopTyping();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitInput();
  });
  human.addEventListener("click", requestHuman);
  log.addEventListener("scroll", () => {
    stick = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    if (log.scrollTop < 40) requestOlder();
  });
  earlier.addEventListener("click", requestOlder);
  // The banner and the typing indicator shrink the log: keep its last message in view.
  if (window.ResizeObserver) new ResizeObserver(() => { if (stick) log.scrollTop = log.scrollHeight; }).observe(log);
  emailForm.addEventListener("submit", (event) => {
    event.preventDefault(); // the browser has already checked required and type=email
    if (transmit({ type: "contact", email: emailInput.value.trim(), name: null })) {
      contactSent = true;
      emailSend.disabled = true;
    } else {
      showNotice("We're reconnecting. Please try again in a moment.");
    }
  });
  csatForm.addEventListener("submit", (event) => {
    event.preventDefault(); // the browser has already checked that a score is chosen
    const score = Number(new FormData(csatForm).get("score"));
    answerRating({ type: "csat", score, comment: csatComment.value.trim() || null });
  });
  csatForm.querySelector(".kw-csat-later").addEventListener("click", () => answerRating({ type: "csat_dismiss" }));
  window.addEventListener("online", () => { if (!ws && !refused) connect(); });

  document.head.append(h("style", {}, CSS));
  if (document.body) document.body.append(root);
  else document.addEventListener("DOMContentLoaded", () => document.body.append(root));
  if (linked) open(); // the customer came from an emailed reply: show them the conversation

  window.KestrelWidget = Object.freeze({
    open,
    close,
    /** "connecting" | "open" | "reconnecting" | "refused" */
    connectionState: () => (refused ? "refused" : ready ? "open" : ws ? "connecting" : "reconnecting"),
  });

  connect();
})();
