/* NLU examples per intent: zh and en lists side by side, add, remove, save; and "how would the
 * running model read this?" through POST /api/admin/nlu/preview. */
"use strict";

Admin.page("nlu", async (main) => {
  const h = Admin.h;
  const editable = Admin.can("edit");
  const listing = await Admin.api("GET", "/api/admin/nlu");
  if (!listing.ok) {
    Admin.notice(main, "error", listing.data.error);
    return;
  }
  const intents = listing.data.intents;
  const picker = h("select", { id: "intent", "aria-label": Admin.t("nlu.intent") });
  for (const item of intents) {
    picker.append(
      h("option", {
        value: item.intent,
        text: Admin.t("nlu.option", { intent: item.intent, zh: item.examples.zh, en: item.examples.en }),
      }),
    );
  }
  const editor = h("div", { id: "examples" });

  // --- preview -------------------------------------------------------------------------------
  const phrase = h("input", { type: "text", id: "preview-text", "data-field": "text", maxlength: 300 });
  const reading = h("div", { id: "preview-result" });
  const previewForm = h(
    "form",
    { class: "card", id: "preview-form" },
    h("h2", { text: Admin.t("nlu.preview") }),
    h("label", { for: "preview-text", text: Admin.t("nlu.preview_text") }),
    phrase,
    h("div", { class: "row" }, h("button", { type: "submit", id: "preview", text: Admin.t("nlu.read") })),
    reading,
  );
  previewForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    Admin.clearErrors(previewForm);
    reading.replaceChildren();
    const result = await Admin.api("POST", "/api/admin/nlu/preview", { text: phrase.value });
    if (!result.ok) {
      Admin.showErrors(previewForm, result.data, reading);
      return;
    }
    const data = result.data;
    reading.replaceChildren(
      h("p", {
        id: "preview-intent",
        text: Admin.t("nlu.reads_as", { intent: data.intent || "-", confidence: (data.confidence * 100).toFixed(1) }),
      }),
      data.faq ? h("p", { text: Admin.t("nlu.faq_key", { key: data.faq.key }) }) : "",
      h(
        "ol",
        { class: "list", id: "preview-ranking" },
        data.ranking.map((item) =>
          h(
            "li",
            {},
            h("span", { text: item.name + " " + (item.confidence * 100).toFixed(1) + "%" }),
            h("div", { class: "bar", style: null, "data-width": item.confidence }),
          ),
        ),
      ),
      h(
        "p",
        { id: "preview-entities" },
        data.entities.length
          ? Admin.t("nlu.entities") + " " + data.entities.map((e) => e.entity + "=" + e.value).join(", ")
          : Admin.t("nlu.no_entities"),
      ),
    );
    // Widths set through the CSSOM (no inline style attributes under the CSP).
    reading.querySelectorAll(".bar").forEach((bar) => {
      bar.style.width = Math.round(Number(bar.dataset.width) * 100) + "%";
    });
  });

  // --- examples ------------------------------------------------------------------------------
  async function open(intent) {
    editor.replaceChildren(h("p", { class: "muted", text: Admin.t("loading") }));
    const found = await Admin.api("GET", "/api/admin/nlu/" + Admin.segment(intent));
    if (!found.ok) {
      Admin.notice(editor, "error", found.data.error);
      return;
    }
    const examples = { zh: [...found.data.examples.zh], en: [...found.data.examples.en] };
    const status = h("div", { class: "status" });
    const lists = {};

    const headings = {};

    function draw(lang) {
      if (headings[lang]) headings[lang].textContent = Admin.t("lang." + lang) + " (" + examples[lang].length + ")";
      lists[lang].replaceChildren(
        ...examples[lang].map((text, index) =>
          h(
            "li",
            { "data-field": "examples." + lang + "[" + index + "]" },
            h("span", { class: "example", text }),
            editable
              ? h("button", {
                  type: "button",
                  class: "secondary remove",
                  "aria-label": Admin.t("remove") + " " + text,
                  text: "×",
                  onclick: () => {
                    examples[lang].splice(index, 1);
                    draw(lang);
                  },
                })
              : "",
          ),
        ),
      );
    }

    const columns = ["zh", "en"].map((lang) => {
      lists[lang] = h("ul", { class: "list", id: "examples-" + lang, "data-field": "examples." + lang });
      const input = h("input", { type: "text", id: "add-" + lang, maxlength: 300 });
      const add = h("button", {
        type: "button",
        class: "secondary",
        id: "add-" + lang + "-button",
        text: Admin.t("add"),
        onclick: () => {
          const text = input.value.trim();
          if (!text) return;
          examples[lang].push(text);
          input.value = "";
          draw(lang);
        },
      });
      input.addEventListener("keydown", (event) => {
        if (event.key === "Enter") {
          event.preventDefault();
          add.click();
        }
      });
      headings[lang] = h("h2", { id: "count-" + lang });
      draw(lang);
      return h(
        "div",
        {},
        headings[lang],
        lists[lang],
        editable ? h("div", { class: "row" }, input, add) : "",
      );
    });
    const save = h("button", {
      type: "button",
      id: "save-examples",
      text: Admin.t("save"),
      hidden: !editable,
      onclick: async () => {
        Admin.clearErrors(editor);
        Admin.notice(status, "ok", "");
        const result = await Admin.api("PUT", "/api/admin/nlu/" + Admin.segment(intent), { examples });
        if (!result.ok) {
          Admin.showErrors(editor, result.data, status);
          return;
        }
        examples.zh = [...result.data.examples.zh];
        examples.en = [...result.data.examples.en];
        draw("zh");
        draw("en");
        Admin.notice(status, "ok", result.data.changed ? Admin.t("saved_next_training") : Admin.t("unchanged"));
      },
    });
    editor.replaceChildren(
      h("section", { class: "card" }, h("h2", { text: intent }), h("div", { class: "cols" }, columns), h("div", { class: "row" }, save), status),
    );
  }

  picker.addEventListener("change", () => open(picker.value));
  main.replaceChildren(
    h("h1", { text: Admin.t("nav.nlu") }),
    previewForm,
    h("div", { class: "card" }, h("label", { for: "intent", text: Admin.t("nlu.intent") }), picker),
    editor,
  );
  if (intents.length) await open(intents[0].intent);
});
