"""Personalised recommendations: a sequential model, baselines, offline evaluation, a feedback
bandit, request constraints and the served model (see bot/services/recommend.py for the
service the chat action calls)."""
