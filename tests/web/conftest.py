"""Fixtures for the web tests: the fake Slack server, for Slack's mounted HTTP mode."""

from tests.fakes.slack_api import fake_slack

__all__ = ["fake_slack"]
