// The embeddable chat widget (served as /widget.js with static/render.js and SETTINGS in one
// function, adapters/web/widget.py). A launcher bubble opens a chat panel in a shadow root.
// Everything it loads comes from the gateway the script itself came from.
var script = document.currentScript ||
  document.querySelector("script[src*='widget.js'][data-color], script[src*='widget.js']");
if (!script || window.__shopChatWidget) return;
window.__shopChatWidget = true;

var R = ShopChatRender;
var BASE = script.src.replace(/widget\.js(\?.*)?$/, ""); // the gateway the script came from
var COLOR_RE = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;
var ds = script.dataset;

function pickLang() {
  var wanted = String(ds.lang || "").toLowerCase();
  if (wanted === "zh" || wanted === "en") return wanted;
  var nav = (navigator.languages && navigator.languages[0]) || navigator.language || "";
  return nav.toLowerCase().indexOf("zh") === 0 ? "zh" : "en";
}

var lang = pickLang();
var L = SETTINGS.labels[lang];
var title = ds.title || SETTINGS.shopName[lang] || SETTINGS.shopName.en;
var greeting = ds.greeting || R.fill(L.welcome, { shop: title });
var guests = R.guests(BASE, "shopchat.widget.identity");
var el = R.el;

function resolve(url) {
  if (/^data:/i.test(url)) return url;
  try { return new URL(url, BASE).href; } catch (e) { return url; }
}

function svg(path) {
  var ns = "http://www.w3.org/2000/svg";
  var icon = document.createElementNS(ns, "svg");
  icon.setAttribute("viewBox", "0 0 24 24");
  icon.setAttribute("width", "22");
  icon.setAttribute("height", "22");
  icon.setAttribute("aria-hidden", "true");
  icon.setAttribute("focusable", "false");
  var shape = document.createElementNS(ns, "path");
  shape.setAttribute("d", path);
  shape.setAttribute("fill", "currentColor");
  icon.appendChild(shape);
  return icon;
}

var ICON_CHAT = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z";
var ICON_CLOSE = "M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12 19 17.6 17.6 19 12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z";
var ICON_SEND = "M3.4 20.4 21 12 3.4 3.6 3.4 10.2 15 12 3.4 13.8z";
var ICON_PHOTO = "M9 4 7.2 6H4a2 2 0 0 0-2 2v10a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2V8a2 2 0 0 0-2-2h-3.2L15 4zm3 4.5a4.5 4.5 0 1 1 0 9 4.5 4.5 0 0 1 0-9zm0 2a2.5 2.5 0 1 0 0 5 2.5 2.5 0 0 0 0-5z";

// The host element and its shadow root: the shop's styles stay out, ours stay in ------------
var host = document.createElement("shop-chat-widget"); // no shop selector is written for it
host.setAttribute("data-shop-chat", "");
host.style.setProperty("position", "fixed");
host.style.setProperty("z-index", "2147483000");
host.style.setProperty("bottom", "0");
host.style.setProperty(ds.position === "left" ? "left" : "right", "0");
var root = host.attachShadow({ mode: "open" });
if (root.adoptedStyleSheets !== undefined && typeof CSSStyleSheet === "function" &&
    typeof CSSStyleSheet.prototype.replaceSync === "function") {
  var sheet = new CSSStyleSheet(); // not a <style>: allowed by a shop's strict CSP too
  sheet.replaceSync(SETTINGS.css);
  root.adoptedStyleSheets = [sheet];
} else {
  root.appendChild(el("style", null, SETTINGS.css));
}

var frame = el("div", "sw " + (ds.position === "left" ? "sw-left" : "sw-right"));
frame.setAttribute("lang", lang === "zh" ? "zh-CN" : "en");
if (COLOR_RE.test(ds.color || "")) {
  frame.style.setProperty("--brand", ds.color);
  frame.style.setProperty("--brand-dark", ds.color);
  frame.style.setProperty("--brand-soft", "color-mix(in srgb, " + ds.color + " 12%, #fff)");
}

var launcher = el("button", "sw-launcher");
launcher.type = "button";
launcher.setAttribute("aria-haspopup", "dialog");
launcher.setAttribute("aria-expanded", "false");
launcher.setAttribute("aria-controls", "sw-panel");
launcher.appendChild(svg(ICON_CHAT));
var badge = el("span", "sw-badge");
badge.hidden = true;
badge.setAttribute("aria-hidden", "true");
launcher.appendChild(badge);

