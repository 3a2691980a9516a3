// Web chat widget for the shop assistant. Talks to POST api/chat; no external resources.
// Bot content is always inserted as text (textContent), never as HTML.
(function () {
  "use strict";

  var SENDER_RE = /^[A-Za-z0-9._:@-]{1,128}$/;
  var STORAGE_KEY = "shopchat.sender";
  var DEMO_CUSTOMERS = ["demo-liwei", "demo-emma"];
  var CURRENCY = { CNY: "¥", RMB: "¥", USD: "$", EUR: "€", GBP: "£" };

  // The labels in both languages, from the gateway's text tables (bot/i18n/channels.py).
  var LABELS = JSON.parse(document.body.getAttribute("data-labels") || "{}");

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : m;
    });
  }

  function pickLang(params) {
    var wanted = (params.get("lang") || "").toLowerCase();
    if (wanted === "zh" || wanted === "en") return wanted;
    var nav = (navigator.languages && navigator.languages[0]) || navigator.language || "";
    return nav.toLowerCase().indexOf("zh") === 0 ? "zh" : "en";
  }

  function randomId() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes); // works without a secure context, unlike randomUUID
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  // Storage can be blocked inside third-party iframes: fall back to memory.
  var memoryGuestId = null;
  function guestId() {
    try {
      var stored = window.localStorage.getItem(STORAGE_KEY);
      if (stored && SENDER_RE.test(stored)) return stored;
      var fresh = "web-" + randomId();
      window.localStorage.setItem(STORAGE_KEY, fresh);
      return fresh;
    } catch (e) {
      memoryGuestId = memoryGuestId || "web-" + randomId();
      return memoryGuestId;
    }
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function safeUrl(url) {
    if (typeof url !== "string" || !url) return null;
    if (/^(https?:)?\/\//i.test(url) || url.charAt(0) === "/" || /^data:image\//i.test(url)) return url;
    if (/^[a-z][a-z0-9+.-]*:/i.test(url)) return null; // javascript:, file:, ...
    return url; // relative path
  }

  function formatPrice(product) {
    if (typeof product.price_text === "string" && product.price_text) return product.price_text;
    var symbol = CURRENCY[String(product.currency || "CNY").toUpperCase()] || (product.currency + " ");
    var price = product.price;
    if ((price === undefined || price === null) && typeof product.price_cents === "number") {
      price = product.price_cents / 100;
    }
    if (typeof price === "number" && isFinite(price)) {
      return symbol + (Number.isInteger(price) ? String(price) : price.toFixed(2));
    }
    if (typeof price === "string" && price) {
      return /^[0-9.]/.test(price) ? symbol + price : price;
    }
    return "";
  }

  function main() {
    var params = new URLSearchParams(window.location.search);
    var lang = pickLang(params);
    var L = LABELS[lang];
    var body = document.body;
    var shopName = lang === "zh" ? body.dataset.shopNameZh || body.dataset.shopName : body.dataset.shopName;
    var maxLength = parseInt(body.dataset.maxLength, 10) || 2000;

    var messages = document.getElementById("messages");
    var form = document.getElementById("composer");
    var input = document.getElementById("input");
    var picker = document.getElementById("customer-picker");

    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.title = shopName;
    document.getElementById("shop-name").textContent = shopName;
    document.getElementById("shop-logo").textContent = Array.from(shopName || "S")[0].toUpperCase();
    document.getElementById("status-text").textContent = L.status;
    document.getElementById("picker-label").textContent = L.picker;
    document.getElementById("send-label").textContent = L.send;
    input.placeholder = L.placeholder;
    input.setAttribute("aria-label", L.placeholder);
    input.maxLength = maxLength;

    var requested = params.get("sender");
    var sender = requested && SENDER_RE.test(requested) ? requested : guestId();
    var generation = 0; // bumped when the customer changes: late answers are dropped
    var queue = Promise.resolve();
    var pending = 0;
    var lastRole = null;

    // Customer picker ------------------------------------------------------------------------
    function addOption(value, label) {
      var option = el("option", null, label);
      option.value = value;
      picker.appendChild(option);
    }
    DEMO_CUSTOMERS.forEach(function (id) { addOption(id, L.customers[id]); });
    addOption("guest", L.customers.guest);
    picker.value = DEMO_CUSTOMERS.indexOf(sender) >= 0 ? sender : "guest";
    picker.addEventListener("change", function () {
      sender = picker.value === "guest" ? guestId() : picker.value;
      var url = new URL(window.location.href);
      url.searchParams.set("sender", sender);
      window.history.replaceState(null, "", url.toString());
      generation += 1;
      pending = 0;
      hideTyping();
      messages.textContent = "";
      lastRole = null;
      showWelcome();
      listen();
      input.focus();
    });

    // Push channel: messages that come later (an answer delayed by an outage, staff replies,
    // ticket updates) arrive as server-sent events; the browser reconnects by itself and
    // resumes after the last event id it saw.
    var stream = null;
    function listen() {
      if (stream) stream.close();
      if (typeof window.EventSource !== "function") return;
      var mine = generation;
      stream = new EventSource("api/chat/events?sender_id=" + encodeURIComponent(sender));
      stream.onmessage = function (event) {
        if (mine !== generation) return;
        var message = null;
        try { message = JSON.parse(event.data); } catch (e) { return; }
        if (message && typeof message === "object") addBot(message);
      };
    }

    // Rendering ------------------------------------------------------------------------------
    function scrollDown() {
      messages.scrollTop = messages.scrollHeight;
    }

    function row(role, extraClass) {
      var node = el("div", "msg " + role + (extraClass ? " " + extraClass : ""));
      if (lastRole === role) node.classList.add("continued");
      lastRole = role;
      var avatar = el("div", "msg-avatar", role === "user" ? L.user : Array.from(shopName || "S")[0]);
      avatar.setAttribute("aria-hidden", "true");
      var content = el("div", "msg-body");
      node.appendChild(avatar);
      node.appendChild(content);
      var typing = document.getElementById("typing");
      messages.insertBefore(node, typing && typing.parentNode === messages ? typing : null);
      return content;
    }

    function addUser(text) {
      row("user").appendChild(el("div", "bubble", text));
      scrollDown();
    }

    function addError(text) {
      row("bot", "error").appendChild(el("div", "bubble", text));
      scrollDown();
    }

    function buttonGroup(buttons) {
      var group = el("div", "buttons");
      buttons.forEach(function (b) {
        if (!b || typeof b.title !== "string" || typeof b.payload !== "string") return;
        var chip = el("button", "chip", b.title);
        chip.type = "button";
        chip.dataset.payload = b.payload;
        chip.addEventListener("click", function () {
          Array.prototype.forEach.call(group.querySelectorAll("button"), function (other) {
            other.disabled = true;
          });
          chip.classList.add("chosen");
          sendPayload(b.title, b.payload);
        });
        group.appendChild(chip);
      });
      return group;
    }

    function image(url, alt, className) {
      var img = el("img", className);
      img.src = url;
      img.alt = alt || "";
      img.loading = "lazy";
      img.addEventListener("load", scrollDown);
      return img;
    }

    function productCard(product) {
      var card = el("div", "card");
      var src = safeUrl(product.image);
      if (src) card.appendChild(image(src, product.name, "card-image"));
      var info = el("div", "card-body");
      info.appendChild(el("div", "card-name", product.name));
      var meta = el("div", "card-meta");
      meta.appendChild(el("span", "card-price", formatPrice(product)));
      if (typeof product.rating === "number") {
        var rating = "★ " + product.rating.toFixed(1);
        if (typeof product.rating_count === "number") rating += " (" + product.rating_count + ")";
        meta.appendChild(el("span", "card-rating", rating));
      }
      info.appendChild(meta);
      // Why this product was recommended ("because you bought ...").
      if (typeof product.reason === "string" && product.reason) {
        info.appendChild(el("div", "card-reason", product.reason));
      }
      if (typeof product.stock === "number") {
        var inStock = product.stock > 0;
        info.appendChild(el("div", "card-stock" + (inStock ? "" : " out"),
          inStock ? fill(L.inStock, { n: product.stock }) : L.outOfStock));
      }
      var buttons = Array.isArray(product.buttons) ? product.buttons.slice() : [];
      if (!buttons.length && typeof product.payload === "string") {
        buttons.push({ title: L.details, payload: product.payload });
      }
      if (buttons.length) info.appendChild(buttonGroup(buttons));
      card.appendChild(info);
      return card;
    }

    function addBot(message) {
      if (!message || typeof message !== "object") return;
      var content = row("bot");
      if (typeof message.text === "string" && message.text) {
        content.appendChild(el("div", "bubble", message.text));
      }
      var src = safeUrl(message.image);
      if (src) content.appendChild(image(src, "", "msg-image"));
      var custom = message.custom;
      if (custom && custom.type === "product_cards" && Array.isArray(custom.products)) {
        var cards = el("div", "cards");
        custom.products.forEach(function (p) {
          if (p && typeof p.name === "string") cards.appendChild(productCard(p));
        });
        content.appendChild(cards);
      } else if (custom && typeof custom.text === "string") {
        content.appendChild(el("div", "bubble", custom.text));
      }
      if (Array.isArray(message.buttons) && message.buttons.length) {
        content.appendChild(buttonGroup(message.buttons));
      }
      if (!content.childNodes.length) content.parentNode.remove();
      scrollDown();
    }

    function showTyping() {
      if (document.getElementById("typing")) return;
      var node = el("div", "msg bot typing");
      node.id = "typing";
      node.setAttribute("aria-label", L.typing);
      var avatar = el("div", "msg-avatar", Array.from(shopName || "S")[0]);
      var bubble = el("div", "bubble");
      for (var i = 0; i < 3; i += 1) bubble.appendChild(el("span", "dot"));
      var content = el("div", "msg-body");
      content.appendChild(bubble);
      node.appendChild(avatar);
      node.appendChild(content);
      messages.appendChild(node);
      scrollDown();
    }

    function hideTyping() {
      var node = document.getElementById("typing");
      if (node) node.remove();
    }

    function showWelcome() {
      var notice = el("div", "notice");
      notice.appendChild(el("p", null, fill(L.welcome, { shop: shopName })));
      var chips = el("div", "suggestions");
      L.suggestions.forEach(function (text) {
        var chip = el("button", "chip suggestion", text);
        chip.type = "button";
        chip.addEventListener("click", function () { sendText(text); });
        chips.appendChild(chip);
      });
      notice.appendChild(chips);
      messages.appendChild(notice);
    }

    // Sending: one request at a time, so the bot answers in the order the customer wrote -------
    function post(bodyJson) {
      var mine = generation;
      pending += 1;
      showTyping();
      queue = queue.then(function () {
        if (mine !== generation) return null;
        return fetch("api/chat", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(Object.assign({ message_id: randomId() }, bodyJson))
        }).then(function (resp) {
          return resp.json().catch(function () { return null; }).then(function (data) {
            if (mine !== generation) return;
            if (data && Array.isArray(data.messages) && data.messages.length) {
              data.messages.forEach(addBot);
            } else if (data && typeof data.error === "string") {
              addError(fill(L.failed, { error: data.error }));
            } else {
              addError(L.network);
            }
          });
        }).catch(function () {
          if (mine === generation) addError(L.network);
        }).then(function () {
          if (mine !== generation) return;
          pending -= 1;
          if (pending <= 0) hideTyping();
        });
      });
    }

    function sendText(text) {
      var trimmed = text.trim();
      if (!trimmed) return;
      if (trimmed.length > maxLength) {
        addError(fill(L.tooLong, { n: maxLength }));
        return;
      }
      addUser(trimmed);
      post({ sender_id: sender, text: trimmed });
    }

    function sendPayload(title, payload) {
      addUser(title);
      post({ sender_id: sender, payload: payload });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value;
      input.value = "";
      sendText(text);
      input.focus();
    });

    showWelcome();
    listen();
    input.focus();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", main);
  } else {
    main();
  }
})();
