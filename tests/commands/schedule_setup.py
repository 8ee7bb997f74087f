"""A Berlin chat on a settable clock, shared by the schedule and /status command tests."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.store import ChatRef
from tests.clock import SettableClock
from tests.store.factories import make_paper

BERLIN = ZoneInfo("Europe/Berlin")
# Friday 20 February 2026, 08:00 in Berlin (CET, UTC+1).
NOW = dt.datetime(2026, 2, 20, 7, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 2, 20)
CHAT = ChatRef("telegram", "42")
PAPERS = [
    make_paper(1, org="Google", score=38.0),
    make_paper(2, org="Meta", score=37.0),
    make_paper(3, org="Google DeepMind", score=36.0),
]

Clock = SettableClock

