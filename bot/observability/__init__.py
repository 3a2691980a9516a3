"""Monitoring: Prometheus metrics (:mod:`.metrics`, :mod:`.scrape`) and the log format with the
message being handled (:mod:`.logs`). Used by the gateway's pipeline, the handoff and the action
server; it imports only the configuration and the storage schema (README "Monitoring")."""
