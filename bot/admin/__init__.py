"""Admin HTTP API of the gateway (tickets; later reviews and retraining)."""
