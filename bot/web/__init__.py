"""The HTTP server every instance runs: health, readiness, metrics and platform webhooks."""
