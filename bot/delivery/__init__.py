"""Delivery: matching digests to subscriptions, queueing cards, and sending them."""
