"""Fixtures for the Slack tests: the fake Slack server."""

from tests.fakes.slack_api import fake_slack

__all__ = ["fake_slack"]
