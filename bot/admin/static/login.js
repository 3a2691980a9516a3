/* Login: name and password -> POST /api/admin/login; the CSRF token stays in this tab's
 * sessionStorage, the session is an HttpOnly cookie. */
"use strict";

Admin.page("login", async (main) => {
  const h = Admin.h;
  document.title = Admin.t("login.title") + " · " + Admin.t("title");
  const name = h("input", { type: "text", id: "name", autocomplete: "username", required: true, "data-field": "name" });
  const password = h("input", {
    type: "password",
    id: "password",
    autocomplete: "current-password",
    required: true,
    "data-field": "password",
  });
  const status = h("div", { id: "status" });
  const form = h(
    "form",
    { class: "card login", id: "login-form", novalidate: true },
    h("h1", { text: Admin.t("title") }),
    h("label", { for: "name", text: Admin.t("login.name") }),
    name,
    h("label", { for: "password", text: Admin.t("login.password") }),
    password,
    h("div", { class: "row" }, h("button", { type: "submit", id: "login", text: Admin.t("login.submit") })),
    status,
    h("p", { class: "muted", text: Admin.t("login.first_account") }),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    Admin.clearErrors(form);
    const result = await Admin.api("POST", "/api/admin/login", { name: name.value, password: password.value });
    if (!result.ok) {
      Admin.showErrors(form, result.data, status);
      return;
    }
    sessionStorage.setItem("adminCsrf", result.data.csrf_token);
    location.assign("faq.html");
  });
  main.replaceChildren(form);
  name.focus();
});
