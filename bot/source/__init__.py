"""Digest sources: where new digest files come from."""
