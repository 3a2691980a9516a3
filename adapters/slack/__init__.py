"""The Slack channel (slack-bolt / slack_sdk): customers in DMs and channels, and the staff
desk where handed-over conversations become threads.

Modules: ``settings`` (configuration, clients), ``inbound`` (Slack events as customer
updates), ``blocks`` (shared Block Kit elements), ``render`` (customer replies as Block Kit),
``sender`` (the outbox Sender, Slack API errors), ``files`` (photo downloads), ``adapter``
(:class:`~adapters.slack.adapter.SlackAdapter`: Bolt app, routes, lifecycle), ``staff_render``
(the handoff thread's opening message, the ``/handoff`` listing) and ``staff_desk``
(:class:`~adapters.slack.staff_desk.SlackStaffDesk`)."""
