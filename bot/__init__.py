"""paperbot: daily research-paper digests pushed to Telegram and Slack as cards."""

__version__ = "0.1.0"
