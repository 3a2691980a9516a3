// Web chat widget for the shop assistant. Talks to POST api/chat; no external resources.
// Bot content is always inserted as text (textContent), never as HTML.
(function () {
  "use strict";

  var SENDER_RE = /^[A-Za-z0-9._:@-]{1,128}$/;
  var HASH_RE = /^[0-9a-fA-F]{64}$/;
  // This browser's guest identity, issued by POST api/chat/guest: {sender_id, identity_hash}.
  var STORAGE_KEY = "shopchat.identity";
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

  function validIdentity(value) {
    return !!value && typeof value.sender_id === "string" && SENDER_RE.test(value.sender_id) &&
      typeof value.identity_hash === "string" && HASH_RE.test(value.identity_hash);
  }

  function identityOf(sender, hash, kind) {
    var identity = { sender_id: sender, identity_hash: hash, kind: kind };
    return validIdentity(identity) ? identity : null;
  }

  // Storage can be blocked inside third-party iframes: fall back to memory.
  var memoryGuest = null;
  function storedGuest() {
    try {
      var value = JSON.parse(window.localStorage.getItem(STORAGE_KEY) || "null");
      if (validIdentity(value)) return identityOf(value.sender_id, value.identity_hash, "guest");
    } catch (e) { /* blocked or corrupt: memory or a new guest */ }
    return memoryGuest;
  }

  function storeGuest(identity) {
    memoryGuest = identity;
    try {
      window.localStorage.setItem(STORAGE_KEY, JSON.stringify({
        sender_id: identity.sender_id, identity_hash: identity.identity_hash
      }));
    } catch (e) { /* memory only */ }
  }

  function forgetGuest() {
    memoryGuest = null;
    try { window.localStorage.removeItem(STORAGE_KEY); } catch (e) { /* nothing stored */ }
  }

  // The guest identity of this browser: the stored one, or a new one from the gateway.
  var guestPending = null; // one request for a new guest at a time
  function guestIdentity() {
    var stored = storedGuest();
    if (stored) return Promise.resolve(stored);
    if (guestPending) return guestPending;
    guestPending = fetch("api/chat/guest", { method: "POST" }).then(function (resp) {
      if (!resp.ok) throw new Error("guest " + resp.status);
      return resp.json();
    }).then(function (data) {
      var identity = data && identityOf(data.sender_id, data.identity_hash, "guest");
      if (!identity) throw new Error("guest: malformed answer");
      storeGuest(identity);
      return identity;
    });
    guestPending.then(function () { guestPending = null; }, function () { guestPending = null; });
    return guestPending;
  }

  // An identity the shop signed on its server (?sender=...&identity_hash=... or data-sender-id
  // and data-identity-hash on <body>); an unsigned sender id is never used.
  function shopIdentity(params, body) {
    return identityOf(params.get("sender") || body.dataset.senderId || "",
      params.get("identity_hash") || body.dataset.identityHash || "", "shop");
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

    var identity = null; // {sender_id, identity_hash, kind: "guest" | "shop" | "demo"}
    var generation = 0; // bumped when the customer changes: late answers are dropped
    var queue = Promise.resolve();
    var pending = 0;
    var lastRole = null;
    var demoPicker = body.dataset.demoPicker === "true";
    var demoIdentities = {};

    function setUrlIdentity(chosen) {
      var url = new URL(window.location.href);
      if (chosen.kind === "guest") {
        url.searchParams.delete("sender");
        url.searchParams.delete("identity_hash");
      } else {
        url.searchParams.set("sender", chosen.sender_id);
        url.searchParams.set("identity_hash", chosen.identity_hash);
      }
      window.history.replaceState(null, "", url.toString());
    }

    // Talk as ``chosen`` from now on: a fresh conversation view and push stream.
    function switchTo(chosen) {
      identity = chosen;
      generation += 1;
      pending = 0;
      hideTyping();
      messages.textContent = "";
      lastRole = null;
      showWelcome();
      listen();
    }

    // Customer picker (web.demo_picker): demo customers signed by the gateway, and the guest --
    function addOption(value, label) {
      var option = el("option", null, label);
      option.value = value;
      picker.appendChild(option);
    }
    function setupPicker() {
      var label = picker.closest(".customer-picker");
      if (!demoPicker) {
        if (label) label.hidden = true;
        return;
      }
      fetch("api/chat/demo-identities").then(function (resp) {
        return resp.ok ? resp.json() : null;
      }).then(function (data) {
        var list = data && Array.isArray(data.identities) ? data.identities : [];
        list.forEach(function (item) {
          var demo = item && identityOf(item.sender_id, item.identity_hash, "demo");
          if (!demo) return;
          demoIdentities[demo.sender_id] = demo;
          var name = L.customers[demo.sender_id] || (lang === "zh" && item.name_zh) || item.name;
          addOption(demo.sender_id, String(name || demo.sender_id));
        });
        addOption("guest", L.customers.guest);
        picker.value = identity && demoIdentities[identity.sender_id] ? identity.sender_id : "guest";
      }).catch(function () {
        if (label) label.hidden = true;
      });
      picker.addEventListener("change", function () {
        var chosen = demoIdentities[picker.value];
        var next = chosen ? Promise.resolve(chosen) : guestIdentity();
        next.then(function (picked) {
          setUrlIdentity(picked);
          switchTo(picked);
          input.focus();
        }).catch(function () { addError(L.network); });
      });
    }

    // Push channel: messages that come later (an answer delayed by an outage, staff replies,
    // ticket updates) arrive as server-sent events; the browser reconnects by itself and
    // resumes after the last event id it saw.
    var stream = null;
    function listen() {
      if (stream) stream.close();
      if (typeof window.EventSource !== "function") return;
      var mine = generation;
      if (!identity) return;
      stream = new EventSource("api/chat/events?sender_id=" + encodeURIComponent(identity.sender_id) +
        "&identity_hash=" + encodeURIComponent(identity.identity_hash));
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
    function send(bodyJson, messageId) {
      return fetch("api/chat", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(Object.assign({
          sender_id: identity.sender_id,
          identity_hash: identity.identity_hash,
          message_id: messageId
        }, bodyJson))
      });
    }

    function post(bodyJson) {
      var mine = generation;
      var messageId = randomId();
      pending += 1;
      showTyping();
      queue = queue.then(function () {
        if (mine !== generation) return null;
        return currentIdentity().then(function () {
          return send(bodyJson, messageId);
        }).then(function (resp) {
          if (resp.status !== 401 || !identity || identity.kind !== "guest") return resp;
          // The stored guest identity is no longer accepted (a new secret): get a new one.
          forgetGuest();
          return guestIdentity().then(function (fresh) {
            identity = fresh;
            listen();
            return send(bodyJson, messageId);
          });
        }).then(function (resp) {
          return resp.json().catch(function () { return null; }).then(function (data) {
            if (mine !== generation) return;
            if (data && Array.isArray(data.messages) && data.messages.length) {
              data.messages.forEach(addBot);
            } else if (resp.status === 401) {
              addError(L.identityRefused);
            } else if (resp.status === 429) {
              var wait = parseInt(resp.headers.get("Retry-After"), 10) ||
                (data && data.retry_after_s) || 60;
              addError(fill(L.rateLimited, { s: wait }));
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
      post({ text: trimmed });
    }

    function sendPayload(title, payload) {
      addUser(title);
      post({ payload: payload });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value;
      input.value = "";
      sendText(text);
      input.focus();
    });

    // Who is talking: the shop's signed customer, else this browser's guest (asked for again
    // before the next message if the gateway could not be reached).
    function currentIdentity() {
      if (identity) return Promise.resolve(identity);
      return guestIdentity().then(function (chosen) {
        if (!identity) {
          identity = chosen;
          listen();
        }
        return identity;
      });
    }
    identity = shopIdentity(params, body);
    if (identity) listen();
    else currentIdentity().catch(function () { addError(L.network); });
    setupPicker();
    showWelcome();
    input.focus();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", main);
  } else {
    main();
  }
})();
