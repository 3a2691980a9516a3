"""Channel-independent core: message model, language detection, routing."""
