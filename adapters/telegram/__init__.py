"""The Telegram channel (Bot API through python-telegram-bot): webhook or long polling."""
