/* The admin pages' shell: labels, the JSON API with the session's CSRF token, the nav, roles.
 *
 * Adding a page: <page>.html (copy one, change data-page and its script) and <page>.js calling
 * Admin.page("<page>", async (main, me) => { ... }), plus one entry in NAV below and its label
 * admin.nav.<page> in bot/i18n/admin.py. Everything shown is built with Admin.h (textContent);
 * markup is never parsed from strings. */
"use strict";

(function () {
  // page -> the permission a role needs to see it in the nav ("read": every role)
  const NAV = [
    { page: "faq", permission: "read" },
    { page: "nlu", permission: "read" },
    { page: "steps", permission: "read" },
    { page: "policies", permission: "read" },
    { page: "model", permission: "read" },
    { page: "audit", permission: "read" },
    { page: "review", permission: "read" },
    // its own page with its own layout (bot/admin/dashboard_routes.py)
    { page: "dashboard", permission: "read", href: "/admin/dashboard" },
  ];
  // permission -> roles (as bot/studio/accounts.py PERMISSIONS; the server decides anyway)
  const PERMISSIONS = {
    read: ["editor", "reviewer", "owner"],
    edit: ["editor", "owner"],
    review: ["reviewer", "owner"],
    deploy: ["owner"],
  };

  const Admin = { NAV, texts: {}, me: null };

  Admin.lang = (function () {
    const saved = localStorage.getItem("adminLang");
    if (saved === "zh" || saved === "en") return saved;
    return (navigator.language || "").toLowerCase().startsWith("zh") ? "zh" : "en";
  })();

  /** A label in the page's language; {name} placeholders filled from values. */
  Admin.t = function (key, values) {
    let text = Admin.texts[key];
    if (text === undefined) text = key;
    for (const [name, value] of Object.entries(values || {})) {
      text = text.split("{" + name + "}").join(String(value));
    }
    return text;
  };

  /** The label ``key`` if there is one, else ``raw`` (a word the server sent). */
  Admin.label = function (key, raw) {
    return Admin.texts[key] === undefined ? raw : Admin.texts[key];
  };

  /** An element: attrs (class, text, on* handlers, other attributes), children (nodes or
   * strings, added as text). */
  Admin.h = function (tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "text") el.textContent = String(value);
      else if (name === "class") el.className = value;
      else if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
      else if (name === "value") el.value = value;
      else el.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  };

  Admin.can = function (permission) {
    return Boolean(Admin.me && (PERMISSIONS[permission] || []).includes(Admin.me.role));
  };

  Admin.csrf = function () {
    return sessionStorage.getItem("adminCsrf") || "";
  };

  Admin.toLogin = function () {
    sessionStorage.removeItem("adminCsrf");
    location.assign("login.html");
  };

  /** Call the JSON API; {ok, status, data}. A 401 goes back to the login page. */
  Admin.api = async function (method, path, body) {
    const headers = { Accept: "application/json" };
    const init = { method, headers, credentials: "same-origin", cache: "no-store" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    if (method !== "GET") headers["X-CSRF-Token"] = Admin.csrf();
    let response;
    try {
      response = await fetch(path, init);
    } catch (err) {
      return { ok: false, status: 0, data: { error: Admin.t("network") } };
    }
    let data = {};
    try {
      data = await response.json();
    } catch (err) {
      data = { error: Admin.t("bad_answer", { status: response.status }) };
    }
    if (response.status === 401 && !path.endsWith("/login")) {
      Admin.toLogin();
    }
    return { ok: response.ok, status: response.status, data };
  };

  /** A path segment (an intent like faq/x keeps its slash). */
  Admin.segment = function (name) {
    return name.split("/").map(encodeURIComponent).join("/");
  };

  /** A notice box under parent: kind "ok" or "error". */
  Admin.notice = function (box, kind, text) {
    box.replaceChildren(text ? Admin.h("div", { class: "notice " + kind, role: "status", text }) : "");
  };

  /** Show the server's {"errors": [{field, error}]} (or {"field", "error"}) next to the
   * inputs whose data-field names them; the rest in `fallback`. */
  Admin.showErrors = function (root, data, fallback) {
    root.querySelectorAll(".field-error").forEach((el) => el.remove());
    const errors = data.errors || [{ field: data.field || "", error: data.error || "" }];
    const rest = [];
    for (const problem of errors) {
      const target = problem.field
        ? root.querySelector('[data-field="' + CSS.escape(problem.field) + '"]')
        : null;
      const line = problem.line ? Admin.t("line", { line: problem.line }) + " " : "";
      const text = line + (problem.field ? problem.field + ": " : "") + problem.error;
      if (target) {
        target.after(Admin.h("div", { class: "field-error", role: "alert", text: problem.error }));
      } else {
        rest.push(text);
      }
    }
    if (fallback) {
      fallback.replaceChildren(
        ...rest.map((text) => Admin.h("div", { class: "notice error field-error", role: "alert", text })),
      );
    }
  };

  Admin.clearErrors = function (root) {
    root.querySelectorAll(".field-error").forEach((el) => el.remove());
  };

  async function loadTexts() {
    const response = await fetch("texts.json", { credentials: "same-origin" });
    const all = await response.json();
    Admin.texts = all[Admin.lang] || all.en;
    document.documentElement.lang = Admin.lang === "zh" ? "zh-CN" : "en";
  }

  function shell(page) {
    const h = Admin.h;
    const other = Admin.lang === "zh" ? "en" : "zh";
    const top = h(
      "div",
      { class: "topbar" },
      h("span", { class: "brand", text: Admin.t("title") }),
      h("span", {
        class: "who",
        id: "who",
        text: Admin.t("signed_in", { name: Admin.me.name, role: Admin.t("role." + Admin.me.role) }),
      }),
      h("button", {
        class: "secondary",
        id: "lang",
        type: "button",
        text: Admin.t("switch_language"),
        onclick: () => {
          localStorage.setItem("adminLang", other);
          location.reload();
        },
      }),
      h("button", {
        class: "secondary",
        id: "logout",
        type: "button",
        text: Admin.t("logout"),
        onclick: async () => {
          await Admin.api("POST", "/api/admin/logout");
          Admin.toLogin();
        },
      }),
    );
    const nav = h(
      "nav",
      { class: "nav", "aria-label": Admin.t("menu") },
      NAV.filter((item) => Admin.can(item.permission)).map((item) =>
        h("a", {
          href: item.href || item.page + ".html",
          class: item.page === page ? "current" : null,
          "aria-current": item.page === page ? "page" : null,
          "data-page": item.page,
          text: Admin.t("nav." + item.page),
        }),
      ),
    );
    document.getElementById("shell").replaceChildren(top, nav);
    document.title = Admin.t("nav." + page) + " · " + Admin.t("title");
  }

  /** Start a page: labels, who is logged in (else the login page), the nav, then render. */
  Admin.page = function (page, render) {
    document.addEventListener("DOMContentLoaded", async () => {
      await loadTexts();
      if (page === "login") {
        await render(document.getElementById("main"), null);
        return;
      }
      if (!Admin.csrf()) {
        Admin.toLogin(); // a new tab: the CSRF token is kept per tab, log in again
        return;
      }
      const who = await Admin.api("GET", "/api/admin/me");
      if (!who.ok) {
        if (who.status !== 401) Admin.notice(document.getElementById("main"), "error", who.data.error);
        return;
      }
      Admin.me = who.data;
      shell(page);
      await render(document.getElementById("main"), Admin.me);
    });
  };

  window.Admin = Admin;
})();
