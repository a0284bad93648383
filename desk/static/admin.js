// The admin page: staff accounts over /api/staff. Names and emails are shown as text only.
(() => {
  "use strict";
  const HEADERS = { "Content-Type": "application/json", "X-Requested-With": "kestrel-console" };
  const body = document.body;
  const me = Number(body.dataset.me);
  const allRoles = body.dataset.roles.split(",");
  const rows = document.getElementById("staff-rows");
  const status = document.getElementById("admin-status");

  const el = (tag, props = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key === "className") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value);
    }
    for (const child of children) node.append(child);
    return node;
  };

  const say = (text, isError = false) => {
    status.textContent = text;
    status.className = isError ? "alert" : "";
  };

  async function call(method, path, payload) {
    const response = await fetch(path, {
      method,
      headers: HEADERS,
      credentials: "same-origin",
      body: payload === undefined ? undefined : JSON.stringify(payload),
    });
    if (response.status === 401) {
      window.location.assign("/console/login");
      throw new Error("signed out");
    }
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error((data.error && data.error.message) || `error ${response.status}`);
    return data;
  }

  function row(member) {
    const boxes = allRoles.map((role) =>
      el("label", {}, Object.assign(el("input", { type: "checkbox", value: role, "aria-label": `${role} role of ${member.email}` }), { checked: member.roles.includes(role) }), ` ${role}`),
    );
    const password = el("input", { type: "password", minlength: "8", placeholder: "new password", autocomplete: "new-password", "aria-label": `new password for ${member.email}` });
    const self = member.id === me;
    const actions = el(
      "td",
      {},
      el("button", { className: "btn", type: "button", onclick: () => act(`Roles of ${member.email} saved.`, "PATCH", `/api/staff/${member.id}`, { roles: boxes.map((b) => b.firstChild).filter((b) => b.checked).map((b) => b.value) }) }, "Save roles"),
      el("button", { className: "btn", type: "button", "data-testid": `toggle-${member.email}`, ...(self ? { disabled: "" } : {}), onclick: () => act(`${member.email} ${member.disabled ? "enabled" : "disabled and signed out"}.`, "PATCH", `/api/staff/${member.id}`, { disabled: !member.disabled }) }, member.disabled ? "Enable" : "Disable"),
      password,
      el("button", { className: "btn", type: "button", onclick: () => act(`New password set for ${member.email}; their sessions ended.`, "POST", `/api/staff/${member.id}/password`, { password: password.value }) }, "Set password"),
    );
    return el("tr", { "data-email": member.email }, el("td", {}, member.name), el("td", {}, member.email), el("td", {}, ...boxes), el("td", {}, member.disabled ? "disabled" : "active"), actions);
  }

  async function load() {
    const data = await call("GET", "/api/staff");
    rows.replaceChildren(...data.staff.map(row));
  }

  async function act(done, method, path, payload) {
    try {
      await call(method, path, payload);
      say(done);
      await load();
    } catch (e) {
      say(e.message, true);
    }
  }

  document.getElementById("add-staff").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const roles = [...form.querySelectorAll("input[name=roles]:checked")].map((b) => b.value);
    const value = (id) => document.getElementById(id).value;
    const payload = { email: value("new-email"), name: value("new-name"), password: value("new-password"), roles };
    try {
      await call("POST", "/api/staff", payload);
      say(`${payload.email} can now sign in.`);
      form.reset();
      await load();
    } catch (e) {
      say(e.message, true);
    }
  });

  load().catch((e) => say(e.message, true));
})();
