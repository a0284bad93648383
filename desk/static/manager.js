// Kestrel desk — the managers' overview (/manager): the live floor from GET /api/floor, refreshed
// every few seconds, and the period's tiles, charts (Chart.js, vendored) and tables from
// GET /api/kpis. Every number shown is the API's value, only formatted: rates stay 0–1 (shown as
// percentages), times stay seconds. The tiles and tables say which value they show
// (data-path, from desk/manager_tables.py); the CSV links fetch the desk's export of the same rows.
"use strict";

(() => {
  const { el, api } = window.KestrelDesk;
  const $ = (id) => document.getElementById(id);
  const NUMBER = new Intl.NumberFormat("en-GB");
  const PERCENT = new Intl.NumberFormat("en-GB", { style: "percent", maximumFractionDigits: 1 });
  const DAY = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", timeZone: "UTC" });
  const FLOOR_MS = Math.max(1, Number(document.body.dataset.floorSeconds) || 5) * 1000;
  const TODAY = document.body.dataset.today;
  const COLOURS = ["#1f5fbf", "#d97706", "#1a7f37", "#b42318", "#7c3aed", "#0e7490", "#6b7280", "#be185d"];
  const FAILING_SHOWN = 5;

  // ---------- values and their formats ----------

  function at(data, path) {
    if (!path) return data;
    let value = data;
    for (const part of path.split(".")) {
      if (value === null || typeof value !== "object" || !(part in value)) return null;
      value = value[part];
    }
    return value;
  }

  function duration(seconds) {
    if (seconds < 10) return `${Math.round(seconds * 10) / 10} s`; // the assistant answers in under a second
    const s = Math.round(seconds);
    if (s < 60) return `${s} s`;
    if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
    if (s < 86400) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
    return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
  }

  function format(value, kind) {
    if (value === null || value === undefined || value === "") return "—";
    if (kind === "count") return NUMBER.format(value);
    if (kind === "rate") return PERCENT.format(value);
    if (kind === "seconds") return duration(value);
    if (kind === "yesno") return value ? "yes" : "no";
    return String(value);
  }

  const dayLabel = (iso) => DAY.format(new Date(`${iso}T00:00:00Z`));
  const bucketLabel = (b) => (b.start === b.end ? dayLabel(b.start) : `${dayLabel(b.start)}–${dayLabel(b.end)}`);

  function addDays(iso, days) {
    const date = new Date(`${iso}T00:00:00Z`);
    date.setUTCDate(date.getUTCDate() + days);
    return date.toISOString().slice(0, 10);
  }

  // ---------- tiles and tables ----------

  function fillTiles(root, data) {
    for (const tile of root.querySelectorAll("[data-tile]")) {
      const path = tile.dataset.tile;
      const value = at(data, path);
      const parent = at(data, path.split(".").slice(0, -1).join("."));
      tile.dataset.value = value === null ? "" : String(value);
      tile.querySelector(".tile-value").textContent = format(value, tile.dataset.format);
      let detail = "";
      if (parent && tile.dataset.detail === "of") {
        detail = parent.of ? `${NUMBER.format(parent.count)} of ${NUMBER.format(parent.of)}` : "none yet";
      } else if (parent && tile.dataset.detail === "p90") {
        detail = parent.p90 === null ? "" : `90th percentile ${duration(parent.p90)}`;
      } else if (parent && tile.dataset.detail === "measured") {
        detail = `${NUMBER.format(parent.count)} measured`;
      }
      tile.querySelector(".tile-detail").textContent = detail;
    }
  }

  function rowsOf(table, data) {
    const rows = at(data, table.dataset.rows);
    if (Array.isArray(rows)) return rows;
    if (rows && typeof rows === "object") return Object.entries(rows).map(([key, value]) => ({ key, ...value }));
    return [];
  }

  function fillTable(table, data, rowAttrs) {
    const columns = [...table.tHead.rows[0].cells].map((th) => ({ path: th.dataset.path, kind: th.dataset.format }));
    const rows = rowsOf(table, data).map((row) =>
      el(
        "tr",
        rowAttrs ? rowAttrs(row) : {},
        columns.map((c, i) => {
          const text = format(at(row, c.path), c.kind);
          const numeric = !["text", "day", "yesno"].includes(c.kind);
          return i === 0
            ? el("th", { scope: "row", "data-path": c.path }, text)
            : el("td", { className: numeric ? "num" : null, "data-path": c.path }, text);
        }),
      ),
    );
    const empty = el("tr", {}, el("td", { colspan: columns.length, className: "empty" }, table.dataset.empty));
    table.tBodies[0].replaceChildren(...(rows.length ? rows : [empty]));
  }

  // ---------- charts ----------

  const charts = {};

  function axis(kind, extra) {
    const callback = (value) => format(value, kind);
    const precision = kind === "count" ? 0 : undefined; // no half conversations on the axis
    return { beginAtZero: true, ticks: { callback, precision, maxTicksLimit: 6 }, ...extra };
  }

  function draw(id, type, labels, datasets, scales) {
    const canvas = document.querySelector(`canvas[data-chart="${id}"]`);
    if (!canvas || !window.Chart) return;
    if (charts[id]) charts[id].destroy();
    const kinds = Object.fromEntries(datasets.map((d) => [d.label, d.kind]));
    charts[id] = new window.Chart(canvas, {
      type,
      data: { labels, datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        spanGaps: true,
        scales,
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12 } },
          tooltip: {
            callbacks: { label: (ctx) => `${ctx.dataset.label}: ${format(ctx.raw, kinds[ctx.dataset.label])}` },
          },
        },
      },
    });
  }

  function line(label, data, kind, colour, extra) {
    return { type: "line", label, data, kind, borderColor: colour, backgroundColor: colour, pointRadius: 3, ...extra };
  }

  function drawCharts(report) {
    const series = report.series || [];
    const labels = series.map(bucketLabel);
    const each = (path) => series.map((b) => at(b, path));

    draw(
      "volume",
      "bar",
      labels,
      [
        { type: "bar", label: "Conversations", data: each("conversations.count"), kind: "count", yAxisID: "y", backgroundColor: "#bcd0f0", order: 2 },
        line("Containment", each("containment.rate"), "rate", COLOURS[2], { yAxisID: "rate", order: 1 }),
      ],
      {
        y: axis("count", { title: { display: true, text: "Conversations" } }),
        rate: axis("rate", { position: "right", max: 1, grid: { drawOnChartArea: false } }),
      },
    );

    const reasons = Object.keys(at(report, "escalation.by_reason") || {});
    const reasonLabel = (r) => {
      const th = document.querySelector(`table[data-table="reasons"] th[data-path="escalation.by_reason.${r}"]`);
      return th ? th.textContent : r;
    };
    draw(
      "reasons",
      "bar",
      labels,
      reasons.map((r, i) => ({ label: reasonLabel(r), data: each(`escalation.by_reason.${r}`), kind: "count", backgroundColor: COLOURS[i % COLOURS.length] })),
      { x: { stacked: true }, y: axis("count", { stacked: true }) },
    );

    draw(
      "csat",
      "line",
      labels,
      [
        line("Assistant", each("csat.assistant.rate"), "rate", COLOURS[0]),
        line("Agents", each("csat.agents.rate"), "rate", COLOURS[1]),
      ],
      { y: axis("rate", { max: 1 }) },
    );

    const target = at(report, "sla.by_priority.normal.target_seconds");
    const response = [
      line("First response, median", each("agent_first_response.median"), "seconds", COLOURS[0]),
      line("First response, p90", each("agent_first_response.p90"), "seconds", COLOURS[4]),
      line("Time to a person, median", each("time_to_person.median"), "seconds", COLOURS[1]),
    ];
    if (target !== null) {
      response.push(line("Target (normal priority)", series.map(() => target), "seconds", COLOURS[3], { borderDash: [6, 4], pointRadius: 0 }));
    }
    draw("response", "line", labels, response, { y: axis("seconds") });
  }

  // ---------- the period: filters, loading, the failing topics ----------

  const form = $("filters");
  let loads = 0;

  function ensureOption(select, value, label) {
    if (!value) return;
    const existing = [...select.options].find((o) => o.value === value);
    if (existing) {
      if (label && existing.textContent !== label) existing.textContent = label;
      return;
    }
    select.append(el("option", { value }, label || value));
  }

  function query() {
    const q = new URLSearchParams();
    const preset = form.elements.preset.value;
    if (preset === "custom") {
      if (form.elements.from.value) q.set("from", form.elements.from.value);
      if (form.elements.to.value) q.set("to", form.elements.to.value);
    } else if (TODAY) {
      q.set("from", addDays(TODAY, 1 - Number(preset)));
      q.set("to", TODAY);
    }
    for (const name of ["topic", "agent", "group"]) {
      if (form.elements[name].value) q.set(name, form.elements[name].value);
    }
    return q;
  }

  function restore() {
    const q = new URLSearchParams(window.location.search);
    const preset = q.get("preset") || (q.has("from") || q.has("to") ? "custom" : "7");
    const radio = form.querySelector(`input[name="preset"][value="${CSS.escape(preset)}"]`);
    if (radio) radio.checked = true;
    form.elements.from.value = q.get("from") || "";
    form.elements.to.value = q.get("to") || "";
    ensureOption(form.elements.topic, q.get("topic"));
    ensureOption(form.elements.agent, q.get("agent"));
    form.elements.topic.value = q.get("topic") || "";
    form.elements.agent.value = q.get("agent") || "";
    form.elements.group.value = q.get("group") === "week" ? "week" : "day";
  }

  function remember(q) {
    const shown = new URLSearchParams(q);
    const preset = form.elements.preset.value;
    if (shown.get("group") === "day") shown.delete("group");
    if (preset !== "custom") {
      shown.delete("from");
      shown.delete("to");
      if (preset !== "7") shown.set("preset", preset);
    }
    const search = shown.toString();
    window.history.replaceState(null, "", search ? `?${search}` : window.location.pathname);
  }

  function fillFilters(report) {
    for (const t of report.topics || []) ensureOption(form.elements.topic, t.topic);
    for (const a of report.agents || []) ensureOption(form.elements.agent, String(a.agent_id), a.name);
    if (form.elements.preset.value !== "custom") {
      form.elements.from.value = report.range.from;
      form.elements.to.value = report.range.to;
    }
  }

  function fillFailing(report) {
    const rated = (report.topics || []).filter((t) => at(t, "containment.rate") !== null);
    rated.sort((a, b) => a.containment.rate - b.containment.rate || b.conversations - a.conversations);
    const items = rated.slice(0, FAILING_SHOWN).map((t) =>
      el(
        "li",
        { "data-testid": "failing-topic" },
        el("strong", {}, t.topic),
        `: containment ${format(t.containment.rate, "rate")} of ${format(t.conversations, "count")} conversations, `,
        `escalation ${format(at(t, "escalation.rate"), "rate")}, CSAT ${format(at(t, "csat.rate"), "rate")}`,
      ),
    );
    $("failing").replaceChildren(...(items.length ? items : [el("li", { className: "empty" }, "No topics in this period.")]));
  }

  function status(report) {
    const { range, filters } = report;
    const parts = [`${range.from} to ${range.to} (${range.timezone}), by ${range.group}`];
    if (filters.topic) parts.push(`topic ${filters.topic}`);
    if (filters.agent !== null && filters.agent !== undefined) {
      const option = [...form.elements.agent.options].find((o) => o.value === String(filters.agent));
      parts.push(`agent ${option ? option.textContent : filters.agent}`);
    }
    return `Showing ${parts.join(", ")}.`;
  }

  async function load() {
    const mine = ++loads;
    const q = query();
    remember(q);
    $("status").textContent = "Loading…";
    try {
      const report = await api("GET", `/api/kpis?${q}`);
      if (mine !== loads) return; // a newer request was sent meanwhile
      $("error").hidden = true;
      fillFilters(report);
      fillTiles(document.querySelector('[data-testid="tiles"]'), report);
      for (const table of document.querySelectorAll('table[data-source="kpis"]')) fillTable(table, report);
      fillFailing(report);
      drawCharts(report);
      const csvQuery = new URLSearchParams(q);
      csvQuery.set("from", report.range.from);
      csvQuery.set("to", report.range.to);
      for (const link of document.querySelectorAll("a[data-csv]")) {
        if (!link.dataset.csv.startsWith("floor-")) link.href = `/manager/export/${link.dataset.csv}.csv?${csvQuery}`;
      }
      $("status").textContent = status(report);
      document.body.dataset.loaded = report.generated_at;
    } catch (error) {
      if (mine !== loads) return;
      $("status").textContent = "";
      $("error").textContent = error.message;
      $("error").hidden = false;
    }
  }

  function presetChanged() {
    const custom = form.elements.preset.value === "custom";
    $("custom-dates").hidden = !custom;
    if (!custom) load();
  }

  // ---------- the live floor ----------

  let floorTimer = null;

  async function refreshFloor() {
    clearTimeout(floorTimer);
    const floor = $("floor-at").closest("section");
    try {
      const now = await api("GET", "/api/floor");
      $("floor-error").hidden = true;
      fillTiles(floor, now);
      fillTable(floor.querySelector('table[data-table="floor-agents"]'), now);
      fillTable(floor.querySelector('table[data-table="floor-queue"]'), now, (row) => ({
        className: row.breached ? "breached" : row.at_risk ? "at-risk" : null,
      }));
      $("floor-at").textContent = `Updated ${new Date(now.at).toLocaleTimeString("en-GB")}.`;
    } catch (error) {
      $("floor-error").textContent = `The live floor could not be refreshed: ${error.message}`;
      $("floor-error").hidden = false;
    } finally {
      if (!document.hidden) floorTimer = setTimeout(refreshFloor, FLOOR_MS);
    }
  }

  // ---------- start ----------

  function start() {
    if (!window.Chart) {
      for (const box of document.querySelectorAll(".chart-box")) {
        box.replaceChildren(el("p", { className: "hint" }, "The charts could not be loaded; the tables below hold the figures."));
      }
    }
    restore();
    $("custom-dates").hidden = form.elements.preset.value !== "custom";
    for (const radio of form.elements.preset) radio.addEventListener("change", presetChanged);
    for (const name of ["topic", "agent", "group"]) form.elements[name].addEventListener("change", load);
    for (const name of ["from", "to"]) {
      form.elements[name].addEventListener("change", () => {
        if (form.elements.from.value && form.elements.to.value) load();
      });
    }
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      load();
    });
    document.addEventListener("visibilitychange", () => {
      if (document.hidden) clearTimeout(floorTimer);
      else refreshFloor();
    });
    load();
    refreshFloor();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