var panel = el("div", "sw-panel");
panel.id = "sw-panel";
panel.hidden = true;
panel.setAttribute("role", "dialog");
panel.setAttribute("aria-modal", "false");
panel.setAttribute("aria-labelledby", "sw-title");

var header = el("div", "chat-header");
var logo = el("div", "shop-logo", Array.from(title || "S")[0].toUpperCase());
logo.setAttribute("aria-hidden", "true");
var titles = el("div", "shop-titles");
var heading = el("h2", "shop-name", title);
heading.id = "sw-title";
var status = el("p", "shop-status", L.status);
titles.appendChild(heading);
titles.appendChild(status);
var closeButton = el("button", "sw-close");
closeButton.type = "button";
closeButton.setAttribute("aria-label", L.close);
closeButton.title = L.close;
closeButton.appendChild(svg(ICON_CLOSE));
header.appendChild(logo);
header.appendChild(titles);
header.appendChild(closeButton);

var log = el("div", "messages");
log.id = "messages";
log.setAttribute("role", "log");
log.setAttribute("aria-live", "polite");
log.setAttribute("aria-relevant", "additions");
log.setAttribute("aria-label", L.history);
log.tabIndex = 0; // scrollable by keyboard
var notice = el("div", "notice");
notice.appendChild(el("p", null, greeting));
log.appendChild(notice);

var form = el("form", "composer");
form.setAttribute("autocomplete", "off");
var photoButton = el("button", "composer-photo");
photoButton.type = "button";
photoButton.setAttribute("aria-label", L.photo);
photoButton.title = L.photo;
photoButton.appendChild(svg(ICON_PHOTO));
var photoInput = el("input", "photo-input");
photoInput.type = "file";
photoInput.accept = "image/*";
photoInput.hidden = true;
photoInput.tabIndex = -1;
var input = el("input", "composer-input");
input.type = "text";
input.placeholder = L.placeholder;
input.maxLength = SETTINGS.maxLength;
input.setAttribute("aria-label", L.placeholder);
input.setAttribute("enterkeyhint", "send");
var sendButton = el("button", "composer-send");
sendButton.type = "submit";
sendButton.setAttribute("aria-label", L.send);
sendButton.appendChild(svg(ICON_SEND));
form.appendChild(photoButton);
form.appendChild(photoInput);
form.appendChild(input);
form.appendChild(sendButton);

panel.appendChild(header);
panel.appendChild(log);
panel.appendChild(form);
frame.appendChild(panel);
frame.appendChild(launcher);
root.appendChild(frame);

// State --------------------------------------------------------------------------------------
var identity = R.identityOf(ds.senderId || "", ds.identityHash || "", "shop");
var isOpen = false;
var unread = 0;
var shown = {}; // ids of the stored messages on screen ("c12", "b34")
var historyState = "none"; // none | loading | loaded
var nextBefore = null;
var loadingOlder = false;
var early = []; // pushed before the history was shown: [id, message]
var stream = null;
var lastBotId = 0; // the newest bot message shown: the push stream goes on after it
var queue = Promise.resolve();
var pending = 0;

function setUnread(n) {
  unread = n;
  badge.hidden = n <= 0;
  badge.textContent = n > 9 ? "9+" : String(n);
  launcher.setAttribute("aria-label", n > 0 ? L.open + " (" + R.fill(L.unread, { n: n }) + ")" : L.open);
}
setUnread(0);

function seen() {
  if (!isOpen) setUnread(unread + 1);
}

function atBottom() {
  log.scrollTop = log.scrollHeight;
}

var render = R.renderer({ labels: L, onPick: sendPayload, resolve: resolve, onLoad: function () {
  if (!loadingOlder) atBottom();
} });

function makeRow(role, extra) {
  var node = el("div", "msg " + role + (extra ? " " + extra : ""));
  var avatar = el("div", "msg-avatar", role === "user" ? L.user : Array.from(title || "S")[0]);
  avatar.setAttribute("aria-hidden", "true");
  var content = el("div", "msg-body");
  node.appendChild(avatar);
  node.appendChild(content);
  return { node: node, content: content };
}

function place(node, where) {
  if (where) {
    where.appendChild(node);
    return;
  }
  var typing = log.querySelector(".typing");
  log.insertBefore(node, typing);
  atBottom();
}

