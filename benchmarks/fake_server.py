"""Run the tests' fake Bot API server on 127.0.0.1 with Telegram-style limits, for benchmarks.

Started by ``fanout.py`` as its own process. It prints one JSON line with its base URL,
then reads commands from stdin, one per line: ``stats`` prints a JSON line of counts and
``quit`` stops it. It also stops when stdin closes or after ``--max-seconds``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fakes.telegram_api import FakeTelegram


def _stats(fake: FakeTelegram) -> dict[str, object]:
    sends = [message.time for message in fake.sent]
    limited = sum(1 for rejection in fake.rejected if rejection.error_code == 429)
    per_second = [0] * (int(sends[-1] - sends[0]) + 1 if sends else 0)
    for sent_at in sends:
        per_second[int(sent_at - sends[0])] += 1
    return {
        "per_second": per_second,
        "accepted": len(sends),
        "rate_limited": limited,
        "other_errors": len(fake.rejected) - limited,
        "first": sends[0] if sends else None,
        "last": sends[-1] if sends else None,
        "server_cpu_seconds": time.process_time(),
    }


async def _serve(args: argparse.Namespace) -> None:
    fake = FakeTelegram()
    fake.enable_rate_limits(per_chat_per_second=args.per_chat, per_chat_burst=args.burst,
                            global_per_second=args.global_rate)
    await fake.start()
    print(json.dumps({"base_url": fake.base_url, "token": fake.token}), flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    try:
        async with asyncio.timeout(args.max_seconds):
            while line := (await reader.readline()).decode().strip():
                if line == "stats":
                    print(json.dumps(_stats(fake)), flush=True)
                elif line == "quit":
                    break
    finally:
        await fake.stop()


def main() -> None:
    """Parse the limits to enforce and serve until ``quit``, end of input or the time limit."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-chat", type=float, default=1.0,
                        help="messages a second per chat (default 1)")
    parser.add_argument("--burst", type=int, default=1,
                        help="messages a chat may send at once (default 1: strict)")
    parser.add_argument("--global-rate", type=float, default=100.0,
                        help="messages a second overall (default 100)")
    parser.add_argument("--max-seconds", type=float, default=3600.0,
                        help="stop after this many seconds whatever happens (default 3600)")
    asyncio.run(_serve(parser.parse_args()))


if __name__ == "__main__":
    main()
