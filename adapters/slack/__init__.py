"""The Slack channel (slack-bolt / slack_sdk): customers in DMs and channels, and the staff
desk where handed-over conversations become threads."""
