"""A PostgreSQL database of its own for a test, created on the test server and dropped after."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import POSTGRES_URL


@contextlib.asynccontextmanager
async def scratch_database() -> AsyncIterator[str]:
    """Create a uniquely named database, yield its ``postgresql://`` URL, then drop it.

    Skips the test when ``PAPERBOT_TEST_POSTGRES_URL`` is unset.
    """
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests need PAPERBOT_TEST_POSTGRES_URL "
                    "(.ci/run sets it to the local server's paperbot_test database)")
    url = make_url(POSTGRES_URL)
    name = f"paperbot_test_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(host=url.host, port=url.port, user=url.username,
                                  password=url.password, database="postgres")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
