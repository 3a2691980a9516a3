// Web chat widget for the shop assistant. Talks to POST api/chat; no external resources.
// Bot content is always inserted as text (textContent), never as HTML.
(function () {
  "use strict";

  var R = ShopChatRender; // static/render.js, shared with the embeddable widget
  var fill = R.fill;
  var el = R.el;
  var identityOf = R.identityOf;
  // This browser's guest identity, issued by POST api/chat/guest: {sender_id, identity_hash}.
  var guests = R.guests("", "shopchat.identity");

  // The labels in both languages, from the gateway's text tables (bot/i18n/channels.py).
  var LABELS = JSON.parse(document.body.getAttribute("data-labels") || "{}");

  function pickLang(params) {
    var wanted = (params.get("lang") || "").toLowerCase();
    if (wanted === "zh" || wanted === "en") return wanted;
    var nav = (navigator.languages && navigator.languages[0]) || navigator.language || "";
    return nav.toLowerCase().indexOf("zh") === 0 ? "zh" : "en";
  }

  // An identity the shop signed on its server (?sender=...&identity_hash=... or data-sender-id
  // and data-identity-hash on <body>); an unsigned sender id is never used.
  function shopIdentity(params, body) {
    return identityOf(params.get("sender") || body.dataset.senderId || "",
      params.get("identity_hash") || body.dataset.identityHash || "", "shop");
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
    var photoButton = document.getElementById("photo");
    var photoInput = document.getElementById("photo-input");
    var maxPhotoBytes = parseInt(body.dataset.maxPhotoBytes, 10) || 10000000;

    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.title = shopName;
    document.getElementById("shop-name").textContent = shopName;
    document.getElementById("shop-logo").textContent = Array.from(shopName || "S")[0].toUpperCase();
    document.getElementById("status-text").textContent = L.status;
    document.getElementById("picker-label").textContent = L.picker;
    document.getElementById("send-label").textContent = L.send;
    photoButton.setAttribute("aria-label", L.photo);
    photoButton.title = L.photo;
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
      showHistory();
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
        var next = chosen ? Promise.resolve(chosen) : guests.get();
        next.then(function (picked) {
          setUrlIdentity(picked);
          switchTo(picked);
          input.focus();
        }).catch(function () { addError(L.network); });
      });
    }

    // History: the conversation so far (the newest page), then the push stream from the last
    // message shown on. ``messages`` carries data-history="loaded" once it is shown.
    function showHistory() {
      var mine = generation;
      messages.removeAttribute("data-history");
      if (!identity) return;
      R.loadHistory("", identity, null, 50).then(function (page) {
        if (mine !== generation) return;
        var last = page.messages.length - 1;
        var after = null;
        page.messages.forEach(function (m, i) {
          if (m.from === "customer") addCustomer(m);
          else addBot(m, i === last);
          var id = m.from !== "customer" ? parseInt(String(m.id).slice(1), 10) : 0;
          if (id > (after || 0)) after = id;
        });
        listen(after);
      }).catch(function () {
        if (mine === generation) listen(null);
      }).then(function () {
        if (mine === generation) messages.setAttribute("data-history", "loaded");
      });
    }

    // Push channel: messages that come later (an answer delayed by an outage, staff replies,
    // ticket updates) arrive as server-sent events; the browser reconnects by itself and
    // resumes after the last event id it saw.
    var stream = null;
    function listen(after) {
      if (stream) stream.close();
      if (typeof window.EventSource !== "function") return;
      var mine = generation;
      if (!identity) return;
      stream = new EventSource("api/chat/events?sender_id=" + encodeURIComponent(identity.sender_id) +
        "&identity_hash=" + encodeURIComponent(identity.identity_hash) +
        (after ? "&after=" + encodeURIComponent(after) : ""));
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

    function addCustomer(message) {
      render.customerContent(message, row("user"));
      scrollDown();
    }

    function addError(text) {
      row("bot", "error").appendChild(el("div", "bubble", text));
      scrollDown();
    }

    var render = R.renderer({ labels: L, onPick: sendPayload, onLoad: scrollDown });

    // A bot (or staff) message; ``live`` false: an old one from the history, buttons disabled.
    function addBot(message, live) {
      if (!message || typeof message !== "object") return;
      var content = row("bot", message.from === "staff" ? "staff" : null);
      render.botContent(message, content, live !== false);
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
      var fields = Object.assign({
        sender_id: identity.sender_id,
        identity_hash: identity.identity_hash,
        message_id: messageId
      }, bodyJson);
      if (fields.file) {
        var data = new FormData();
        Object.keys(fields).forEach(function (key) { data.append(key, fields[key]); });
        return fetch("api/chat/photo", { method: "POST", body: data });
      }
      return fetch("api/chat", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(fields)
      });
    }

    function post(bodyJson) {
      var mine = generation;
      var messageId = R.randomId();
      pending += 1;
      showTyping();
      queue = queue.then(function () {
        if (mine !== generation) return null;
        return currentIdentity().then(function () {
          return send(bodyJson, messageId);
        }).then(function (resp) {
          if (resp.status !== 401 || !identity || identity.kind !== "guest") return resp;
          // The stored guest identity is no longer accepted (a new secret): get a new one.
          guests.forget();
          return guests.get().then(function (fresh) {
            identity = fresh;
            listen(null);
            return send(bodyJson, messageId);
          });
        }).then(function (resp) {
          return resp.json().catch(function () { return null; }).then(function (data) {
            if (mine !== generation) return;
            if (data && Array.isArray(data.messages) && data.messages.length) {
              data.messages.forEach(function (m) { addBot(m); });
            } else if (resp.status === 401) {
              addError(L.identityRefused);
            } else if (resp.status === 429) {
              var wait = parseInt(resp.headers.get("Retry-After"), 10) ||
                (data && data.retry_after_s) || 60;
              addError(fill(L.rateLimited, { s: wait }));
            } else if (resp.status === 413) {
              addError(fill(L.photoTooBig, { mb: Math.floor(maxPhotoBytes / 1e6) }));
            } else if (resp.status === 415) {
              addError(L.photoType);
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

    // A photo from the photo button: checked here first (the gateway checks it again), shown
    // as the customer's message, then sent to api/chat/photo.
    function sendPhoto(file) {
      var problem = R.photoProblem(file, maxPhotoBytes, L);
      if (problem) {
        addError(problem);
        return;
      }
      var reader = new FileReader();
      reader.onload = function () {
        addCustomer({ image: String(reader.result) });
        post({ file: file });
      };
      reader.onerror = function () { addError(L.photoType); };
      reader.readAsDataURL(file);
    }

    photoButton.addEventListener("click", function () { photoInput.click(); });
    photoInput.addEventListener("change", function () {
      var file = photoInput.files && photoInput.files[0];
      photoInput.value = "";
      if (file) sendPhoto(file);
    });

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
      return guests.get().then(function (chosen) {
        if (!identity) {
          identity = chosen;
          showHistory();
        }
        return identity;
      });
    }
    identity = shopIdentity(params, body);
    setupPicker();
    showWelcome();
    if (identity) showHistory();
    else currentIdentity().catch(function () { addError(L.network); });
    input.focus();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", main);
  } else {
    main();
  }
})();
