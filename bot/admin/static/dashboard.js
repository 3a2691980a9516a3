// The staff dashboard: reads GET /api/admin/dashboard and draws every chart as inline SVG.
// No libraries and no other host: the labels (zh and en) come with the page (body data-labels),
// the numbers from the API. Every text from data is set with textContent, never as HTML.
"use strict";

(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const LABELS = JSON.parse(document.body.dataset.labels || "{}");
  const state = {
    lang: pickLanguage(),
    days: 30,
    data: null,
    csrf: sessionStorage.getItem("dashboard.csrf") || "",
    request: 0,
  };

  function pickLanguage() {
    const saved = localStorage.getItem("dashboard.lang");
    if (saved === "zh" || saved === "en") return saved;
    return (navigator.language || "").toLowerCase().startsWith("zh") ? "zh" : "en";
  }

  // A label with its {placeholders} filled; an unknown key falls back to `fallback`.
  function label(key, values, fallback) {
    const table = LABELS[state.lang] || {};
    let text = table[key];
    if (text === undefined) return fallback !== undefined ? fallback : key;
    for (const [name, value] of Object.entries(values || {})) {
      text = text.split("{" + name + "}").join(String(value));
    }
    return text;
  }

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function svgEl(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function percent(share) {
    return share === null || share === undefined ? "–" : (share * 100).toFixed(1) + "%";
  }

  function money(yuan) {
    const locale = state.lang === "zh" ? "zh-CN" : "en-US";
    return new Intl.NumberFormat(locale, { style: "currency", currency: "CNY" }).format(yuan);
  }

  function local(pair) {
    return (pair && (pair[state.lang] || pair.en || pair.zh)) || "";
  }

  // --- static labels -----------------------------------------------------------------------
  function applyLabels() {
    document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
    document.title = label("title");
    for (const node of document.querySelectorAll("[data-label]")) {
      node.textContent = label(node.dataset.label);
    }
    for (const option of document.getElementById("window").options) {
      option.textContent = label("window.days", { days: option.value });
    }
  }

  // --- charts ------------------------------------------------------------------------------
  let chartIds = 0;

  // A titled SVG (role img) with a text alternative in <desc>.
  function chartSvg(width, height, title, summary) {
    const id = "chart-" + ++chartIds;
    const svg = svgEl("svg", {
      viewBox: `0 0 ${width} ${height}`,
      role: "img",
      "aria-labelledby": `${id}-title ${id}-desc`,
      preserveAspectRatio: "xMinYMin meet",
    });
    svg.appendChild(svgEl("title", { id: `${id}-title` }, title));
    svg.appendChild(svgEl("desc", { id: `${id}-desc` }, summary));
    return svg;
  }

  // Horizontal bars: [{key, label, count}], one row each, the value after the bar.
  function barChart(container, title, items) {
    container.replaceChildren();
    if (!items.length) {
      container.appendChild(el("p", { class: "empty" }, label("none")));
      return;
    }
    const width = chartWidth(container, 340);
    const row = 26;
    const labelWidth = Math.min(160, Math.round(width * 0.4));
    const barMax = width - labelWidth - 44;
    const top = Math.max(...items.map((i) => i.count), 1);
    const summary = items.map((i) => label("bar", { label: i.label, count: i.count })).join("; ");
    const svg = chartSvg(width, items.length * row + 4, title, summary);
    items.forEach((item, index) => {
      const y = index * row + 2;
      const g = svgEl("g", { class: "bar-row", "data-key": item.key });
      g.appendChild(svgEl("title", {}, label("bar", { label: item.label, count: item.count })));
      g.appendChild(
        svgEl("text", { class: "bar-label", x: 0, y: y + 16 }, fit(item.label, labelWidth - 6))
      );
      const length = Math.max(item.count > 0 ? 2 : 0, (item.count / top) * barMax);
      g.appendChild(
        svgEl("rect", { class: "bar", x: labelWidth, y: y + 4, width: length, height: row - 10 })
      );
      g.appendChild(
        svgEl("text", { class: "bar-value", x: labelWidth + length + 6, y: y + 16 }, item.count)
      );
      svg.appendChild(g);
    });
    container.appendChild(svg);
  }

  // Drawn at the container's own width, so 1 unit is 1 px and texts keep their size.
  function chartWidth(container, fallback) {
    return Math.max(240, Math.round(container.clientWidth || fallback));
  }

  // The label cut to about `px` pixels of 12 px text (CJK characters are about twice as wide).
  function fit(text, px) {
    let used = 0;
    for (let i = 0; i < text.length; i++) {
      used += /[\u2e80-\uffff]/.test(text[i]) ? 12 : 7;
      if (used > px) return text.slice(0, Math.max(1, i - 1)) + "…";
    }
    return text;
  }

  // The sentiment trend: a line of the daily mean (-1..1), bars of the negative share.
  function sentimentChart(container, sentiment) {
    container.replaceChildren();
    const days = sentiment.days;
    const scored = days.filter((d) => d.n > 0);
    const title = label("sentiment.title");
    if (!scored.length) {
      container.appendChild(el("p", { class: "empty" }, label("none")));
      return;
    }
    const means = scored.map((d) => d.mean);
    const summary = label("sentiment.summary", {
      days: scored.length,
      low: Math.min(...means).toFixed(2),
      high: Math.max(...means).toFixed(2),
    });
    const width = chartWidth(container, 680);
    const height = 200;
    const left = 34;
    const plotW = width - left - 8;
    const plotH = height - 36;
    const step = days.length > 1 ? plotW / (days.length - 1) : 0;
    const x = (i) => left + (days.length > 1 ? i * step : plotW / 2);
    const y = (score) => 8 + ((1 - score) / 2) * plotH;
    const svg = chartSvg(width, height, title, summary);
    for (const [score, text] of [[1, "1"], [0, "0"], [-1, "-1"]]) {
      svg.appendChild(
        svgEl("line", { class: "axis-line", x1: left, x2: width - 8, y1: y(score), y2: y(score) })
      );
      svg.appendChild(svgEl("text", { class: "axis", x: 0, y: y(score) + 4 }, text));
    }
    const barW = Math.max(2, Math.min(16, step * 0.6 || 16));
    let path = "";
    let open = false;
    days.forEach((day, i) => {
      if (day.n === 0) {
        open = false;
        return;
      }
      // the negative share as a bar rising from the bottom line
      const h = (day.share_negative || 0) * (plotH / 2);
      svg.appendChild(
        svgEl("rect", { class: "negative", x: x(i) - barW / 2, y: y(-1) - h, width: barW, height: h })
      );
      path += `${open ? "L" : "M"}${x(i).toFixed(1)},${y(day.mean).toFixed(1)} `;
      open = true;
    });
    svg.appendChild(svgEl("path", { class: "trend", d: path.trim() }));
    days.forEach((day, i) => {
      if (day.n === 0) return;
      const dot = svgEl("circle", { class: "point", cx: x(i), cy: y(day.mean), r: 3.5 });
      dot.appendChild(svgEl("title", {}, pointText(day)));
      svg.appendChild(dot);
    });
    svg.appendChild(svgEl("text", { class: "axis", x: left, y: height - 6 }, days[0].day));
    svg.appendChild(
      svgEl(
        "text",
        { class: "axis", x: width - 8, y: height - 6, "text-anchor": "end" },
        days[days.length - 1].day
      )
    );
    container.appendChild(svg);
    // The same numbers as a table for screen readers (a table ignores a 1 px width: wrap it).
    const hidden = el("div", { class: "sr-only" });
    const table = el("table");
    table.appendChild(el("caption", {}, title));
    const body = el("tbody");
    for (const day of scored) {
      const tr = el("tr");
      tr.appendChild(el("th", { scope: "row" }, day.day));
      tr.appendChild(el("td", {}, pointText(day)));
      body.appendChild(tr);
    }
    table.appendChild(body);
    hidden.appendChild(table);
    container.appendChild(hidden);
  }

  function pointText(day) {
    return label("sentiment.point", {
      day: day.day,
      mean: day.mean.toFixed(2),
      share: percent(day.share_negative),
      n: day.n,
    });
  }

  // --- panels ------------------------------------------------------------------------------
  function render() {
    const data = state.data;
    if (!data) return;
    document.getElementById("range").textContent = label("updated", {
      start: data.from,
      end: data.to,
    });
    const auto = data.automation;
    for (const node of document.querySelectorAll("#automation [data-stat]")) {
      const key = node.dataset.stat;
      node.textContent = key === "share_without_person" ? percent(auto[key]) : String(auto[key]);
    }
    const reasons = data.handoffs.by_reason.map((r) => ({
      key: r.reason,
      label: label("reason." + r.reason, {}, r.reason),
      count: r.count,
    }));
    barChart(document.getElementById("reasons"), label("handoffs.reasons"), reasons);
    const ratings = data.handoffs.ratings;
    const stars = ["1", "2", "3", "4", "5"].map((n) => ({
      key: n,
      label: label("stars", { n }),
      count: ratings.histogram[n] || 0,
    }));
    barChart(
      document.getElementById("ratings"),
      label("handoffs.ratings"),
      ratings.rated ? stars : []
    );
    document.getElementById("ratings-mean").textContent = ratings.rated
      ? label("handoffs.mean", { mean: ratings.mean.toFixed(2), n: ratings.rated })
      : label("handoffs.unrated");
    const categories = data.complaints.by_category.map((c) => ({
      key: c.category || "none",
      label: label("category." + (c.category || "none"), {}, c.category),
      count: c.count,
    }));
    barChart(
      document.getElementById("categories"),
      label("complaints.categories"),
      categories
    );
    const severities = data.complaints.by_severity.map((s) => ({
      key: s.severity || "none",
      label: label("severity." + (s.severity || "none"), {}, s.severity),
      count: s.count,
    }));
    barChart(
      document.getElementById("severities"),
      label("complaints.severities"),
      severities
    );
    document.getElementById("sentiment-about").textContent = label("sentiment.about", {
      negative: data.sentiment.negative_at,
    });
    sentimentChart(document.getElementById("sentiment"), data.sentiment);
    renderSegments(data.segments);
    renderParcels(data.parcels_at_risk);
  }

  function renderSegments(segments) {
    const body = document.querySelector("#segments tbody");
    body.replaceChildren();
    document.getElementById("segments-hint").textContent = segments.hint
      ? local(segments.hint)
      : "";
    for (const seg of segments.segments) {
      const tr = el("tr", { "data-key": seg.key });
      const name = el("th", { scope: "row" }, local(seg.name));
      const explanation = local(seg.explanation);
      if (explanation) name.appendChild(el("span", { class: "explain" }, explanation));
      tr.appendChild(name);
      tr.appendChild(el("td", { class: "num" }, seg.size));
      tr.appendChild(el("td", { class: "num" }, percent(seg.share)));
      tr.appendChild(el("td", { class: "num" }, money(seg.mean_spend)));
      body.appendChild(tr);
    }
  }

  function renderParcels(risk) {
    const how = risk.model_error
      ? label("parcels.model_error", { error: risk.model_error })
      : label("parcels.scored_by." + risk.scored_by);
    document.getElementById("parcels-about").textContent =
      how + " " + label("parcels.open", { n: risk.open });
    const body = document.querySelector("#parcels tbody");
    body.replaceChildren();
    if (!risk.parcels.length) {
      const tr = el("tr");
      tr.appendChild(el("td", { colspan: "6", class: "empty" }, label("none")));
      body.appendChild(tr);
      return;
    }
    const heads = ["order", "carrier", "promised", "days_left", "risk", "reasons"].map((k) =>
      label("parcels." + k)
    );
    for (const p of risk.parcels) {
      const tr = el("tr", { "data-order": p.order_id });
      // data-th: the column's name, shown before each value when the rows stack (phones)
      tr.appendChild(el("th", { scope: "row", "data-th": heads[0] }, p.order_id));
      tr.appendChild(el("td", { "data-th": heads[1] }, p.carrier || "–"));
      tr.appendChild(el("td", { "data-th": heads[2] }, p.promised_date));
      tr.appendChild(el("td", { class: "num", "data-th": heads[3] }, p.days_left));
      const risky = p.risk === null ? "–" : percent(p.risk);
      tr.appendChild(el("td", { class: "num", "data-th": heads[4] }, risky));
      const why = el("td", { "data-th": heads[5] });
      const list = el("ul");
      for (const reason of p.reasons) list.appendChild(el("li", {}, local(reason)));
      why.appendChild(list);
      tr.appendChild(why);
      body.appendChild(tr);
    }
  }

  // --- loading, log-in ---------------------------------------------------------------------
  function setStatus(text) {
    document.getElementById("status").textContent = text;
  }

  function showLogin() {
    document.getElementById("panels").hidden = true;
    document.getElementById("logout").hidden = true;
    document.getElementById("login").hidden = false;
    setStatus("");
    document.getElementById("login-name").focus();
  }

  async function errorText(response) {
    try {
      const body = await response.json();
      return body.error || response.statusText;
    } catch (_) {
      return `${response.status} ${response.statusText}`;
    }
  }

  async function load() {
    const ticket = ++state.request;
    setStatus(label("loading"));
    let response;
    try {
      response = await fetch(`/api/admin/dashboard?days=${state.days}`, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
    } catch (err) {
      setStatus(label("failed", { error: String(err) }));
      return;
    }
    if (ticket !== state.request) return; // a newer window was asked for meanwhile
    if (response.status === 401) {
      showLogin();
      return;
    }
    if (!response.ok) {
      setStatus(label("failed", { error: await errorText(response) }));
      return;
    }
    state.data = await response.json();
    if (ticket !== state.request) return;
    document.getElementById("login").hidden = true;
    document.getElementById("panels").hidden = false;
    document.getElementById("logout").hidden = false;
    render();
    document.body.dataset.loadedDays = String(state.data.days);
    setStatus("");
  }

  async function start() {
    applyLabels();
    const me = await fetch("/api/admin/me", { credentials: "same-origin" }).catch(() => null);
    // 401: no or an expired session; 503: no ADMIN_TOKEN on the gateway, but accounts still
    // log in with the session cookie.
    if (me && (me.status === 401 || me.status === 503)) {
      showLogin();
      return;
    }
    await load();
  }

  async function login(event) {
    event.preventDefault();
    const error = document.getElementById("login-error");
    error.textContent = "";
    const response = await fetch("/api/admin/login", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({
        name: document.getElementById("login-name").value,
        password: document.getElementById("login-password").value,
      }),
    }).catch((err) => ({ ok: false, statusText: String(err), json: async () => ({}) }));
    if (!response.ok) {
      error.textContent = label("login.failed", { error: await errorText(response) });
      return;
    }
    const body = await response.json();
    state.csrf = body.csrf_token || "";
    sessionStorage.setItem("dashboard.csrf", state.csrf);
    document.getElementById("login-password").value = "";
    await load();
  }

  async function logout() {
    await fetch("/api/admin/logout", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": state.csrf },
    }).catch(() => null);
    sessionStorage.removeItem("dashboard.csrf");
    state.data = null;
    showLogin();
  }

  let resized = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resized);
    resized = setTimeout(render, 150);
  });
  document.getElementById("window").addEventListener("change", (event) => {
    state.days = Number(event.target.value);
    load();
  });
  document.getElementById("lang").addEventListener("click", () => {
    state.lang = state.lang === "zh" ? "en" : "zh";
    localStorage.setItem("dashboard.lang", state.lang);
    applyLabels();
    render();
  });
  document.getElementById("login").addEventListener("submit", login);
  document.getElementById("logout").addEventListener("click", logout);
  start();
})();