// A stored or answered message as a row: appended, or into ``where`` (an older page).
// False when it was shown already.
function addMessage(message, where, live) {
  if (!message || typeof message !== "object") return false;
  if (message.id) {
    if (shown[message.id]) return false;
    shown[message.id] = true;
    var outboxId = message.id.charAt(0) === "b" ? parseInt(message.id.slice(1), 10) : 0;
    if (outboxId > lastBotId) lastBotId = outboxId;
  }
  var row;
  if (message.from === "customer") {
    row = makeRow("user");
    render.customerContent(message, row.content);
  } else {
    row = makeRow("bot", message.from === "staff" ? "staff" : null);
    render.botContent(message, row.content, live !== false);
  }
  if (row.content.childNodes.length) place(row.node, where);
  return true;
}

function addError(text) {
  var row = makeRow("bot", "error");
  row.content.appendChild(el("div", "bubble", text));
  place(row.node);
}

function showTyping() {
  if (log.querySelector(".typing")) return;
  var row = makeRow("bot", "typing");
  row.node.setAttribute("role", "status");
  row.node.setAttribute("aria-label", L.typing);
  var bubble = el("div", "bubble");
  for (var i = 0; i < 3; i += 1) bubble.appendChild(el("span", "dot"));
  row.content.appendChild(bubble);
  log.appendChild(row.node);
  atBottom();
}

function hideTyping() {
  var node = log.querySelector(".typing");
  if (node) node.remove();
}

// Identity, history and the push stream ------------------------------------------------------
function currentIdentity() {
  if (identity) return Promise.resolve(identity);
  return guests.get().then(function (chosen) {
    if (!identity) {
      identity = chosen;
      listen(null);
    }
    return identity;
  });
}

function listen(after) {
  if (stream) stream.close();
  if (!identity || typeof window.EventSource !== "function") return;
  stream = new EventSource(BASE + "api/chat/events?sender_id=" +
    encodeURIComponent(identity.sender_id) + "&identity_hash=" +
    encodeURIComponent(identity.identity_hash) + (after ? "&after=" + after : ""));
  stream.onmessage = function (event) {
    var message = null;
    try { message = JSON.parse(event.data); } catch (e) { return; }
    if (!message || typeof message !== "object") return;
    message.id = "b" + event.lastEventId;
    if (historyState !== "loaded") {
      early.push(message);
      seen();
    } else if (addMessage(message)) {
      seen();
    }
  };
}

function showHistory() {
  if (historyState !== "none" || !identity) return;
  historyState = "loading";
  R.loadHistory(BASE, identity, null, 30).then(function (page) {
    var last = page.messages.length - 1;
    page.messages.forEach(function (m, i) { addMessage(m, null, i === last); });
    nextBefore = page.next_before;
  }).catch(function () { /* the conversation starts here */ }).then(function () {
    historyState = "loaded";
    early.forEach(function (m) { addMessage(m); });
    early = [];
    // From the newest message shown on (what was still on its way when the stream started
    // comes too; what was shown already is not shown twice).
    if (lastBotId) listen(lastBotId);
    frame.setAttribute("data-history", "loaded");
    atBottom();
    fillUp();
  });
}

// While the log does not fill the panel it cannot be scrolled up: load older pages now.
function fillUp() {
  if (isOpen && nextBefore && log.scrollHeight <= log.clientHeight + 40) showOlder();
}

// Scrolled to the top: the page before, kept in place above what is shown.
function showOlder() {
  if (!nextBefore || loadingOlder || !identity) return;
  loadingOlder = true;
  R.loadHistory(BASE, identity, nextBefore, 30).then(function (page) {
    var older = document.createDocumentFragment();
    page.messages.forEach(function (m) { addMessage(m, older, false); });
    var height = log.scrollHeight;
    log.insertBefore(older, notice.nextSibling);
    log.scrollTop += log.scrollHeight - height;
    nextBefore = page.next_before;
  }).then(function () {
    loadingOlder = false;
    fillUp();
  }, function () {
    loadingOlder = false; // tried again on the next scroll
  });
}

log.addEventListener("scroll", function () {
  if (log.scrollTop < 40) showOlder();
});

