"""Telegram: cards rendered as Bot API HTML, sent and received with python-telegram-bot."""
