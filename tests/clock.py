"""A clock for tests: it returns the time it was last set to."""

from __future__ import annotations

import datetime as dt


class SettableClock:
    """A clock that tests move by hand, as ``clock.now = …``."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now
