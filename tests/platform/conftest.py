"""Fixtures for the platform tests: the fake Telegram Bot API."""

from tests.fakes.telegram_api import fake_telegram

__all__ = ["fake_telegram"]
