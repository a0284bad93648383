// Kestrel desk — agent console. Vanilla JS, no dependencies.
// Every piece of data is rendered with createElement/textContent: customer text is untrusted.
"use strict";

(() => {
  const TITLE = "Kestrel desk";
  const PING_MS = 25000;
  const RECONNECT_MAX_MS = 30000;
  const TYPING_THROTTLE_MS = 3000;
  const TYPING_IDLE_MS = 4000;
  const CUSTOMER_TYPING_TIMEOUT_MS = 10000;
  const SEARCH_DEBOUNCE_MS = 300;
  const ROLE_LABELS = { customer: "Customer", bot: "Assistant", agent: "Agent", system: "System", note: "Internal note" };
  const SHOWN_AS = { answer: "answer", clarify: "clarify", safety_steps: "safety steps" };
  const FEEDBACK = { helpful: "helpful", not_helpful: "not helpful", none: "no feedback" };
  const OUTCOMES = ["resolved", "unresolved", "duplicate", "spam"];
  const LISTS = [
    { key: "queued", name: "queue", item: "queue-item", claimable: true },
    { key: "mine", name: "mine", item: "mine-item", claimable: false },
    { key: "tickets", name: "tickets", item: "ticket-item", claimable: true },
  ];

  const state = {
    me: null,
    queue: { queued: [], mine: [], tickets: [], online_agents: 0 },
    open: null, // { id, summary, handoff, seen: Set<message id> }
    openSeq: 0,
    unread: new Set(),
    drafts: new Map(), // "conversationId:reply|note" -> text
  };
  const waitingSince = new WeakMap(); // Summary -> epoch ms the wait started (client clock)
  const socket = { ws: null, attempt: 0, pingTimer: 0 };
  const typing = { conversationId: null, lastSent: 0, idleTimer: 0 };
  let customerTypingTimer = 0;
  let searchTimer = 0;
  let searchSeq = 0;
  let audio = null;

  // ---------- helpers ----------

  const $ = (id) => document.getElementById(id);

  const { el } = window.KestrelDesk; // desk/static/desk.js, loaded first

  function humanize(value) {
    const text = String(value || "unknown").replace(/_/g, " ");
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  function truncate(value, max) {
    const text = String(value || "").replace(/\s+/g, " ").trim();
    return text.length > max ? `${text.slice(0, max - 1)}…` : text;
  }

  function formatDuration(seconds) {
    const total = Math.max(0, Math.floor(seconds));
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = total % 60;
    if (h) return `${h} h ${m} min`;
    return m ? `${m} min ${s} s` : `${s} s`;
  }

  function timeElement(iso) {
    const date = new Date(iso);
    if (!iso || Number.isNaN(date.getTime())) return null;
    const short = date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    return el("time", { datetime: iso, title: date.toLocaleString() }, short);
  }

  function safeUrl(url) {
    try {
      const parsed = new URL(url);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch {
      return null;
    }
  }

  function link(title, url) {
    const href = safeUrl(url);
    const text = title || url || "";
    return href ? el("a", { href, target: "_blank", rel: "noopener noreferrer" }, text) : el("span", {}, text);
  }

  function priorityBadge(priority) {
    const value = priority || "normal";
    return el("span", { className: `priority priority-${value}`, "data-priority": value }, humanize(value));
  }

  const customerName = (...customers) => customers.find((c) => c && c.name)?.name || "Customer";
  const conversationPath = (id) => `/api/console/conversations/${encodeURIComponent(id)}`;
  const isMine = (summary) =>
    Boolean(summary && state.me && summary.agent && summary.agent.id === state.me.id && summary.status === "assigned");
  const isTicking = (summary) => summary.status === "queued" || summary.status === "ticket";

  function stamp(summary) {
    const now = Date.now();
    const created = Date.parse(summary.created_at);
    let since = Number.isNaN(created) ? now : created;
    if (Number.isFinite(summary.waited_seconds)) since = now - summary.waited_seconds * 1000;
    waitingSince.set(summary, since);
    return summary;
  }

  function waitedElement(summary) {
    const since = waitingSince.get(summary) ?? Date.now();
    const node = el("span", { className: "waited" });
    if (isTicking(summary)) {
      node.dataset.since = String(since);
      node.textContent = `Waiting ${formatDuration((Date.now() - since) / 1000)}`;
    } else {
      node.textContent = `Waited ${formatDuration(summary.waited_seconds || 0)}`;
    }
    return node;
  }

  function tickWaited() {
    const now = Date.now();
    for (const node of document.querySelectorAll("[data-since]")) {
      node.textContent = `Waiting ${formatDuration((now - Number(node.dataset.since)) / 1000)}`;
    }
  }

  // ---------- HTTP ----------

  class ApiError extends Error {
    constructor(message, silent = false) {
      super(message);
      this.silent = silent;
    }
  }

  async function api(method, path, body) {
    const headers = { Accept: "application/json", "X-Requested-With": "kestrel-console" };
    const init = { method, headers, credentials: "same-origin" };
    if (method !== "GET") {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body || {});
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch {
      throw new ApiError("The desk cannot be reached. Check your connection and try again.");
    }
    if (response.status === 401) {
      window.location.assign("/console/login");
      throw new ApiError("Your session has ended.", true);
    }
    const data = await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(data?.error?.message || `The desk answered ${response.status}.`);
    return data;
  }

  function showError(message) {
    $("console-error-text").textContent = message;
    $("console-error").hidden = false;
  }

  function run(task) {
    return Promise.resolve()
      .then(task)
      .catch((error) => {
        if (!error?.silent) showError(error?.message || "Something went wrong.");
      });
  }

  // ---------- lists ----------

  async function loadQueue() {
    applyQueue(await api("GET", "/api/console/queue"));
  }

  function applyQueue(queue) {
    for (const list of LISTS) state.queue[list.key] = (queue?.[list.key] || []).map(stamp);
    state.queue.online_agents = queue?.online_agents || 0;
    renderLists();
    updateTitle();
    const count = state.queue.online_agents;
    $("online-agents").textContent = `${count} agent${count === 1 ? "" : "s"} online`;
    syncOpenSummary();
  }

  const allSummaries = () => LISTS.flatMap((list) => state.queue[list.key]);
  const findSummary = (id) => allSummaries().find((summary) => summary.conversation_id === id) || null;

  function renderLists() {
    const focus = rememberFocus();
    for (const list of LISTS) {
      const items = state.queue[list.key];
      $(`${list.name}-list`).replaceChildren(...items.map((summary) => listItem(summary, list)));
      $(`${list.name}-count`).textContent = String(items.length);
      $(`${list.name}-empty`).hidden = items.length > 0;
    }
    restoreFocus(focus);
  }

  function listItem(summary, list) {
    const id = summary.conversation_id;
    const last = summary.last_message;
    const unread = state.unread.has(id)
      ? el("span", { className: "unread-dot", "data-testid": "unread", title: "New messages" },
        el("span", { className: "visually-hidden" }, "New messages"))
      : null;
    const lastLine = last
      ? el("span", { className: "item-last" }, `${ROLE_LABELS[last.role] || humanize(last.role)}: ${truncate(last.text, 90)}`)
      : null;
    const item = el("li", {
      className: "item", "data-testid": list.item, "data-conversation-id": id,
      onclick: () => run(() => openConversation(id)),
    }, el("button", {
      type: "button", className: "item-open", "data-focus": "open", "aria-current": state.open?.id === id ? "true" : null,
    },
    el("span", { className: "item-top" }, priorityBadge(summary.priority),
      el("span", { className: "item-reason" }, humanize(summary.reason)), unread),
    el("span", { className: "item-customer" }, customerName(summary.customer)),
    waitedElement(summary),
    el("span", { className: "item-summary" }, truncate(summary.summary, 140)),
    lastLine));
    if (list.claimable) {
      item.append(el("button", {
        type: "button", className: "btn btn-small", "data-testid": "claim", "data-focus": "claim",
        onclick: (event) => { event.stopPropagation(); run(() => act(id, "claim")); },
      }, "Claim"));
    }
    return item;
  }

  function rememberFocus() {
    const active = document.activeElement;
    const item = active?.closest?.("[data-conversation-id]");
    if (!item || !active.dataset.focus || !item.parentElement) return null;
    return { list: item.parentElement, id: item.dataset.conversationId, focus: active.dataset.focus };
  }

  function restoreFocus(focus) {
    if (!focus) return;
    const item = [...focus.list.children].find((node) => node.dataset.conversationId === focus.id);
    item?.querySelector(`[data-focus="${focus.focus}"]`)?.focus();
  }

  function updateTitle() {
    const count = state.queue.queued.length;
    document.title = count ? `(${count}) ${TITLE}` : TITLE;
  }

  function updateLastMessage(conversationId, message) {
    if (message.role === "note") return;
    for (const summary of allSummaries()) {
      if (summary.conversation_id === conversationId) {
        summary.last_message = { role: message.role, text: message.text, at: message.at };
      }
    }
  }

  // ---------- conversation ----------

  async function openConversation(id) {
    const seq = ++state.openSeq;
    const data = await api("GET", conversationPath(id));
    if (seq !== state.openSeq) return;
    const switching = state.open?.id !== id;
    if (switching) {
      saveDrafts();
      stopTyping();
      clearArticleSearch();
      setCustomerTyping(false);
      state.open = { id, seen: new Set() };
      $("transcript").replaceChildren();
    }
    Object.assign(state.open, { summary: stamp(data.summary), handoff: data.handoff || {} });
    state.unread.delete(id);
    $("empty-state").hidden = true;
    $("conversation-view").hidden = false;
    for (const message of data.messages || []) appendMessage(message);
    if (switching) {
      $("transcript").scrollTop = $("transcript").scrollHeight;
      restoreDrafts();
    }
    renderHeader();
    renderControls();
    renderContext();
    renderLists();
  }

  // claim, resolve or handback; the conversation and the lists are refreshed whatever the answer.
  async function act(id, action, body) {
    try {
      await api("POST", `${conversationPath(id)}/${action}`, body);
    } finally {
      await run(() => refresh(id, action === "claim"));
    }
    if (state.open?.id === id) (isMine(state.open.summary) ? $("reply-input") : $("conversation")).focus();
  }

  function refresh(id, open) {
    return Promise.all([loadQueue(), open || state.open?.id === id ? openConversation(id) : null]);
  }

  function syncOpenSummary() {
    const open = state.open;
    const fresh = open && findSummary(open.id);
    if (!fresh) return;
    const changed = fresh.status !== open.summary.status || fresh.agent?.id !== open.summary.agent?.id;
    open.summary = fresh;
    renderHeader();
    if (changed) renderControls();
  }

  function statusLabel(summary) {
    switch (summary.status) {
      case "queued": return "Waiting in the queue";
      case "assigned": return isMine(summary) ? "Assigned to you" : `Assigned to ${summary.agent?.name || "another agent"}`;
      case "ticket": return "Ticket — reply by email";
      case "handed_back": return "Handed back to the assistant";
      default: return humanize(summary.status);
    }
  }

  function renderHeader() {
    const { summary, handoff } = state.open;
    $("conversation-title").textContent = customerName(summary.customer, handoff.customer);
    $("conversation-meta").replaceChildren(
      priorityBadge(summary.priority),
      el("span", {}, humanize(summary.reason)),
      el("span", { className: "status" }, statusLabel(summary)),
      waitedElement(summary),
    );
  }

  function renderControls() {
    const { id, summary } = state.open;
    const mine = isMine(summary);
    const actions = [];
    if (summary.status === "queued" || summary.status === "ticket") {
      actions.push(el("button", { type: "button", className: "btn btn-primary", "data-testid": "claim",
        onclick: () => run(() => act(id, "claim")) }, "Claim"));
    }
    if (mine) {
      const select = el("select", { id: "resolve-outcome", "data-testid": "resolve-outcome" },
        OUTCOMES.map((outcome) => el("option", { value: outcome }, humanize(outcome))));
      actions.push(
        el("label", { className: "visually-hidden", for: "resolve-outcome" }, "Outcome"),
        select,
        el("button", { type: "button", className: "btn", "data-testid": "resolve",
          onclick: () => run(() => act(id, "resolve", { outcome: select.value })) }, "Resolve"),
        el("button", { type: "button", className: "btn", "data-testid": "handback",
          onclick: () => run(() => act(id, "handback")) }, "Hand back to assistant"),
      );
    }
    $("conversation-actions").replaceChildren(...actions);
    $("reply-hint").textContent = mine ? "" : "Claim this conversation to reply.";
    updateComposer();
  }

  function updateComposer() {
    const mine = isMine(state.open?.summary);
    for (const id of ["reply-input", "reply-send", "article-search"]) $(id).disabled = !mine;
    for (const id of ["note-input", "note-send"]) $(id).disabled = !state.open;
    if (!mine) clearArticleSearch();
  }

  function saveDrafts() {
    if (!state.open) return;
    for (const kind of ["reply", "note"]) state.drafts.set(`${state.open.id}:${kind}`, $(`${kind}-input`).value);
  }

  function restoreDrafts() {
    for (const kind of ["reply", "note"]) $(`${kind}-input`).value = state.drafts.get(`${state.open.id}:${kind}`) || "";
  }

  function renderMessage(message) {
    const role = ROLE_LABELS[message.role] ? message.role : "system";
    const author = message.author?.name || ROLE_LABELS[role];
    const chips = message.buttons?.length
      ? el("ul", { className: "chips", "aria-label": "Quick replies offered" },
        message.buttons.map((button) => el("li", { className: "chip" }, button.title)))
      : null;
    const links = message.links?.length
      ? el("ul", { className: "msg-links" }, message.links.map((item) => el("li", {}, link(item.title, item.url))))
      : null;
    return el("div", {
      className: `msg msg-${role}`, "data-testid": "transcript-message", "data-role": message.role, "data-id": message.id,
    },
    el("div", { className: "msg-meta" },
      role === "note" ? el("span", { className: "note-label" }, "Internal note") : null,
      el("span", { className: "msg-author" }, role === "note" ? message.author?.name || "" : author),
      timeElement(message.at)),
    el("p", { className: "msg-text" }, message.text || ""),
    chips,
    links);
  }

  function appendMessage(message) {
    const open = state.open;
    if (!open || !message || open.seen.has(message.id)) return;
    open.seen.add(message.id);
    const transcript = $("transcript");
    const atBottom = transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 80;
    const last = transcript.lastElementChild;
    const before = !last || Number(last.dataset.id) < message.id
      ? null
      : [...transcript.children].find((node) => Number(node.dataset.id) > message.id) || null;
    transcript.insertBefore(renderMessage(message), before);
    if (atBottom) transcript.scrollTop = transcript.scrollHeight;
  }

  function setCustomerTyping(on) {
    clearTimeout(customerTypingTimer);
    $("customer-typing").hidden = !on;
    if (on) customerTypingTimer = setTimeout(() => setCustomerTyping(false), CUSTOMER_TYPING_TIMEOUT_MS);
  }

  // ---------- context card ----------

  function section(title, ...content) {
    return el("section", { className: "context-section" }, el("h3", {}, title), ...content);
  }

  function muted(text) {
    return el("p", { className: "empty" }, text);
  }

  function definitionList(rows) {
    return el("dl", { className: "facts" }, rows.map(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]));
  }

  function turnsTable(turns) {
    if (!Array.isArray(turns) || !turns.length) return muted("No turns recorded.");
    const head = el("tr", {}, ["Message", "Intent", "Confidence"].map((label) => el("th", { scope: "col" }, label)));
    const rows = turns.map((turn) => {
      const confidence = typeof turn.confidence === "number" ? turn.confidence : null;
      return el("tr", {},
        el("td", {}, turn.text || ""),
        el("td", { className: "intent" }, turn.intent || "—"),
        el("td", { className: confidence !== null && confidence < 0.5 ? "confidence low" : "confidence" },
          confidence === null ? "—" : `${Math.round(confidence * 100)}%`));
    });
    return el("table", { className: "turns" }, el("thead", {}, head), el("tbody", {}, rows));
  }

  function articlesList(articles) {
    if (!Array.isArray(articles) || !articles.length) return muted("No articles were shown.");
    return el("ul", { className: "articles-shown" }, articles.map((article) => el("li", {},
      link(article.title || article.article_id, article.url),
      el("span", { className: "tag" }, `shown as ${SHOWN_AS[article.shown_as] || humanize(article.shown_as).toLowerCase()}`),
      el("span", { className: `tag feedback-${article.feedback || "none"}` }, FEEDBACK[article.feedback] || FEEDBACK.none))));
  }

  function renderContext() {
    const { summary, handoff } = state.open;
    const customer = handoff.customer || {};
    const metadata = handoff.metadata && typeof handoff.metadata === "object" ? handoff.metadata : {};
    const trigger = handoff.trigger;
    $("context-card").replaceChildren(
      el("h2", {}, "Handoff context"),
      el("p", { className: "context-badges" }, priorityBadge(handoff.priority || summary.priority),
        el("span", { className: "context-reason" }, humanize(handoff.reason || summary.reason))),
      section("Summary", el("p", {}, handoff.summary || summary.summary || "No summary.")),
      section("Trigger message", trigger?.text
        ? el("blockquote", { className: "trigger" }, el("p", {}, trigger.text), timeElement(trigger.at))
        : muted("None recorded.")),
      section("Customer", definitionList([
        ["Name", summary.customer?.name || customer.name || "Not given"],
        ["Email", summary.customer?.email || customer.email || "Not given"],
        ["Customer ID", customerIdentity(summary.customer)],
      ])),
      section("Where", definitionList([
        ["Page", metadata.page ? link(metadata.page, metadata.page) : "Unknown"],
        ["Locale", metadata.locale || "Unknown"],
      ])),
      section("What the assistant understood", turnsTable(handoff.turns)),
      section("Articles shown", articlesList(handoff.articles_shown)),
    );
  }

  /** The id the host page gave, and whether its server signed it (DESK_IDENTITY_SECRET). */
  function customerIdentity(customer) {
    if (!customer?.customer_id) return "Not signed in";
    return customer.verified
      ? el("span", {}, customer.customer_id, " ", el("span", { className: "badge verified" }, "verified"))
      : el("span", {}, customer.customer_id, " ",
        el("span", { className: "badge unverified", title: "The page said so; its server did not sign it" },
          "unverified"));
  }

  // ---------- composer ----------

  async function send(kind) {
    const input = $(`${kind}-input`);
    const button = $(`${kind}-send`);
    const open = state.open;
    const text = input.value.trim();
    if (!open || !text || button.disabled) return;
    if (kind === "reply") stopTyping();
    button.disabled = true;
    try {
      const message = await api("POST", `${conversationPath(open.id)}/${kind === "reply" ? "messages" : "notes"}`, { text });
      if (state.open?.id === open.id) {
        input.value = "";
        appendMessage(message);
      } else {
        state.drafts.delete(`${open.id}:${kind}`);
      }
    } finally {
      updateComposer();
    }
  }

  function bindComposer(kind) {
    const input = $(`${kind}-input`);
    $(`${kind}-form`).addEventListener("submit", (event) => {
      event.preventDefault();
      run(() => send(kind));
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        run(() => send(kind));
      }
    });
  }

  function agentTyped() {
    const open = state.open;
    if (!open || !isMine(open.summary)) return;
    const now = Date.now();
    if (typing.conversationId !== open.id || now - typing.lastSent >= TYPING_THROTTLE_MS) {
      sendFrame({ type: "typing", conversation_id: open.id, on: true });
      typing.conversationId = open.id;
      typing.lastSent = now;
    }
    clearTimeout(typing.idleTimer);
    typing.idleTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
  }

  function stopTyping() {
    clearTimeout(typing.idleTimer);
    if (typing.conversationId) sendFrame({ type: "typing", conversation_id: typing.conversationId, on: false });
    typing.conversationId = null;
    typing.lastSent = 0;
  }

  // ---------- articles ----------

  function clearArticleSearch() {
    searchSeq += 1;
    clearTimeout(searchTimer);
    $("article-search").value = "";
    $("article-results").replaceChildren();
  }

  async function searchArticles() {
    const query = $("article-search").value.trim();
    const seq = ++searchSeq;
    if (!query) {
      $("article-results").replaceChildren();
      return;
    }
    const data = await api("GET", `/api/console/articles?q=${encodeURIComponent(query)}`);
    if (seq !== searchSeq) return;
    const results = data?.results || [];
    $("article-results").replaceChildren(...(results.length
      ? results.map(articleResult)
      : [el("li", { className: "empty" }, "No articles found.")]));
  }

  function articleResult(article) {
    return el("li", { className: "article-result", "data-testid": "article-result" },
      el("div", { className: "article-text" },
        el("strong", {}, link(article.title, article.url)),
        el("p", {}, truncate(article.summary, 180))),
      el("button", {
        type: "button", className: "btn btn-small", "data-testid": "article-insert",
        "aria-label": `Insert article: ${article.title}`, onclick: () => run(() => insertArticle(article.article_id)),
      }, "Insert"));
  }

  async function insertArticle(articleId) {
    const open = state.open;
    if (!open) return;
    const message = await api("POST", `${conversationPath(open.id)}/articles`, { article_id: articleId });
    if (state.open?.id !== open.id) return;
    appendMessage(message);
    clearArticleSearch();
    $("reply-input").focus();
  }

  // ---------- notifications ----------

  function unlockAudio() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === "suspended") audio.resume().catch(() => undefined);
    } catch {
      audio = null; // no Web Audio: new handoffs are silent
    }
  }

  function beep() {
    if (!audio) return;
    try {
      const start = audio.currentTime;
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.2, start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.3);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(start);
      oscillator.stop(start + 0.32);
    } catch {
      // the sound is a courtesy; the title badge still shows the new handoff
    }
  }

  function notify(summary) {
    if (!("Notification" in window) || Notification.permission !== "granted" || document.hasFocus()) return;
    try {
      const notification = new Notification(`New conversation: ${humanize(summary.reason)}`, {
        body: truncate(summary.summary, 160),
        tag: summary.conversation_id,
      });
      notification.addEventListener("click", () => {
        window.focus();
        notification.close();
        run(() => openConversation(summary.conversation_id));
      });
    } catch {
      // some browsers only allow notifications from a service worker
    }
  }

  function setupNotifications() {
    const button = $("enable-notifications");
    if (!("Notification" in window) || Notification.permission !== "default") return;
    button.hidden = false;
    button.addEventListener("click", () => {
      Promise.resolve(Notification.requestPermission())
        .catch(() => undefined)
        .then(() => { button.hidden = Notification.permission !== "default"; });
    });
  }

  // ---------- WebSocket ----------

  function sendFrame(frame) {
    if (socket.ws?.readyState === WebSocket.OPEN) socket.ws.send(JSON.stringify(frame));
  }

  function setConnection(online) {
    $("connection-text").textContent = online ? "Online" : "Offline — reconnecting…";
    $("connection-dot").classList.toggle("online", online);
  }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${window.location.host}/ws/console`);
    socket.ws = ws;
    ws.addEventListener("open", () => {
      // After an outage, fetch what the open conversation missed (messages are deduplicated by id).
      if (socket.attempt > 0 && state.open) run(() => openConversation(state.open.id));
      socket.attempt = 0;
      setConnection(true);
      socket.pingTimer = setInterval(() => sendFrame({ type: "ping" }), PING_MS);
    });
    ws.addEventListener("message", (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return; // not JSON: ignored
      }
      handleFrame(frame);
    });
    ws.addEventListener("close", () => {
      clearInterval(socket.pingTimer);
      socket.ws = null;
      typing.conversationId = null;
      setConnection(false);
      // A closed socket may mean the session ended: a 401 here redirects to the sign-in page.
      api("GET", "/api/console/me").catch(() => undefined);
      const delay = Math.min(RECONNECT_MAX_MS, 1000 * 2 ** socket.attempt) * (0.5 + Math.random() / 2);
      socket.attempt += 1;
      setTimeout(connect, delay);
    });
  }

  function handleFrame(frame) {
    switch (frame?.type) {
      case "queue":
        applyQueue(frame.queue);
        break;
      case "handoff_new":
        if (frame.summary) onHandoffNew(frame.summary);
        break;
      case "message":
        onMessage(frame.conversation_id, frame.message);
        break;
      case "typing":
        if (state.open?.id === frame.conversation_id) setCustomerTyping(Boolean(frame.on));
        break;
      default:
        break; // "pong" and frames this console does not know
    }
  }

  // The "queue" frame that follows is authoritative; adding the summary now keeps the badge immediate.
  function onHandoffNew(summary) {
    beep();
    notify(summary);
    const list = { queued: state.queue.queued, ticket: state.queue.tickets }[summary.status];
    if (!list || findSummary(summary.conversation_id)) return;
    list.push(stamp(summary));
    renderLists();
    updateTitle();
  }

  function onMessage(conversationId, message) {
    if (!message) return;
    updateLastMessage(conversationId, message);
    if (state.open?.id === conversationId) {
      appendMessage(message);
      if (message.role === "customer") setCustomerTyping(false);
    } else {
      state.unread.add(conversationId);
    }
    renderLists();
  }

  // ---------- start ----------

  function start() {
    $("console-error-dismiss").addEventListener("click", () => { $("console-error").hidden = true; });
    bindComposer("reply");
    bindComposer("note");
    $("reply-input").addEventListener("input", agentTyped);
    $("article-search").addEventListener("input", () => {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(() => run(searchArticles), SEARCH_DEBOUNCE_MS);
    });
    for (const type of ["pointerdown", "keydown"]) window.addEventListener(type, unlockAudio, { once: true });
    setupNotifications();
    updateComposer();
    setInterval(tickWaited, 1000);
    connect();
    run(loadQueue);
    run(async () => {
      state.me = await api("GET", "/api/console/me");
      if (state.open) {
        renderHeader();
        renderControls();
      }
    });
  }

  start();
})();
