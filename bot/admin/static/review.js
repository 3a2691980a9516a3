/* The review queue: turns where the assistant failed (PII already redacted by the server).
 * A reviewer labels the intent (the phrase joins its training examples for the next
 * training), marks it out of scope, or dismisses it. A "paraphrase" item (a phrasing the large
 * model proposed for an intent with few examples) is accepted into that intent or rejected. */
"use strict";

Admin.page("review", async (main) => {
  const h = Admin.h;
  const kinds = ["", "nlu_fallback", "low_confidence", "fallback", "not_helpful", "handoff", "low_rating", "paraphrase"];
  const statuses = ["open", "labelled", "dismissed", ""];
  const PAGE = 50;
  let offset = 0;
  let intents = [];

  const kindPicker = h(
    "select",
    { id: "review-kind" },
    kinds.map((kind) => h("option", { value: kind, text: kind ? Admin.label("review.kind." + kind, kind) : Admin.t("review.all") })),
  );
  const statusPicker = h(
    "select",
    { id: "review-status" },
    statuses.map((status) => h("option", { value: status, text: status ? Admin.label("review.status." + status, status) : Admin.t("review.all") })),
  );
  const list = h("div", { id: "review-items" });
  const pager = h("div", { class: "actions", id: "review-pager" });
  const canLabel = Admin.can("review");

  function when(value) {
    return value ? new Date(value).toLocaleString() : "";
  }

  function decide(item, row, body) {
    return async () => {
      const box = row.querySelector(".review-result");
      Admin.clearErrors(row);
      const done = await Admin.api("POST", "/api/admin/review/" + encodeURIComponent(item.id), body);
      if (!done.ok) {
        Admin.showErrors(row, done.data, box);
        return;
      }
      const closed = (done.data.closed || []).length;
      Admin.notice(
        box,
        "ok",
        Admin.t(done.data.status === "dismissed" ? "review.dismissed" : "review.labelled", {
          label: done.data.label || "",
          closed,
        }),
      );
      row.querySelectorAll("button, select").forEach((el) => (el.disabled = true));
      row.dataset.status = done.data.status;
    };
  }

  function itemRow(item) {
    const row = h("article", { class: "card review-item", "data-id": item.id, "data-status": item.status });
    const meta = [
      Admin.label("review.kind." + item.kind, item.kind),
      item.language,
      item.kind === "paraphrase" ? Admin.t("review.proposed_for", { intent: item.intent || "-" }) : "",
      item.intent && item.kind !== "paraphrase" ? Admin.t("review.predicted", { intent: item.intent, confidence: Number(item.confidence || 0).toFixed(2) }) : "",
      item.count > 1 ? Admin.t("review.count", { count: item.count }) : "",
      when(item.last_seen_at || item.created_at),
    ].filter(Boolean);
    row.append(
      h("p", { class: "review-text", lang: item.language === "zh" ? "zh-CN" : "en", text: item.text }),
      h("p", { class: "muted", text: meta.join(" · ") }),
    );
    if (item.detail && Object.keys(item.detail).length) {
      row.append(h("p", { class: "muted", text: Object.entries(item.detail).map(([k, v]) => k + ": " + v).join(" · ") }));
    }
    if (item.status !== "open") {
      row.append(h("p", { class: "muted", text: Admin.t("review.decided", { status: Admin.label("review.status." + item.status, item.status), label: item.label || "-", reviewer: item.reviewer || "-" }) }));
      return row;
    }
    if (canLabel && item.kind === "paraphrase") {
      row.append(
        h(
          "div",
          { class: "actions" },
          h("button", { type: "button", class: "primary", text: Admin.t("review.accept", { intent: item.intent || "" }), onclick: decide(item, row, { accept: true }) }),
          h("button", { type: "button", text: Admin.t("review.reject"), onclick: decide(item, row, { dismiss: true }) }),
        ),
      );
    } else if (canLabel) {
      const id = "intent-" + item.id;
      const picker = h(
        "select",
        { id, "data-field": "intent" },
        h("option", { value: "", text: Admin.t("review.choose") }),
        intents.map((name) => h("option", { value: name, text: name, selected: name === item.intent })),
      );
      const label = h("button", { type: "button", class: "primary", text: Admin.t("review.label") });
      label.addEventListener("click", () => {
        if (!picker.value) {
          Admin.notice(row.querySelector(".review-result"), "error", Admin.t("review.choose"));
          return;
        }
        decide(item, row, { intent: picker.value })();
      });
      row.append(
        h(
          "div",
          { class: "actions" },
          h("label", { for: id, text: Admin.t("review.intent") }),
          picker,
          label,
          h("button", { type: "button", text: Admin.t("review.out_of_scope"), onclick: decide(item, row, { out_of_scope: true }) }),
          h("button", { type: "button", text: Admin.t("review.dismiss"), onclick: decide(item, row, { dismiss: true }) }),
        ),
      );
    }
    row.append(h("div", { class: "review-result" }));
    return row;
  }

  async function load() {
    const query = new URLSearchParams({ limit: String(PAGE), offset: String(offset) });
    if (kindPicker.value) query.set("kind", kindPicker.value);
    if (statusPicker.value) query.set("status", statusPicker.value);
    const found = await Admin.api("GET", "/api/admin/review?" + query.toString());
    if (!found.ok) {
      Admin.notice(list, "error", found.data.error);
      return;
    }
    const { items, total } = found.data;
    list.replaceChildren(
      ...(items.length ? items.map(itemRow) : [h("p", { class: "muted", text: Admin.t("review.empty") })]),
    );
    pager.replaceChildren(
      h("span", { class: "muted", text: Admin.t("review.range", { from: total ? offset + 1 : 0, to: offset + items.length, total }) }),
      offset > 0 ? h("button", { type: "button", text: Admin.t("review.previous"), onclick: () => { offset = Math.max(0, offset - PAGE); load(); } }) : "",
      offset + items.length < total ? h("button", { type: "button", text: Admin.t("review.next"), onclick: () => { offset += PAGE; load(); } }) : "",
    );
  }

  if (canLabel) {
    const known = await Admin.api("GET", "/api/admin/nlu");
    if (known.ok) intents = known.data.intents.filter((i) => i.in_domain).map((i) => i.intent);
  }
  for (const picker of [kindPicker, statusPicker]) {
    picker.addEventListener("change", () => {
      offset = 0;
      load();
    });
  }
  // The large model proposes phrasings of an intent (POST /api/admin/paraphrase); they are
  // listed as "paraphrase" items to accept or reject. 503 when the model is off.
  let propose = "";
  if (canLabel) {
    const target = h(
      "select",
      { id: "paraphrase-intent", "data-field": "intent" },
      h("option", { value: "", text: Admin.t("review.choose") }),
      intents.map((name) => h("option", { value: name, text: name })),
    );
    const result = h("div", { class: "review-result", id: "paraphrase-result" });
    const button = h("button", { type: "button", text: Admin.t("review.propose") });
    button.addEventListener("click", async () => {
      if (!target.value) {
        Admin.notice(result, "error", Admin.t("review.choose"));
        return;
      }
      button.disabled = true;
      Admin.notice(result, "ok", Admin.t("review.proposing"));
      const done = await Admin.api("POST", "/api/admin/paraphrase", { intent: target.value });
      button.disabled = false;
      if (!done.ok) {
        Admin.notice(result, "error", done.data.error);
        return;
      }
      Admin.notice(result, "ok", Admin.t("review.proposed", { count: done.data.items.length, dropped: done.data.dropped.length }));
      kindPicker.value = "paraphrase";
      statusPicker.value = "open";
      offset = 0;
      await load();
    });
    propose = h(
      "div",
      { class: "card" },
      h("div", { class: "actions" }, h("label", { for: "paraphrase-intent", text: Admin.t("review.propose_for") }), target, button),
      result,
    );
  }
  main.replaceChildren(
    h("h1", { text: Admin.t("nav.review") }),
    h("p", { class: "muted", text: Admin.t("review.intro") }),
    h(
      "div",
      { class: "card actions" },
      h("label", { for: "review-kind", text: Admin.t("review.kind") }),
      kindPicker,
      h("label", { for: "review-status", text: Admin.t("review.status") }),
      statusPicker,
    ),
    propose,
    list,
    pager,
  );
  await load();
});
