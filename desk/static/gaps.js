// Kestrel desk — what customers could not find (/editor/gaps): the groups from
// GET /api/editor/gaps, and "Start a draft from this group". Customer text is rendered with
// textContent only, never as HTML.
"use strict";

(() => {
  const KIND_LABELS = {
    none: "found nothing",
    declined: "declined a clarification",
    not_helpful: "said it did not help",
    handed_over: "handed to a person",
  };
  const $ = (id) => document.getElementById(id);
  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

  const { el, api } = window.KestrelDesk;

  const when = (iso) => {
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  };

  function sparkline(counts, weekStarts) {
    const top = Math.max(1, ...counts);
    const label = `Last ${counts.length} weeks, oldest first: ${counts.join(", ")}`;
    const bars = counts.map((n, i) => {
      const bar = el("span", { className: n ? "" : "zero", title: `Week from ${when(weekStarts[i] || "")}: ${n}` });
      bar.style.height = `${Math.max(1, Math.round((24 * n) / top))}px`;
      return bar;
    });
    return el("span", { className: "sparkline", role: "img", "aria-label": label, "data-testid": "gap-trend" }, bars);
  }

  function example(item) {
    const happened = item.kinds.map((k) => KIND_LABELS[k] || k).join(", ");
    return el(
      "li",
      { "data-testid": "gap-example" },
      el("span", { className: "gap-text" }, item.text),
      el("span", { className: "gap-meta" }, `${when(item.at)} · ${happened}`),
    );
  }

  function article(found) {
    const score = typeof found.score === "number" ? ` (${found.score.toFixed(2)})` : "";
    return el(
      "li",
      {},
      el("a", { href: `/editor/articles/${encodeURIComponent(found.article_id)}` }, found.title || found.article_id),
      el("span", { className: "hint" }, score),
    );
  }

  async function startDraft(group, button, status) {
    button.disabled = true;
    status.textContent = "Creating a draft…";
    try {
      const created = await api("POST", "/api/editor/gaps/draft", { phrasings: group.phrasings });
      status.textContent = `Draft ${created.id} created; opening it…`;
      window.location.assign(created.url);
    } catch (e) {
      status.textContent = e.message;
      button.disabled = false;
    }
  }

  function groupCard(group, index, weekStarts) {
    const headingId = `gap-${index}`;
    const status = el("span", { className: "hint", role: "status", "aria-live": "polite" });
    const draft = el(
      "button",
      { type: "button", className: "btn btn-primary btn-small", "data-testid": "gap-draft" },
      "Start a draft from this group",
    );
    draft.addEventListener("click", () => startDraft(group, draft, status));
    const kinds = Object.entries(group.kinds).map(([k, n]) => el("span", { className: "chip" }, `${KIND_LABELS[k] || k}: ${n}`));
    return el(
      "li",
      { className: "gap-group", "aria-labelledby": headingId, "data-testid": "gap-group" },
      el("h2", { id: headingId }, `“${group.phrasings[0] || group.examples[0].text}”`),
      el(
        "div",
        { className: "gap-summary" },
        el("span", { className: "gap-count", "data-testid": "gap-count" }, plural(group.count, "question")),
        sparkline(group.trend, weekStarts),
        el("span", { className: "gap-kinds" }, kinds),
      ),
      el("div", {}, el("h3", { className: "visually-hidden" }, "Examples"), el("ul", { className: "gap-examples" }, group.examples.map(example))),
      el(
        "div",
        { className: "gap-side" },
        el("h3", {}, "Nearest articles"),
        group.articles.length
          ? el("ul", { className: "gap-articles", "data-testid": "gap-articles" }, group.articles.map(article))
          : el("p", { className: "hint" }, "None published yet."),
      ),
      el("div", { className: "gap-actions" }, draft, " ", status),
    );
  }

  async function load() {
    const form = $("gap-filters");
    const params = new URLSearchParams({ weeks: form.weeks.value });
    if (form.kind.value) params.append("kind", form.kind.value);
    $("gap-status").textContent = "Loading…";
    $("gap-error").hidden = true;
    try {
      const report = await api("GET", `/api/editor/gaps?${params}`);
      $("gap-groups").replaceChildren(...report.groups.map((g, i) => groupCard(g, i, report.trend_weeks)));
      $("gap-status").textContent = report.groups.length
        ? `${plural(report.questions, "question")} in ${plural(report.groups.length, "group")} over the last ${report.weeks} weeks.`
        : `Nothing went unanswered in the last ${report.weeks} weeks.`;
    } catch (e) {
      $("gap-status").textContent = "";
      $("gap-error").textContent = e.message;
      $("gap-error").hidden = false;
    }
  }

  const filters = $("gap-filters");
  const query = new URLSearchParams(window.location.search);
  for (const name of ["weeks", "kind"]) {
    if (query.get(name)) filters[name].value = query.get(name);
  }
  filters.addEventListener("change", () => {
    const params = new URLSearchParams({ weeks: filters.weeks.value });
    if (filters.kind.value) params.set("kind", filters.kind.value);
    window.history.replaceState(null, "", `?${params}`);
    load();
  });
  filters.addEventListener("submit", (event) => event.preventDefault());
  load();
})();
