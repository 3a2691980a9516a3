"""The shop behind the assistant: demo generator, importer, product images."""
