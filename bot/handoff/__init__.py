"""Handing a conversation to staff and back: rules (when and the texts), the store (handoff
rows and relayed messages), the service (the pipeline's router, staff actions, the worker) and
its set-up on the gateway. The staff side's platform (Slack) lives in ``adapters.slack``."""
