"""Admin studio: edit the Rasa project (FAQ answers, NLU examples, rules, stories) with
validation and an audit trail, train and gate new models, hot-swap and roll back; admin users."""