// Opening and closing ------------------------------------------------------------------------
function open() {
  isOpen = true;
  panel.hidden = false;
  frame.classList.add("sw-open");
  launcher.setAttribute("aria-expanded", "true");
  setUnread(0);
  input.focus();
  if (identity) {
    showHistory();
  } else {
    currentIdentity().then(showHistory, function () { addError(L.network); });
  }
  atBottom();
}

function close() {
  isOpen = false;
  panel.hidden = true;
  frame.classList.remove("sw-open");
  launcher.setAttribute("aria-expanded", "false");
  launcher.focus();
}

launcher.addEventListener("click", function () {
  if (isOpen) close();
  else open();
});
closeButton.addEventListener("click", close);
frame.addEventListener("keydown", function (event) {
  if (event.key === "Escape" && isOpen) {
    event.preventDefault();
    close();
  }
});

// Sending: one request at a time, answers in the order the customer wrote --------------------
function send(fields, messageId) {
  var all = Object.assign({
    sender_id: identity.sender_id,
    identity_hash: identity.identity_hash,
    message_id: messageId
  }, fields);
  if (all.file) {
    var data = new FormData();
    Object.keys(all).forEach(function (key) { data.append(key, all[key]); });
    return fetch(BASE + "api/chat/photo", { method: "POST", body: data });
  }
  return fetch(BASE + "api/chat", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(all)
  });
}

function post(fields) {
  var messageId = R.randomId();
  pending += 1;
  showTyping();
  queue = queue.then(function () {
    return currentIdentity().then(function () {
      return send(fields, messageId);
    }).then(function (resp) {
      if (resp.status !== 401 || identity.kind !== "guest") return resp;
      guests.forget(); // the gateway's secret changed: a new guest
      identity = null;
      return currentIdentity().then(function () { return send(fields, messageId); });
    }).then(function (resp) {
      return resp.json().catch(function () { return null; }).then(function (data) {
        if (data && Array.isArray(data.messages) && data.messages.length) {
          data.messages.forEach(function (m) { addMessage(m); seen(); });
        } else if (resp.status === 401) {
          addError(L.identityRefused);
        } else if (resp.status === 429) {
          var wait = parseInt(resp.headers.get("Retry-After"), 10) || 60;
          addError(R.fill(L.rateLimited, { s: wait }));
        } else if (resp.status === 413) {
          addError(R.fill(L.photoTooBig, { mb: Math.floor(SETTINGS.maxPhotoBytes / 1e6) }));
        } else if (resp.status === 415) {
          addError(L.photoType);
        } else if (data && typeof data.error === "string") {
          addError(R.fill(L.failed, { error: data.error }));
        } else {
          addError(L.network);
        }
      });
    }).catch(function () {
      addError(L.network);
    }).then(function () {
      pending -= 1;
      if (pending <= 0) hideTyping();
    });
  });
}

function sendText(text) {
  var trimmed = text.trim();
  if (!trimmed) return;
  if (trimmed.length > SETTINGS.maxLength) {
    addError(R.fill(L.tooLong, { n: SETTINGS.maxLength }));
    return;
  }
  addMessage({ from: "customer", text: trimmed });
  post({ text: trimmed });
}

function sendPayload(buttonTitle, payload) {
  addMessage({ from: "customer", text: buttonTitle });
  post({ payload: payload });
  input.focus(); // the pressed button is disabled now: the keyboard goes on in the text box
}

function sendPhoto(file) {
  var problem = R.photoProblem(file, SETTINGS.maxPhotoBytes, L);
  if (problem) {
    addError(problem);
    return;
  }
  var reader = new FileReader();
  reader.onload = function () {
    addMessage({ from: "customer", image: String(reader.result) });
    post({ file: file });
  };
  reader.onerror = function () { addError(L.photoType); };
  reader.readAsDataURL(file);
}

form.addEventListener("submit", function (event) {
  event.preventDefault();
  var text = input.value;
  input.value = "";
  sendText(text);
  input.focus();
});
photoButton.addEventListener("click", function () { photoInput.click(); });
photoInput.addEventListener("change", function () {
  var file = photoInput.files && photoInput.files[0];
  photoInput.value = "";
  if (file) sendPhoto(file);
});

function mount() {
  document.body.appendChild(host);
  // A known visitor hears replies (staff, ticket updates) while the panel is closed.
  if (identity) listen(null);
  else if (guests.known()) currentIdentity().catch(function () { /* on open */ });
}
if (document.body) mount();
else document.addEventListener("DOMContentLoaded", mount);
