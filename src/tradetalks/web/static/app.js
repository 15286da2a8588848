// Shared by every dashboard page: calls to the API with the user's token, error display, small DOM helpers.
// The token: `?token=...` in a page's address (as `tradetalks serve` prints it) is kept in this tab's
// sessionStorage and removed from the address bar; a token given for one scenario or room (on creation) is kept
// under its id. Every API call sends the most specific token it has as `Authorization: Bearer ...`.
"use strict";
const tt = (() => {
  const KEY = "tradetalks.token";
  const url = new URL(window.location.href);
  if (url.searchParams.has("token")) {
    sessionStorage.setItem(KEY, url.searchParams.get("token"));
    url.searchParams.delete("token");
    history.replaceState(null, "", url.pathname + url.search + url.hash);
  }

  /** The token for `scope` ("scenario:ID", "room:ID") if one was kept, else the tab's token, else null. */
  function token(scope) {
    return (scope && sessionStorage.getItem(`${KEY}.${scope}`)) || sessionStorage.getItem(KEY);
  }

  /** Keep `value` as the token for `scope` (or the tab's token when scope is null). */
  function keepToken(scope, value) {
    sessionStorage.setItem(scope ? `${KEY}.${scope}` : KEY, value);
  }

  /** An API error: the envelope's message, fix and problems (each {path, line, message, fix}). */
  class ApiError extends Error {
    constructor(status, body) {
      const e = (body && body.error) || {};
      super(e.message || `HTTP ${status}`);
      this.status = status;
      this.code = e.code;
      this.fix = e.fix;
      this.problems = e.problems || [];
    }
  }

  /** Call the API; JSON in and out (a string body is sent as YAML text). Throws ApiError on failure. */
  async function api(method, path, body, {scope = null, signal} = {}) {
    const headers = {Accept: "application/json"};
    const t = token(scope);
    if (t) headers.Authorization = `Bearer ${t}`;
    let payload;
    if (typeof body === "string") {
      headers["Content-Type"] = "application/yaml";
      payload = body;
    } else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    const res = await fetch(path, {method, headers, body: payload, signal});
    if (res.status === 204) return null;
    const data = await res.json().catch(() => null);
    if (!res.ok) throw new ApiError(res.status, data);
    return data;
  }

  /** A new element: el("a", {href: "/"}, "text", child, ...). Attributes starting with "on" are listeners. */
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
    return node;
  }

  /** Show `message` in the page's alert area (announced by screen readers). */
  function toast(message) {
    const box = document.getElementById("toast");
    box.textContent = message;
    box.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { box.hidden = true; }, 8000);
  }

  /** Money in $bn/yr with sign, as the report writes it. */
  function bn(x, digits = 2) {
    if (x === null || x === undefined || Number.isNaN(x)) return "–";
    const s = Math.abs(x).toFixed(digits);
    return `${x < 0 ? "−" : "+"}$${s}bn/yr`;
  }

  document.addEventListener("DOMContentLoaded", () => {
    const state = document.getElementById("token-state");
    if (state) state.textContent = token(null) ? "signed in with a token" : "no token: read-only where published";
  });

  return {api, el, toast, bn, token, keepToken, ApiError};
})();
