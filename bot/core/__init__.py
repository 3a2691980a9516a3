"""Channel-independent core: message model, routing (languages and texts: bot.i18n)."""
