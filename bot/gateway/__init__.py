"""The gateway: one aiohttp application serving the channels, the web chat and the admin API."""
