"""The deterministic demo shop generator, in layers: ``base`` (clock, ids, prices), ``catalog``,
``people`` (customers), ``orders`` (orders, shipments, browsing) and ``demo`` (the README's demo
orders and :class:`~bot.shop.generator.demo.ShopGenerator`, which builds the whole shop).
:mod:`bot.shop.seed` writes it to the database."""
