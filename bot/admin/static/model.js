/* The model: train (owners) with the job's progress, the versions with their diff, rollback. */
"use strict";

Admin.page("model", async (main) => {
  const h = Admin.h;
  const owner = Admin.can("deploy");
  const jobBox = h("div", { class: "card", id: "job", hidden: true });
  const versionsBox = h("div", { class: "card table-wrap", id: "versions" });
  const diffBox = h("div", { id: "diff" });
  const status = h("div", { id: "model-status" });

  function percent(value) {
    return typeof value === "number" ? (value * 100).toFixed(1) + "%" : "-";
  }

  function showJob(job) {
    jobBox.hidden = false;
    const bar = h("progress", { id: "job-progress", max: 100, value: Math.round(job.progress * 100) });
    const metrics = job.metrics || {};
    const refused = metrics.refused_because || [];
    jobBox.replaceChildren(
      h("h2", { text: Admin.t("model.job", { id: job.id }) }),
      h("p", {
        id: "job-status",
        "data-status": job.status,
        text: Admin.label("model.status." + job.status, job.status) + (job.stage ? " · " + Admin.t("model.stage", { stage: Admin.label("model.stages." + job.stage.replace(/ /g, "_"), job.stage) }) : ""),
      }),
      bar,
      job.metrics
        ? h("p", {
            id: "job-metrics",
            text: Admin.t("model.metrics", {
              accuracy: percent(metrics.holdout_accuracy),
              baseline: percent(metrics.baseline_accuracy),
              failed: (metrics.failed_stories || []).length,
              total: metrics.stories_total ?? "-",
            }),
          })
        : "",
      refused.length
        ? h("ul", { id: "job-refused" }, refused.map((reason) => h("li", { class: "field-error", text: reason })))
        : "",
      job.error && !refused.length ? h("p", { class: "notice error", id: "job-error", text: job.error }) : "",
    );
  }

  async function poll(jobId) {
    for (;;) {
      const found = await Admin.api("GET", "/api/admin/model/jobs/" + encodeURIComponent(jobId));
      if (!found.ok) {
        Admin.notice(status, "error", found.data.error);
        return;
      }
      showJob(found.data);
      if (!["queued", "running"].includes(found.data.status)) {
        await loadVersions();
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  async function showDiff(version) {
    const found = await Admin.api("GET", "/api/admin/model/versions/" + encodeURIComponent(version));
    if (!found.ok) {
      Admin.notice(diffBox, "error", found.data.error);
      return;
    }
    const lines = (found.data.diff || "").split("\n");
    diffBox.replaceChildren(
      h(
        "section",
        { class: "card" },
        h("h2", { text: Admin.t("model.diff_of", { version }) }),
        found.data.diff
          ? h(
              "pre",
              { class: "diff", id: "diff-text" },
              lines.map((line) =>
                h("span", {
                  class: line.startsWith("@@")
                    ? "hunk"
                    : line.startsWith("+")
                      ? "add"
                      : line.startsWith("-")
                        ? "del"
                        : null,
                  text: line + "\n",
                }),
              ),
            )
          : h("p", { class: "muted", text: Admin.t("model.no_diff") }),
      ),
    );
  }

  async function loadVersions() {
    const found = await Admin.api("GET", "/api/admin/model");
    if (!found.ok) {
      Admin.notice(versionsBox, "error", found.data.error);
      return null;
    }
    const active = found.data.active;
    versionsBox.replaceChildren(
      h("h2", { text: Admin.t("model.versions") }),
      h("p", { id: "active-version", text: Admin.t("model.active", { version: active ? active.version : "-" }) }),
      h(
        "table",
        {},
        h(
          "thead",
          {},
          h("tr", {}, ["version", "state", "accuracy", "created", ""].map((c) => h("th", { text: c ? Admin.t("model.col." + c) : "" }))),
        ),
        h(
          "tbody",
          {},
          found.data.versions.map((v) =>
            h(
              "tr",
              { "data-version": v.version, "data-status": v.status },
              h("td", { text: v.version }),
              h("td", {}, h("span", { class: "badge " + (v.status === "active" ? "active" : ""), text: Admin.label("model.state." + v.status, v.status) })),
              h("td", { text: percent((v.metrics || {}).holdout_accuracy) }),
              h("td", { text: v.created_at ? new Date(v.created_at).toLocaleString() : "-" }),
              h("td", {}, h("button", { type: "button", class: "secondary diff-button", text: Admin.t("model.diff"), onclick: () => showDiff(v.version) })),
            ),
          ),
        ),
      ),
    );
    return found.data;
  }

  const train = h("button", {
    type: "button",
    id: "train",
    text: Admin.t("model.train"),
    hidden: !owner,
    onclick: async () => {
      Admin.notice(status, "ok", "");
      train.disabled = true;
      const result = await Admin.api("POST", "/api/admin/model/train", {});
      train.disabled = false;
      if (!result.ok) {
        Admin.notice(status, "error", result.data.error);
        if (result.data.job_id) await poll(result.data.job_id);
        return;
      }
      await poll(result.data.job_id);
    },
  });
  const rollback = h("button", {
    type: "button",
    class: "danger",
    id: "rollback",
    text: Admin.t("model.rollback"),
    hidden: !owner,
    onclick: async () => {
      if (!window.confirm(Admin.t("model.rollback_confirm"))) return;
      rollback.disabled = true;
      const result = await Admin.api("POST", "/api/admin/model/rollback", {});
      rollback.disabled = false;
      if (!result.ok) {
        Admin.notice(status, "error", result.data.error);
        return;
      }
      Admin.notice(status, "ok", Admin.t("model.rolled_back", { version: result.data.active.version }));
      await loadVersions();
    },
  });
  main.replaceChildren(
    h("h1", { text: Admin.t("nav.model") }),
    h(
      "div",
      { class: "card" },
      h("p", { class: "muted", text: owner ? Admin.t("model.intro") : Admin.t("model.owner_only") }),
      h("div", { class: "row" }, train, rollback),
      status,
    ),
    jobBox,
    versionsBox,
    diffBox,
  );
  const model = await loadVersions();
  // The newest job: followed while it runs (started here, in another tab or by someone else).
  const latest = model && model.latest_job;
  if (latest) {
    showJob(latest);
    if (["queued", "running"].includes(latest.status)) await poll(latest.id);
  }
});
