"""The WeChat-style official-account channel: signed XML webhooks, safe-mode crypto, the
customer-service message API.

Two modes, as configured on the WeChat admin page:

- plain: ``signature`` in the query is sha1 over the sorted token, ``timestamp`` and ``nonce``;
- safe (``encrypt_type=aes``, needs ``WECHAT_AES_KEY`` and ``WECHAT_APP_ID``): the body carries
  ``Encrypt``, AES-256-CBC with the 32-byte key decoded from the 43-character EncodingAESKey;
  ``msg_signature`` also covers the ciphertext. A gateway with an AES key refuses plain
  messages, which it could not authenticate (the plain ``signature`` does not cover the body).

An answer ready within ``channels.wechat_passive_timeout_s`` goes back as one passive text
reply (encrypted in safe mode); a later answer, and whatever does not fit into
``channels.wechat_max_text_bytes``, goes through the customer-service message API. Buttons
become numbered options remembered per conversation. Without ``WECHAT_APP_SECRET`` the channel
runs passive-only (a warning at start-up): late answers are marked failed in the outbox.

HTTP answers: 200 ``success`` or the passive XML; 400 (JSON error) for malformed or hostile XML
and bad fields; 403 (JSON error) for every authentication failure (missing or wrong signature,
stale timestamp, another app's message, a plain message in safe mode); 413 for a body over
the size limit.

Modules: :mod:`.settings` (configuration), :mod:`.crypto` (signatures, AES),
:mod:`.inbound` (request -> message), :mod:`.render` (message -> XML/text),
:mod:`.media` (bounded downloads), :mod:`.client` (API and outbox sender),
:mod:`.adapter` (routes and lifecycle).
"""
