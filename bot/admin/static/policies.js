/* Shop policies the FAQ answers quote: saved over config.yml, the FAQ answers re-rendered at
 * once (customers get them with the next training). */
"use strict";

Admin.page("policies", async (main) => {
  const h = Admin.h;
  const editable = Admin.can("edit");
  const loaded = await Admin.api("GET", "/api/admin/policies");
  if (!loaded.ok) {
    Admin.notice(main, "error", loaded.data.error);
    return;
  }
  const inputs = {};
  const status = h("div", { id: "policy-status" });
  const fields = Object.entries(loaded.data.policies).map(([name, policy]) => {
    const numeric = "min" in policy;
    inputs[name] = h("input", {
      type: numeric ? "number" : "text",
      id: "policy-" + name,
      "data-field": name,
      min: numeric ? policy.min : null,
      max: numeric ? policy.max : null,
      step: numeric ? 1 : null,
      readonly: !editable,
      value: String(policy.value),
    });
    return h(
      "div",
      {},
      h("label", { for: "policy-" + name, text: Admin.t("policy." + name) }),
      inputs[name],
      h("div", {
        class: "muted",
        text:
          Admin.t(policy.saved ? "policies.saved_here" : "policies.from_config", { key: policy.config_key }) +
          (numeric ? " · " + Admin.t("policies.range", { min: policy.min, max: policy.max }) : ""),
      }),
    );
  });
  const form = h(
    "form",
    { class: "card", id: "policy-form", novalidate: true },
    h("div", { class: "cols" }, fields),
    h("div", { class: "row" }, h("button", { type: "submit", id: "save-policies", text: Admin.t("save"), hidden: !editable })),
    status,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    Admin.clearErrors(form);
    Admin.notice(status, "ok", "");
    const body = {};
    for (const [name, policy] of Object.entries(loaded.data.policies)) {
      const raw = inputs[name].value.trim();
      const value = "min" in policy && /^-?\d+$/.test(raw) ? Number(raw) : raw;
      if (value !== policy.value) body[name] = value;
    }
    if (!Object.keys(body).length) {
      Admin.notice(status, "ok", Admin.t("unchanged"));
      return;
    }
    const result = await Admin.api("PUT", "/api/admin/policies", body);
    if (!result.ok) {
      Admin.showErrors(form, result.data, status);
      return;
    }
    loaded.data.policies = result.data.policies;
    const keys = result.data.faq_rendered;
    Admin.notice(
      status,
      "ok",
      Admin.t("policies.saved", { keys: keys.length ? keys.join(", ") : "-" }),
    );
  });
  main.replaceChildren(
    h("h1", { text: Admin.t("nav.policies") }),
    h("p", { class: "muted", text: Admin.t("policies.intro") }),
    form,
  );
});
