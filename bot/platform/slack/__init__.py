"""Slack: cards rendered as Block Kit, sent and received with slack-bolt (Socket Mode or HTTP)."""
