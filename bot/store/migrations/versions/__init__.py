"""Schema revisions, applied in order from ``0001``."""
