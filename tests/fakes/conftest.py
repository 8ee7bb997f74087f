"""Fixtures for the tests of the fakes themselves."""

from tests.fakes.telegram_api import fake_telegram

__all__ = ["fake_telegram"]
