// Kestrel desk — the editors' pages: the article list and the article editor. Vanilla JS.
// Data is rendered with createElement/textContent only. The one exception is the preview, whose
// HTML the desk renders from Markdown with raw HTML off (POST /api/editor/preview).
"use strict";

(() => {
  const AUTOSAVE_MS = 2500;
  const RETRY_MS = 10000;
  const PREVIEW_MS = 300;
  const FILTER_MS = 250;
  const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
  const STATUS_LABELS = { draft: "Draft", published: "Published", archived: "Archived" };
  const ESCALATION_LABELS = { none: "None", offer: "Offer a person", always: "Always a person" };
  const VERDICT_LABELS = { answer: "Answers", clarify: "Asks which article", none: "No answer" };

  const $ = (id) => document.getElementById(id);

  const { el, api } = window.KestrelDesk;

  const articleApi = (id, ...rest) => ["/api/editor/articles", encodeURIComponent(id), ...rest].join("/");
  const clock = () => new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  const score = (value) => (typeof value === "number" ? value.toFixed(3) : "—");
  const humanize = (value) => String(value || "").replace(/_/g, " ");

  function when(iso) {
    const date = new Date(iso);
    if (!iso || Number.isNaN(date.getTime())) return "";
    const text = date.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
    return el("time", { datetime: iso }, text);
  }

  function statusBadge(status, hasDraft) {
    const label = STATUS_LABELS[status] || humanize(status);
    return el(
      "span",
      { className: "badges" },
      el("span", { className: `status-badge status-${status}`, "data-status": status }, label),
      hasDraft ? el("span", { className: "status-badge status-pending" }, "Draft pending") : null,
    );
  }

  // ---------- the article list ----------

  function listPage() {
    const form = $("filters");
    const params = new URLSearchParams(window.location.search);
    let seq = 0;
    let timer = 0;
    let facets = false;
    for (const field of form.elements) if (field.name && params.has(field.name)) field.value = params.get(field.name);

    function fill(select, values) {
      const wanted = params.get(select.name) || select.value;
      select.replaceChildren(el("option", { value: "" }, "Any"), ...values.map((v) => el("option", { value: v }, v)));
      select.value = values.includes(wanted) ? wanted : "";
    }

    function helpfulCell(a) {
      if (!a.rated) return el("span", { className: "hint" }, "No feedback yet");
      return el(
        "span",
        { className: a.poor ? "helpful-poor" : "" },
        `${a.helpful} helpful · ${a.not_helpful} not`,
        a.poor ? el("span", { className: "stale-badge" }, "Often not helpful") : null,
      );
    }

    function row(a) {
      const href = `/editor/articles/${encodeURIComponent(a.id)}`;
      return el(
        "tr",
        { "data-article-id": a.id },
        el("td", {}, el("a", { href, "data-testid": "article-link" }, a.title || a.id), el("div", { className: "hint" }, a.summary || "")),
        el("td", {}, a.topic || ""),
        el("td", {}, statusBadge(a.status, a.has_draft)),
        el("td", {}, ESCALATION_LABELS[a.escalation] || humanize(a.escalation)),
        el("td", {}, helpfulCell(a)),
        el("td", {}, a.review_by || "—", a.stale ? el("span", { className: "stale-badge", "data-testid": "stale" }, "Stale") : null),
        el("td", {}, when(a.updated_at), a.updated_by ? el("div", { className: "hint" }, `by ${a.updated_by}`) : null),
      );
    }

    async function load() {
      const mine = ++seq;
      const query = new URLSearchParams();
      for (const field of form.elements) if (field.name && field.value) query.set(field.name, field.value);
      window.history.replaceState(null, "", query.toString() ? `?${query}` : window.location.pathname);
      try {
        const data = await api("GET", `/api/editor/articles?${query}`);
        if (mine !== seq) return;
        if (!facets) {
          fill($("f-topic"), data.topics);
          fill($("f-tag"), data.tags);
          facets = true;
        }
        $("article-rows").replaceChildren(...data.articles.map(row));
        $("list-status").textContent = `${data.articles.length} of ${data.total} articles`;
        $("list-error").hidden = true;
      } catch (e) {
        if (mine !== seq) return;
        $("list-status").textContent = "";
        $("list-error").textContent = `The articles could not be loaded: ${e.message}`;
        $("list-error").hidden = false;
      }
    }

    $("import-folder").addEventListener("click", async () => {
      const button = $("import-folder");
      const report = $("import-report");
      button.disabled = true;
      report.hidden = false;
      report.textContent = "Importing the knowledge folder…";
      try {
        const r = await api("POST", "/api/editor/import");
        const parts = [
          `${r.created.length} new`,
          `${r.updated.length} updated`,
          `${r.unchanged} unchanged`,
          `${r.kept.length} kept as edited here`,
        ];
        const conflicts = r.conflicts.length
          ? ` Conflicts (both the file and this editor changed; the file's text is a draft version to compare): ${r.conflicts.join(", ")}.`
          : "";
        const problems = r.problems.length ? ` Files not imported: ${r.problems.join("; ")}.` : "";
        report.textContent = `Imported: ${parts.join(", ")}.${conflicts}${problems}`;
        load();
      } catch (e) {
        report.textContent = `The import failed: ${e.message}`;
      } finally {
        button.disabled = false;
      }
    });

    form.addEventListener("input", (event) => {
      clearTimeout(timer);
      timer = setTimeout(load, event.target.tagName === "INPUT" ? FILTER_MS : 0);
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      load();
    });
    load();
  }

  // ---------- the article editor ----------

  function articlePage() {
    const state = {
      id: document.body.dataset.articleId || null,
      article: null, // the latest version as the knowledge service has it
      base: null, // the version the form's edits start from
      saved: "", // the form as last loaded or saved (JSON)
      saving: null,
      conflict: null, // { base, current }: a save refused because someone else saved first
      autosave: 0,
      previewTimer: 0,
      previewSeq: 0,
      previewed: null,
      idTouched: false,
    };
    const fields = { title: "a-title", summary: "a-summary", topic: "a-topic", escalation: "a-escalation", body: "a-body" };

    const setStatus = (text) => {
      $("save-status").textContent = text;
    };

    function showError(text) {
      $("page-error").textContent = text;
      $("page-error").hidden = !text;
    }

    // -- the form --

    function renumber() {
      [...$("questions").querySelectorAll("input")].forEach((input, i) => input.setAttribute("aria-label", `Phrasing ${i + 1}`));
    }

    function questionRow(value = "") {
      const input = el("input", { type: "text", maxlength: "1000", autocomplete: "off", "data-testid": "question" });
      input.value = value;
      const item = el("li", { className: "question-row" }, input);
      const remove = el("button", { type: "button", className: "btn btn-small", "aria-label": "Remove this phrasing" }, "Remove");
      remove.addEventListener("click", () => {
        const next = item.nextElementSibling || item.previousElementSibling;
        item.remove();
        renumber();
        (next ? next.querySelector("input") : $("add-question")).focus();
        changed();
      });
      input.addEventListener("keydown", (event) => {
        if (event.key !== "Enter") return;
        event.preventDefault(); // Enter adds the next phrasing below this one
        const added = questionRow();
        item.after(added);
        renumber();
        added.querySelector("input").focus();
      });
      item.append(remove);
      return item;
    }

    function readForm() {
      const article = {};
      for (const [name, id] of Object.entries(fields)) article[name] = $(id).value;
      article.topic = article.topic.trim();
      article.tags = $("a-tags").value.split(",").map((t) => t.trim()).filter(Boolean);
      article.questions = [...$("questions").querySelectorAll("input")].map((i) => i.value.trim()).filter(Boolean);
      article.review_by = $("a-review-by").value || null;
      return article;
    }

    function writeForm(article) {
      for (const [name, id] of Object.entries(fields)) $(id).value = article[name] || (name === "escalation" ? "none" : "");
      $("a-tags").value = (article.tags || []).join(", ");
      $("a-review-by").value = article.review_by || "";
      const questions = article.questions && article.questions.length ? article.questions : [""];
      $("questions").replaceChildren(...questions.map((q) => questionRow(q)));
      renumber();
    }

    const snapshot = () => JSON.stringify(readForm());
    const dirty = () => snapshot() !== state.saved;

    function clearFieldErrors() {
      for (const node of document.querySelectorAll(".field-error")) node.textContent = "";
      for (const node of document.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
    }

    function showFieldErrors(problems, focus) {
      clearFieldErrors();
      const unplaced = [];
      let first = null;
      for (const [name, problem] of Object.entries(problems || {})) {
        const key = name.split(/[.[]/)[0];
        const slot = $(`err-${key}`);
        if (!slot) {
          unplaced.push(`${name}: ${problem}`);
          continue;
        }
        slot.textContent = problem;
        const input = key === "questions" ? $("questions").querySelector("input") : $(`a-${key.replace("_", "-")}`);
        if (input) input.setAttribute("aria-invalid", "true");
        first = first || input;
      }
      if (unplaced.length) showError(unplaced.join("; "));
      if (focus && first) first.focus();
    }

    // -- loading --

    function renderHeader() {
      const a = state.article;
      if (!a) return;
      $("article-heading").textContent = a.title || a.id;
      document.title = `${a.title || a.id} · Kestrel desk`;
      $("status-badge").replaceChildren(statusBadge(a.status, a.has_draft));
      const live = a.published_version ? `live: version ${a.published_version}` : "not live";
      const by = a.updated_by ? ` · last change by ${a.updated_by}` : "";
      $("version-info").textContent = `Version ${a.version} · ${live}${by}`;
      $("unpublish").disabled = a.status !== "published";
      $("archive").disabled = a.status === "archived";
      if (a.stale) $("version-info").append(" ", el("span", { className: "stale-badge" }, "Past its review date"));
    }

    async function loadArticle() {
      try {
        const article = await api("GET", articleApi(state.id));
        state.article = article;
        state.base = article.version;
        writeForm(article);
        state.saved = snapshot();
        state.conflict = null;
        $("conflict").hidden = true;
        clearFieldErrors();
        showError("");
        renderHeader();
        updatePreview();
        loadVersions();
      } catch (e) {
        showError(e.status === 404 ? `There is no article "${state.id}".` : `The article could not be loaded: ${e.message}`);
      }
    }

    async function refreshMeta() {
      const article = await api("GET", articleApi(state.id));
      state.article = { ...state.article, ...article };
      renderHeader();
      loadVersions();
    }

    // -- saving --

    function changed() {
      schedulePreview();
      if (!state.id || state.conflict) return; // a new article is created explicitly; a conflict never overwrites
      clearTimeout(state.autosave);
      if (!dirty()) return;
      setStatus("Unsaved changes");
      state.autosave = setTimeout(() => save({ auto: true }), AUTOSAVE_MS);
    }

    async function save({ auto = false } = {}) {
      clearTimeout(state.autosave);
      if (!state.id) return auto ? false : create();
      if (state.conflict) {
        if (!auto) $("conflict").focus();
        return false;
      }
      while (state.saving) await state.saving;
      const current = snapshot();
      if (current === state.saved) {
        if (!auto && !$("save-status").textContent) setStatus("No changes to save");
        return true;
      }
      const run = (async () => {
        setStatus("Saving…");
        try {
          const body = { article: JSON.parse(current), base_version: state.base, as_draft: true };
          const result = await api("PUT", articleApi(state.id), body);
          state.base = result.version;
          state.saved = current;
          const pending = result.status === "published" && result.version !== result.published_version;
          state.article = { ...state.article, ...JSON.parse(current), ...result, has_draft: result.has_draft ?? pending };
          clearFieldErrors();
          setStatus(`Saved as draft at ${clock()} (version ${result.version})`);
          renderHeader();
          loadVersions();
          return true;
        } catch (e) {
          saveFailed(e, auto);
          return false;
        }
      })();
      state.saving = run;
      try {
        return await run;
      } finally {
        state.saving = null;
      }
    }

    function saveFailed(e, auto) {
      if (e.status === 409 && e.error.code === "version_conflict") {
        state.conflict = { base: state.base, current: e.error.current_version };
        const theirs = state.conflict.current ? `version ${state.conflict.current}` : "a newer version";
        $("conflict-text").textContent =
          `Someone else saved ${theirs} of this article while you were editing version ${state.base}. ` +
          "Nothing was overwritten: your changes are still in the form and are not saved. " +
          "Compare the versions, copy what you need, then reload the latest version.";
        $("conflict-compare").hidden = !state.conflict.current;
        $("conflict").hidden = false;
        setStatus("Not saved: someone else changed this article");
        if (!auto) $("conflict-compare").focus();
      } else if (e.status === 422) {
        showFieldErrors(e.error.fields, !auto);
        setStatus(`Not saved: ${e.message}`);
      } else {
        setStatus(`Not saved: ${e.message}. Your changes are still here${auto ? "; trying again shortly" : ""}.`);
        if (auto) state.autosave = setTimeout(() => save({ auto: true }), RETRY_MS);
      }
    }

    async function create() {
      const id = $("a-id").value.trim();
      if (!SLUG.test(id)) {
        showFieldErrors({ id: "Use lowercase letters, digits and single hyphens, e.g. card-delivery-times" }, true);
        return false;
      }
      setStatus("Creating…");
      try {
        const result = await api("POST", "/api/editor/articles", { id, article: readForm() });
        state.id = result.id || id;
        document.body.dataset.articleId = state.id;
        window.history.replaceState(null, "", `/editor/articles/${encodeURIComponent(state.id)}`);
        $("field-id").hidden = true;
        $("save").firstChild.textContent = "Save draft ";
        for (const id of ["unpublish", "archive", "delete"]) $(id).hidden = false;
        await loadArticle();
        setStatus(`Draft created at ${clock()} (version ${result.version})`);
        return true;
      } catch (e) {
        if (e.status === 409) showFieldErrors({ id: `An article with the id "${id}" already exists` }, true);
        else if (e.status === 422) showFieldErrors(e.error.fields, true);
        setStatus(`Not created: ${e.message}`);
        return false;
      }
    }

    // -- actions --

    function confirmAction(text, okLabel) {
      const dialog = $("confirm");
      $("confirm-text").textContent = text;
      $("confirm-ok").textContent = okLabel;
      dialog.returnValue = "";
      dialog.showModal();
      return new Promise((resolve) => dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true }));
    }

    async function act(action, body, done) {
      showError("");
      try {
        const result = await api("POST", articleApi(state.id, action), body);
        // An action is a version of its own: the next edit starts from it (the form is unchanged).
        if (result && result.version) state.base = result.version;
        setStatus(done(result || {}));
        await refreshMeta();
        return result;
      } catch (e) {
        showError(`${humanize(action)} failed: ${e.message}`);
        return null;
      }
    }

    async function publish() {
      if (!state.id && !(await create())) return;
      if (!(await save())) return;
      await act("publish", { version: state.base }, (r) => `Published version ${r.published_version || r.version} at ${clock()}: customers see it now`);
    }

    async function unpublish() {
      if (await confirmAction("Unpublish this article? Customers and the assistant stop seeing it at once; it stays here as a draft.", "Unpublish")) {
        await act("unpublish", undefined, () => `Unpublished at ${clock()}`);
      }
    }

    async function archive() {
      if (await confirmAction("Archive this article? It is kept, but customers and the assistant no longer see it.", "Archive")) {
        await act("archive", undefined, () => `Archived at ${clock()}`);
      }
    }

    async function remove() {
      if (!(await confirmAction("Delete this article? It disappears from every list and from search; its versions are kept.", "Delete"))) return;
      try {
        await api("DELETE", articleApi(state.id));
        state.saved = snapshot();
        window.location.assign("/editor");
      } catch (e) {
        showError(`Delete failed: ${e.message}`);
      }
    }

    async function restore(number) {
      const live = state.article && state.article.status === "published" ? " It goes live at once." : "";
      const lost = dirty() ? " Your unsaved changes in the form are dropped." : "";
      if (!(await confirmAction(`Restore version ${number} as a new version?${live}${lost}`, "Restore"))) return;
      const result = await act(`versions/${number}/restore`, undefined, (r) => `Version ${number} restored as version ${r.version}`);
      if (result) {
        const message = $("save-status").textContent;
        await loadArticle();
        setStatus(message);
      }
    }

    // -- versions and the diff --

    function versionLabel(v) {
      return `Version ${v.version} · ${humanize(v.action)} · ${v.editor_name || v.editor || ""}`;
    }

    async function loadVersions() {
      if (!state.id) return;
      let versions;
      try {
        versions = (await api("GET", articleApi(state.id, "versions"))).versions;
      } catch (e) {
        $("version-rows").replaceChildren(el("tr", {}, el("td", { colspan: "5" }, `Versions unavailable: ${e.message}`)));
        return;
      }
      const live = state.article ? state.article.published_version : null;
      $("version-rows").replaceChildren(
        ...versions.map((v, i) =>
          el(
            "tr",
            { "data-version": v.version },
            el("td", {}, String(v.version), v.version === live ? el("span", { className: "status-badge status-published" }, "Live") : null),
            el("td", {}, humanize(v.action)),
            el("td", {}, v.editor_name || v.editor || ""),
            el("td", {}, when(v.at)),
            el("td", {}, i === 0 ? null : el("button", { type: "button", className: "btn btn-small", onclick: () => restore(v.version), "aria-label": `Restore version ${v.version}` }, "Restore")),
          ),
        ),
      );
      // Until the editor picks versions, the comparison is the newest against the one before it.
      for (const [id, fallback] of [["compare-from", 1], ["compare-to", 0]]) {
        const select = $(id);
        const before = select.value;
        select.replaceChildren(...versions.map((v) => el("option", { value: v.version }, versionLabel(v))));
        const keep = select.dataset.picked && versions.some((v) => String(v.version) === before);
        select.value = keep ? before : String((versions[Math.min(fallback, versions.length - 1)] || {}).version || "");
      }
    }

    const shown = (value) => (Array.isArray(value) ? value.join("\n") : value === null || value === undefined ? "" : String(value));

    async function compare(before, after) {
      const target = $("diff");
      target.replaceChildren(el("p", { className: "hint" }, "Comparing…"));
      try {
        const d = await api("GET", `${articleApi(state.id, "diff")}?from=${before}&to=${after}`);
        const parts = [el("h3", {}, `Version ${d.from} (left) and version ${d.to} (right)`)];
        if (!d.fields.length && !d.rows.length) parts.push(el("p", { className: "empty" }, "No differences."));
        if (d.fields.length) {
          parts.push(
            el(
              "table",
              { className: "diff-fields" },
              el("caption", {}, "Fields that changed"),
              el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Field"), el("th", { scope: "col" }, `Version ${d.from}`), el("th", { scope: "col" }, `Version ${d.to}`))),
              el("tbody", {}, ...d.fields.map((f) => el("tr", {}, el("th", { scope: "row" }, humanize(f.name)), el("td", { className: "diff-del" }, shown(f.before)), el("td", { className: "diff-add" }, shown(f.after))))),
            ),
          );
        }
        if (d.rows.length) {
          const cell = (text, kind, side) =>
            el("td", { className: `diff-${kind}` }, kind === side ? el("span", { className: "visually-hidden" }, side === "del" ? "removed: " : "added: ") : null, text === null ? "" : text);
          parts.push(
            el(
              "table",
              { className: "diff-body" },
              el("caption", {}, "Body, side by side"),
              el("tbody", {}, ...d.rows.map((r) => el("tr", { className: `diff-row-${r.kind}` }, cell(r.left, r.kind === "change" ? "del" : r.kind, "del"), cell(r.right, r.kind === "change" ? "add" : r.kind, "add")))),
            ),
          );
        }
        target.replaceChildren(...parts);
        target.focus();
      } catch (e) {
        target.replaceChildren(el("p", { className: "alert" }, `The versions could not be compared: ${e.message}`));
      }
    }

    // -- preview and "try a question" --

    function schedulePreview() {
      clearTimeout(state.previewTimer);
      state.previewTimer = setTimeout(updatePreview, PREVIEW_MS);
    }

    async function updatePreview() {
      $("preview-title").textContent = $("a-title").value;
      $("preview-summary").textContent = $("a-summary").value;
      const markdown = $("a-body").value;
      if (markdown === state.previewed) return;
      const mine = ++state.previewSeq;
      try {
        const data = await api("POST", "/api/editor/preview", { markdown });
        if (mine !== state.previewSeq) return;
        $("preview-body").innerHTML = data.html; // the desk's renderer, raw HTML off: no data is interpreted as markup
        state.previewed = markdown;
      } catch (e) {
        if (mine === state.previewSeq) $("preview-body").replaceChildren(el("p", { className: "alert" }, `Preview unavailable: ${e.message}`));
      }
    }

    function outcome(title, o, testid) {
      const own = o.article_rank
        ? `This article: rank ${o.article_rank}, score ${score(o.article_score)}`
        : "This article is not among the top hits";
      const sure = typeof o.confidence === "number" ? ` (confidence ${Math.round(o.confidence * 100)}%)` : "";
      return el(
        "div",
        { className: "try-column", "data-testid": testid },
        el("h3", {}, title),
        el("p", {}, el("span", { className: `verdict verdict-${o.verdict}`, "data-verdict": o.verdict }, VERDICT_LABELS[o.verdict] || humanize(o.verdict)), sure),
        el("p", {}, own),
        el("ol", { className: "try-hits", "aria-label": `${title}: top hits` }, ...(o.hits || []).map((h) =>
          el("li", { className: h.article_id === state.id ? "own-hit" : "" }, h.title || h.article_id, el("span", { className: "hint" }, ` ${score(h.score)}`)),
        )),
      );
    }

    async function tryQuestion(event) {
      event.preventDefault();
      const question = $("try-question").value.trim();
      if (!question) return $("try-question").focus();
      if (!state.id) return ($("try-status").textContent = "Create the draft first, then try questions against it.");
      $("try-status").textContent = "Asking the assistant's search…";
      try {
        const result = await api("POST", articleApi(state.id, "try"), { question, article: readForm() });
        $("try-result").replaceChildren(outcome("Now (what customers get)", result.now, "try-now"), outcome("With this draft", result.with_draft, "try-draft"));
        $("try-status").textContent = `Now: ${VERDICT_LABELS[result.now.verdict] || result.now.verdict}; with this draft: ${VERDICT_LABELS[result.with_draft.verdict] || result.with_draft.verdict}.`;
      } catch (e) {
        $("try-status").textContent = `The question could not be tried: ${e.message}`;
      }
    }

    // -- wiring --

    function prefill() {
      const params = new URLSearchParams(window.location.search);
      const article = { escalation: "none", questions: params.getAll("question") };
      for (const name of ["title", "summary", "topic", "body"]) article[name] = params.get(name) || "";
      writeForm(article);
      const slug = (text) => text.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 80);
      $("a-id").value = slug(article.title);
      $("a-id").addEventListener("input", () => (state.idTouched = true));
      $("a-title").addEventListener("input", () => {
        if (!state.idTouched) $("a-id").value = slug($("a-title").value);
      });
      $("field-id").hidden = false;
      for (const id of ["unpublish", "archive", "delete"]) $(id).hidden = true;
      $("status-badge").replaceChildren(statusBadge("draft", false));
      $("version-info").textContent = "Not saved yet: choose an id, then Create draft (Ctrl+S)";
      state.saved = snapshot();
      updatePreview();
    }

    $("article-form").addEventListener("input", changed);
    $("article-form").addEventListener("change", changed);
    $("article-form").addEventListener("submit", (event) => {
      event.preventDefault();
      save();
    });
    $("add-question").addEventListener("click", () => {
      const item = questionRow();
      $("questions").append(item);
      renumber();
      item.querySelector("input").focus();
    });
    $("save").addEventListener("click", () => save());
    $("publish").addEventListener("click", publish);
    $("unpublish").addEventListener("click", unpublish);
    $("archive").addEventListener("click", archive);
    $("delete").addEventListener("click", remove);
    $("try-form").addEventListener("submit", tryQuestion);
    $("compare-form").addEventListener("change", (event) => {
      event.target.dataset.picked = "true";
    });
    $("compare-form").addEventListener("submit", (event) => {
      event.preventDefault();
      compare($("compare-from").value, $("compare-to").value);
    });
    $("conflict-compare").addEventListener("click", () => compare(state.conflict.base, state.conflict.current));
    $("conflict-reload").addEventListener("click", async (event) => {
      event.preventDefault();
      if (await confirmAction("Reload the latest version? Your unsaved changes in the form are dropped.", "Reload")) loadArticle();
    });
    document.addEventListener("keydown", (event) => {
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s") {
        event.preventDefault();
        save();
      }
    });
    window.addEventListener("beforeunload", (event) => {
      if (dirty()) event.preventDefault();
    });

    if (state.id) loadArticle();
    else prefill();
  }

  if (document.body.dataset.page === "list") listPage();
  else if (document.body.dataset.page === "article") articlePage();
})();
