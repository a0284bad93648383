// Kestrel desk — learned phrasings on an article's editor page: the candidate examples the
// knowledge service learned from confirmed answers and agents' resolutions, approved or rejected
// in bulk. Customer text is rendered with textContent only.
"use strict";

(() => {
  const section = document.getElementById("phrasings");
  const articleId = document.body.dataset.articleId;
  if (!section || !articleId) return; // a new article has learned nothing yet
  section.hidden = false;
  const list = document.getElementById("phrasing-list");
  const status = document.getElementById("phrasing-status");
  const all = document.getElementById("phrasing-all");
  const buttons = [...section.querySelectorAll("[data-decision]")];
  const SOURCES = { confirmed_answers: "a customer confirmed it", agent_resolved: "an agent resolved it" };

  const { api } = window.KestrelDesk;

  const boxes = () => [...list.querySelectorAll("input[type=checkbox]")];
  const chosen = () => boxes().filter((b) => b.checked).map((b) => Number(b.value));

  function refreshButtons() {
    const count = chosen().length;
    for (const button of buttons) button.disabled = count === 0;
    all.checked = count > 0 && count === boxes().length;
    all.indeterminate = count > 0 && count < boxes().length;
  }

  function row(candidate) {
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = String(candidate.id);
    box.addEventListener("change", refreshButtons);
    const text = document.createElement("span");
    text.className = "gap-text";
    text.textContent = candidate.text;
    const meta = document.createElement("span");
    meta.className = "gap-meta";
    meta.textContent = `${SOURCES[candidate.source] || candidate.source} · ${new Date(candidate.created).toLocaleDateString()}`;
    const body = document.createElement("span");
    body.append(text, meta);
    const label = document.createElement("label");
    label.append(box, body);
    const item = document.createElement("li");
    item.dataset.testid = "phrasing";
    item.append(label);
    return item;
  }

  async function load(message) {
    try {
      const data = await api("GET", `/api/editor/articles/${encodeURIComponent(articleId)}/phrasings`);
      list.replaceChildren(...data.candidates.map(row));
      all.disabled = data.candidates.length === 0;
      status.textContent =
        message || (data.candidates.length ? `${data.candidates.length} waiting for review.` : "Nothing waiting for review.");
    } catch (e) {
      status.textContent = e.message;
    }
    refreshButtons();
  }

  all.addEventListener("change", () => {
    for (const box of boxes()) box.checked = all.checked;
    refreshButtons();
  });
  for (const button of buttons) {
    button.addEventListener("click", async () => {
      const ids = chosen();
      const decision = button.dataset.decision;
      for (const b of buttons) b.disabled = true;
      try {
        const result = await api("POST", `/api/editor/phrasings/${decision}`, { ids });
        const done = decision === "approve" ? "approved: the assistant uses them from now on" : "rejected";
        await load(`${result.changed.length} ${done}.`);
      } catch (e) {
        status.textContent = e.message;
        refreshButtons();
      }
    });
  }
  load();
})();
