"""After-sales conversations: returns, exchanges, refund status and complaints.

Returns and exchanges are forms. After the order form steps (order number, then the phone when
the customer does not own the order) ``validate_<form>`` decides what else to ask from the order
and the after-sales policy: which item of a multi-item order, the reason, whether an opened
digital or beauty item was opened, the replacement size or colour (exchanges), a photo of the
problem (channels that carry photos, quality reasons only) and a confirmation. A request the
policy refuses ends the form at once; the submit action then gives the reason and the
alternatives. The actions only turn slots into service calls and service results into words:
the rules are in :mod:`bot.services.aftersales_policy`, tickets in :mod:`bot.services.aftersales`,
reading typed answers in :mod:`bot.services.aftersales_answers`.

Modules: ``forms`` (validation and extraction), ``questions`` (``action_ask_*``), ``requests``
(submitting, refund status), ``aside`` (an order status question during a form), ``complaints``.
"""
