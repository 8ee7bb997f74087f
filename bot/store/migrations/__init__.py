"""Alembic environment and revisions of the paperbot schema; ``bot.store.migrate`` runs them."""
