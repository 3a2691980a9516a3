"""The shop behind the assistant: demo generator, importer, product images.

Layering: ``bot.shop`` holds tools that build and load the shop's data (``python -m bot seed``,
``python -m bot import``), so it sits above ``bot.services``: it uses the services' record types
and their write lock (:func:`bot.services.tickets.serialized_writes`), and no service imports
``bot.shop``.
"""
