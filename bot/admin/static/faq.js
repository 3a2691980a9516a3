/* FAQ answers, then the assistant's own replies (greeting, goodbye, fallback, ...): zh and en
 * side by side, the text customers get (placeholders filled with the shop's policies) under
 * each, save with the server's checks shown next to the field. */
"use strict";

Admin.page("faq", async (main) => {
  const h = Admin.h;
  const loaded = await Admin.api("GET", "/api/admin/faq");
  if (!loaded.ok) {
    Admin.notice(main, "error", loaded.data.error);
    return;
  }
  const values = loaded.data.placeholders;
  const editable = Admin.can("edit");

  function render(text) {
    return text.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name) =>
      Object.prototype.hasOwnProperty.call(values, name) ? values[name] : whole,
    );
  }

  // kind: "faq" (PUT /api/admin/faq/<key>) or "reply" (PUT /api/admin/responses/<name>)
  function card(key, entry, kind) {
    const path = kind === "faq" ? "/api/admin/faq/" : "/api/admin/responses/";
    const boxes = {};
    const previews = {};
    const columns = ["zh", "en"].map((lang) => {
      const id = kind + "-" + key + "-" + lang;
      boxes[lang] = h("textarea", {
        id,
        "data-field": lang,
        "data-lang": lang,
        readonly: !editable,
        value: entry[lang],
      });
      previews[lang] = h("div", {
        class: "preview",
        "data-preview": lang,
        "aria-label": Admin.t("faq.preview"),
        text: render(entry[lang]),
      });
      boxes[lang].addEventListener("input", () => {
        previews[lang].textContent = render(boxes[lang].value);
      });
      return h(
        "div",
        {},
        h("label", { for: id, text: Admin.t("lang." + lang) }),
        boxes[lang],
        h("div", { class: "muted", text: Admin.t("faq.preview") }),
        previews[lang],
      );
    });
    const status = h("div", { class: "status" });
    const save = h("button", {
      type: "button",
      class: "save",
      text: Admin.t("save"),
      hidden: !editable,
      onclick: async () => {
        Admin.clearErrors(section);
        Admin.notice(status, "ok", "");
        save.disabled = true;
        const result = await Admin.api("PUT", path + encodeURIComponent(key), {
          zh: boxes.zh.value,
          en: boxes.en.value,
        });
        save.disabled = false;
        if (!result.ok) {
          Admin.showErrors(section, result.data, status);
          return;
        }
        for (const lang of ["zh", "en"]) {
          previews[lang].textContent = kind === "faq" ? result.data.rendered[lang] : render(result.data[lang]);
        }
        Admin.notice(status, "ok", result.data.changed ? Admin.t("saved") : Admin.t("unchanged"));
      },
    });
    const section = h(
      "section",
      { class: "card", id: kind + "-" + key, "data-key": key },
      h("h2", { text: key }),
      h("div", { class: "cols" }, columns),
      h("div", { class: "row" }, save),
      status,
    );
    return section;
  }

  const help = Object.entries(values).map(([name, value]) => "{" + name + "} = " + value).join(" · ");
  main.replaceChildren(
    h("h1", { text: Admin.t("nav.faq") }),
    h("p", { class: "muted", text: Admin.t("faq.placeholders") + " " + help }),
    editable ? "" : h("p", { class: "notice error", text: Admin.t("read_only") }),
    ...Object.keys(loaded.data.faq)
      .sort()
      .map((key) => card(key, loaded.data.faq[key], "faq")),
  );
  const replies = await Admin.api("GET", "/api/admin/responses");
  if (!replies.ok) {
    main.append(h("p", { class: "notice error", text: replies.data.error }));
    return;
  }
  main.append(
    h("h2", { id: "replies", text: Admin.t("faq.replies") }),
    h("p", { class: "muted", text: Admin.t("faq.replies_help") }),
    ...Object.keys(replies.data.responses)
      .sort()
      .map((name) => card(name, replies.data.responses[name], "reply")),
  );
});
