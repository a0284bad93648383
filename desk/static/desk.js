// Kestrel desk — what the staff pages share (loaded before each page's own script):
// `el`, which builds DOM nodes with text children only (never HTML), and `api`, the JSON client
// that sends the console header and goes to the sign-in page when the session has ended.
"use strict";

window.KestrelDesk = (() => {
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "className") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child !== null && child !== undefined && child !== false) node.append(child);
    }
    return node;
  }

  class ApiError extends Error {
    constructor(message, status, error) {
      super(message);
      this.status = status;
      this.error = error || {};
    }
  }

  async function api(method, path, body) {
    const init = {
      method,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-Requested-With": "kestrel-console" },
    };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch {
      throw new ApiError("The desk cannot be reached: check the connection", 0);
    }
    if (response.status === 401) {
      window.location.assign("/console/login");
      throw new ApiError("Signed out", 401);
    }
    if (response.status === 204) return null;
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = data.error || {};
      throw new ApiError(error.message || `The desk answered ${response.status}`, response.status, error);
    }
    return data;
  }

  return { el, api, ApiError };
})();
