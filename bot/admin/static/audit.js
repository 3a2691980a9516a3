/* The audit log: every saved change with who, when, before and after. */
"use strict";

Admin.page("audit", async (main) => {
  const h = Admin.h;
  const kinds = ["", "faq", "nlu", "rule", "story", "policy", "model"];
  const picker = h(
    "select",
    { id: "audit-kind", "aria-label": Admin.t("audit.kind") },
    kinds.map((kind) => h("option", { value: kind, text: kind ? kind : Admin.t("audit.all") })),
  );
  const table = h("div", { class: "table-wrap", id: "audit" });

  function json(value) {
    return h("pre", { class: "diff", text: JSON.stringify(value, null, 2) });
  }

  async function load() {
    const query = picker.value ? "?kind=" + encodeURIComponent(picker.value) : "";
    const found = await Admin.api("GET", "/api/admin/audit" + query);
    if (!found.ok) {
      Admin.notice(table, "error", found.data.error);
      return;
    }
    const rows = found.data.changes;
    table.replaceChildren(
      rows.length
        ? h(
            "table",
            {},
            h(
              "thead",
              {},
              h("tr", {}, ["when", "who", "kind", "name", "change"].map((c) => h("th", { text: Admin.t("audit." + c) }))),
            ),
            h(
              "tbody",
              {},
              rows.map((row) =>
                h(
                  "tr",
                  { "data-kind": row.kind },
                  h("td", { text: new Date(row.created_at).toLocaleString() }),
                  h("td", { text: row.author }),
                  h("td", { text: row.kind }),
                  h("td", { text: row.name }),
                  h(
                    "td",
                    {},
                    h(
                      "details",
                      {},
                      h("summary", { text: Admin.t("audit.show") }),
                      h("div", { class: "muted", text: Admin.t("audit.before") }),
                      json(row.before),
                      h("div", { class: "muted", text: Admin.t("audit.after") }),
                      json(row.after),
                    ),
                  ),
                ),
              ),
            ),
          )
        : h("p", { class: "muted", text: Admin.t("audit.empty") }),
    );
  }

  picker.addEventListener("change", load);
  main.replaceChildren(
    h("h1", { text: Admin.t("nav.audit") }),
    h("div", { class: "card" }, h("label", { for: "audit-kind", text: Admin.t("audit.kind") }), picker),
    table,
  );
  await load();
});
