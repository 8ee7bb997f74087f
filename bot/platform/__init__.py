"""Chat platforms: a renderer and a messenger per platform, and the contract they share."""
