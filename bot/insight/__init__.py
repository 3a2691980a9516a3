"""Insight models over the shop's own history (issue 15, parts 1-3).

- :mod:`bot.insight.segments`: RFM and behaviour segments; K-Means, Ward and DBSCAN compared by
  silhouette, Davies-Bouldin and bootstrap stability; readable zh/en names from the centroids.
- :mod:`bot.insight.delay`: the chance a parcel arrives after the promised date, scored at
  carrier handover, with its reasons in words.
- :mod:`bot.insight.complaints`: the chance a customer opens a complaint in the next 14 days.
- :mod:`bot.insight.synth`: Olist-schema order files and ticket histories with known structure,
  for tests and for the reports where the demo shop has no such data.

This package reads the shop through :mod:`bot.storage` only; it does not import the services,
the dialogue core, the handoff or the channels.
"""
