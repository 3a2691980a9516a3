// What the chat page (static/chat.js) and the embeddable widget (/widget.js) share: building
// bot messages (text, images, quick-reply buttons, product cards) and the browser's guest
// identity. Bot content is always inserted as text (textContent), never as HTML.
var ShopChatRender = (function () {
  "use strict";

  var SENDER_RE = /^[A-Za-z0-9._:@-]{1,128}$/;
  var HASH_RE = /^[0-9a-fA-F]{64}$/;
  var CURRENCY = { CNY: "¥", RMB: "¥", USD: "$", EUR: "€", GBP: "£" };
  // The photo types the gateway takes (it checks the bytes again).
  var PHOTO_TYPES = ["image/jpeg", "image/png", "image/webp"];

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : m;
    });
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

  function randomId() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes); // works without a secure context, unlike randomUUID
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function identityOf(sender, hash, kind) {
    var ok = typeof sender === "string" && SENDER_RE.test(sender) &&
      typeof hash === "string" && HASH_RE.test(hash);
    return ok ? { sender_id: sender, identity_hash: hash, kind: kind } : null;
  }

  // This browser's guest identity, issued by POST <base>api/chat/guest and kept in
  // localStorage under ``storageKey`` (in memory where storage is blocked).
  function guests(base, storageKey) {
    var memory = null;
    var pending = null; // one request for a new guest at a time
    function stored() {
      try {
        var value = JSON.parse(window.localStorage.getItem(storageKey) || "null");
        var identity = value && identityOf(value.sender_id, value.identity_hash, "guest");
        if (identity) return identity;
      } catch (e) { /* blocked or corrupt: memory or a new guest */ }
      return memory;
    }
    function store(identity) {
      memory = identity;
      try {
        window.localStorage.setItem(storageKey, JSON.stringify({
          sender_id: identity.sender_id, identity_hash: identity.identity_hash
        }));
      } catch (e) { /* memory only */ }
    }
    function forget() {
      memory = null;
      try { window.localStorage.removeItem(storageKey); } catch (e) { /* nothing stored */ }
    }
    function get() {
      var known = stored();
      if (known) return Promise.resolve(known);
      if (pending) return pending;
      pending = fetch(base + "api/chat/guest", { method: "POST" }).then(function (resp) {
        if (!resp.ok) throw new Error("guest " + resp.status);
        return resp.json();
      }).then(function (data) {
        var identity = data && identityOf(data.sender_id, data.identity_hash, "guest");
        if (!identity) throw new Error("guest: malformed answer");
        store(identity);
        return identity;
      });
      pending.then(function () { pending = null; }, function () { pending = null; });
      return pending;
    }
    function known() { return stored() !== null; }
    return { get: get, forget: forget, known: known };
  }

  // The photo problem to tell the customer before uploading, or null.
  function photoProblem(file, maxBytes, L) {
    if (PHOTO_TYPES.indexOf(file.type) < 0) return L.photoType;
    if (file.size > maxBytes) return fill(L.photoTooBig, { mb: Math.floor(maxBytes / 1e6) });
    return null;
  }

  // One history page from the gateway: {messages: [...], next_before: cursor | null}.
  function loadHistory(base, identity, before, limit) {
    var url = base + "api/chat/history?sender_id=" + encodeURIComponent(identity.sender_id) +
      "&identity_hash=" + encodeURIComponent(identity.identity_hash) + "&limit=" + (limit || 30) +
      (before ? "&before=" + encodeURIComponent(before) : "");
    return fetch(url).then(function (resp) {
      if (!resp.ok) throw new Error("history " + resp.status);
      return resp.json();
    }).then(function (data) {
      if (!data || !Array.isArray(data.messages)) throw new Error("history: malformed answer");
      return data;
    });
  }

  // The builders of bot content. opts: labels (L), onPick(title, payload) for a pressed
  // button, resolve(url) for the gateway's own URLs (/products/..., /media/...), onLoad().
  function renderer(opts) {
    var L = opts.labels;
    var resolve = opts.resolve || function (url) { return url; };

    function image(url, alt, className) {
      var img = el("img", className);
      img.src = resolve(url);
      img.alt = alt || "";
      img.loading = "lazy";
      if (opts.onLoad) img.addEventListener("load", opts.onLoad);
      return img;
    }

    function buttonGroup(buttons, live) {
      var group = el("div", "buttons");
      buttons.forEach(function (b) {
        if (!b || typeof b.title !== "string" || typeof b.payload !== "string") return;
        var chip = el("button", "chip", b.title);
        chip.type = "button";
        chip.dataset.payload = b.payload;
        chip.disabled = live === false;
        chip.addEventListener("click", function () {
          Array.prototype.forEach.call(group.querySelectorAll("button"), function (other) {
            other.disabled = true;
          });
          chip.classList.add("chosen");
          opts.onPick(b.title, b.payload);
        });
        group.appendChild(chip);
      });
      return group;
    }

    function productCard(product, live) {
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
      if (buttons.length) info.appendChild(buttonGroup(buttons, live));
      card.appendChild(info);
      return card;
    }

    // Append one bot message's parts to ``content``; ``live`` false: its buttons are
    // disabled (an old message from the history).
    function botContent(message, content, live) {
      if (typeof message.text === "string" && message.text) {
        content.appendChild(el("div", "bubble", message.text));
      }
      var src = safeUrl(message.image);
      if (src) content.appendChild(image(src, "", "msg-image"));
      var custom = message.custom;
      if (custom && custom.type === "product_cards" && Array.isArray(custom.products)) {
        var cards = el("div", "cards");
        custom.products.forEach(function (p) {
          if (p && typeof p.name === "string") cards.appendChild(productCard(p, live));
        });
        content.appendChild(cards);
      } else if (custom && typeof custom.text === "string") {
        content.appendChild(el("div", "bubble", custom.text));
      }
      if (Array.isArray(message.buttons) && message.buttons.length) {
        content.appendChild(buttonGroup(message.buttons, live));
      }
    }

    // Append a customer message's parts (its text, or the photo it sent).
    function customerContent(message, content) {
      var src = safeUrl(message.image);
      if (src) content.appendChild(image(src, L.photoSent, "msg-image"));
      if (typeof message.text === "string" && message.text) {
        content.appendChild(el("div", "bubble", message.text));
      }
    }

    return { image: image, botContent: botContent, customerContent: customerContent };
  }

  return {
    fill: fill,
    el: el,
    randomId: randomId,
    identityOf: identityOf,
    guests: guests,
    photoProblem: photoProblem,
    loadHistory: loadHistory,
    renderer: renderer
  };
})();
