"""The WeChat-style official-account channel: signed XML webhooks, safe-mode crypto, the
customer-service message API."""
