/* Rules and stories: the list, each edited as YAML (the server parses and checks it; errors
 * name the step and its line), new ones. */
"use strict";

Admin.page("steps", async (main) => {
  const h = Admin.h;
  const editable = Admin.can("edit");
  const TEMPLATE = {
    rules: "steps:\n- intent: greet\n- action: utter_greet\n",
    stories: "steps:\n- intent: greet\n- action: utter_greet\n",
  };
  let kind = "rules";
  const tabs = h("div", { class: "pick", role: "tablist" });
  const listBox = h("div", { class: "card", id: "step-list" });
  const editor = h("div", { id: "step-editor" });

  function edit(name, text, isNew) {
    const nameInput = h("input", { type: "text", id: "step-name", "data-field": "name", value: name || "" });
    const yamlBox = h("textarea", {
      class: "code",
      id: "step-yaml",
      "data-field": "yaml",
      spellcheck: "false",
      readonly: !editable,
      value: text,
    });
    const status = h("div", { class: "status", id: "step-status" });
    const save = h("button", {
      type: "button",
      id: "save-step",
      text: Admin.t("save"),
      hidden: !editable,
      onclick: async () => {
        Admin.clearErrors(card);
        Admin.notice(status, "ok", "");
        const target = nameInput.value.trim();
        if (!target) {
          Admin.showErrors(card, { field: "name", error: Admin.t("steps.name_required") }, status);
          return;
        }
        const result = await Admin.api("PUT", "/api/admin/" + kind + "/" + encodeURIComponent(target), {
          yaml: yamlBox.value,
        });
        if (!result.ok) {
          // Errors of a step (steps[2].action) are listed under the box with their line, and
          // the first such line is selected; name and yaml errors sit next to their field.
          const data = result.data;
          const errors = data.errors || [{ field: data.field, error: data.error }];
          Admin.showErrors(card, data, status);
          const first = errors.find((p) => p.line);
          if (first) selectLine(yamlBox, first.line);
          return;
        }
        yamlBox.value = result.data.yaml;
        Admin.notice(status, "ok", result.data.created ? Admin.t("created") : result.data.changed ? Admin.t("saved_next_training") : Admin.t("unchanged"));
        await loadList();
      },
    });
    const card = h(
      "section",
      { class: "card" },
      h("label", { for: "step-name", text: Admin.t("steps.name") }),
      isNew ? nameInput : h("h2", { id: "step-title", text: name }),
      h("label", { for: "step-yaml", text: Admin.t("steps.yaml") }),
      yamlBox,
      h("div", { class: "row" }, save),
      status,
    );
    if (!isNew) nameInput.value = name;
    editor.replaceChildren(card);
  }

  function selectLine(box, line) {
    const lines = box.value.split("\n");
    const start = lines.slice(0, line - 1).join("\n").length + (line > 1 ? 1 : 0);
    box.focus();
    box.setSelectionRange(start, start + (lines[line - 1] || "").length);
  }

  async function open(name) {
    const found = await Admin.api("GET", "/api/admin/" + kind + "/" + encodeURIComponent(name));
    if (!found.ok) {
      Admin.notice(editor, "error", found.data.error);
      return;
    }
    edit(name, found.data.yaml, false);
  }

  async function loadList() {
    const found = await Admin.api("GET", "/api/admin/" + kind);
    if (!found.ok) {
      Admin.notice(listBox, "error", found.data.error);
      return;
    }
    listBox.replaceChildren(
      editable
        ? h("button", {
            type: "button",
            id: "new-step",
            class: "secondary",
            text: Admin.t("steps.new_" + kind),
            onclick: () => edit("", TEMPLATE[kind], true),
          })
        : "",
      h(
        "ul",
        { class: "list", id: "names" },
        found.data[kind].map((item) =>
          h(
            "li",
            {},
            h("a", {
              href: "#",
              "data-name": item.name,
              text: item.name,
              onclick: (event) => {
                event.preventDefault();
                open(item.name);
              },
            }),
            h("span", { class: "muted", text: Admin.t("steps.count", { n: item.steps, file: item.file }) }),
          ),
        ),
      ),
    );
  }

  function drawTabs() {
    tabs.replaceChildren(
      ...["rules", "stories"].map((name) =>
        h("button", {
          type: "button",
          role: "tab",
          id: "tab-" + name,
          class: name === kind ? "current" : null,
          "aria-selected": name === kind ? "true" : "false",
          text: Admin.t("steps." + name),
          onclick: async () => {
            kind = name;
            drawTabs();
            editor.replaceChildren();
            await loadList();
          },
        }),
      ),
    );
  }

  drawTabs();
  main.replaceChildren(h("h1", { text: Admin.t("nav.steps") }), tabs, editor, listBox);
  await loadList();
});
