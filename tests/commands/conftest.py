"""Fixtures of the command tests: a Berlin chat's router on a settable clock."""

from __future__ import annotations

import pytest

from bot.commands import CommandRouter, Services
from bot.matcher.orgs import OrgMatcher
from bot.store import Store
from tests.commands.schedule_setup import NOW, Clock


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def router(store: Store, clock: Clock) -> CommandRouter:
    return CommandRouter(Services(store=store, orgs=OrgMatcher(), clock=clock,
                                  default_language="en", default_timezone="Europe/Berlin"))
