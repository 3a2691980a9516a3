"""The web chat: the page and its static files, ``POST /api/chat`` and the push stream."""
