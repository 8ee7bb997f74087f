"""Fan-out benchmark: the bot's sender against the fake Bot API, beside two baselines.

Each phase runs in its own client process against a fresh fake Bot API process
(``fake_server.py``) that enforces one message a second per chat strictly (no burst)
and ``--rate`` messages a second overall, rejecting excess with 429 like Telegram:

- ``bot``: the real ``Sender`` and ``TelegramMessenger`` with SQLite ledger, paced by the
  bot's own limiter set to the same limits;
- ``ptb``: python-telegram-bot's ``ExtBot`` with ``AIORateLimiter`` at the same overall
  rate, all sends started at once in chat order and left to the limiter;
- ``httpx``: raw ``httpx`` POSTs of the same request bodies, paced by a plain timer in
  rounds over the chats (the floor for client CPU per message).

Every chat subscribes to every paper of the first ``--papers`` papers of the sample
digest. Reported per phase: messages accepted, achieved rate ÷ enforced rate (at the
fake, from first to last acceptance), 429 answers provoked, client CPU milliseconds
per delivered message and the client's peak RSS.

    .venv/bin/python benchmarks/fanout.py --chats 1000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SAMPLE = ROOT / "bot" / "data" / "sample" / "2026-02-20.md"
PHASES = ("bot", "ptb", "httpx")
FIRST_CHAT_ID = 1_000_000
HTTP_CONNECTIONS = 256


# -- client phases (run in their own process) -------------------------------------------

def _papers(count: int) -> list[Any]:
    from bot.parser.markdown import parse_file

    return list(parse_file(SAMPLE).papers[:count])


def _usage(started_cpu: float, started_wall: float) -> dict[str, float]:
    return {"cpu_seconds": time.process_time() - started_cpu,
            "wall_seconds": time.monotonic() - started_wall,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


async def _run_bot(args: argparse.Namespace) -> dict[str, Any]:
    from sqlalchemy import insert, select
    from telegram import Bot

    from bot.clock import utcnow
    from bot.delivery.planner import Planner
    from bot.delivery.ratelimit import Limits, RateLimiter, telegram_is_group
    from bot.delivery.sender import Sender
    from bot.matcher.orgs import OrgMatcher
    from bot.parser.models import Digest
    from bot.platform.telegram.messenger import TelegramMessenger
    from bot.store import Store
    from bot.store.schema import ChatRow, SubscriptionRow

    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(f"sqlite:///{folder}/bench.db")
        await store.db.connect()
        now = utcnow()
        async with store.db.session() as session, session.begin():
            await session.execute(insert(ChatRow), [
                {"platform": "telegram", "chat_id": str(FIRST_CHAT_ID + number),
                 "kind": "private", "active": True, "created_at": now}
                for number in range(args.chats)])
            pks = list(await session.scalars(select(ChatRow.id)))
            await session.execute(insert(SubscriptionRow), [
                {"chat_pk": pk, "rule": "all", "created_at": now} for pk in pks])
        digest = Digest(date=dt.date(2026, 2, 20), title="bench", papers=_papers(args.papers))
        await store.digests.save(digest, source="bench", now=now)
        planner = Planner(store=store, orgs=OrgMatcher.from_alias_file(None), clock=utcnow)
        queued = await planner.plan(digest)

        bot = Bot(args.token, base_url=args.base_url)
        await bot.initialize()
        limits = Limits(per_second=args.rate, per_chat_per_second=1, per_group_per_minute=20)
        messenger = TelegramMessenger(bot, limiter=RateLimiter(limits,
                                                               is_group=telegram_is_group))
        sender = Sender(store=store, messengers={"telegram": messenger}, clock=utcnow,
                        default_language="zh")
        started_cpu, started_wall = time.process_time(), time.monotonic()
        delivered = await sender.drain()
        usage = _usage(started_cpu, started_wall)
        states = await store.outbox.count_by_state()
        await bot.shutdown()
        await store.db.close()
    return {"queued": queued, "delivered": delivered, "states": states, **usage}


async def _run_ptb(args: argparse.Namespace) -> dict[str, Any]:
    from telegram import LinkPreviewOptions
    from telegram.constants import ParseMode
    from telegram.error import TelegramError
    from telegram.ext import AIORateLimiter, ExtBot

    from bot.i18n import get_translator
    from bot.platform.telegram.render import render_card

    t = get_translator("zh")
    cards = [render_card(paper, t=t) for paper in _papers(args.papers)]
    limiter = AIORateLimiter(overall_max_rate=args.rate, overall_time_period=1,
                             group_max_rate=20, group_time_period=60, max_retries=20)
    bot: ExtBot[None] = ExtBot(args.token, base_url=args.base_url, rate_limiter=limiter)
    await bot.initialize()
    delivered = failed = 0
    no_preview = LinkPreviewOptions(is_disabled=True)

    async def send(chat_id: int, index: int) -> None:
        nonlocal delivered, failed
        card = cards[index]
        try:
            await bot.send_message(chat_id=chat_id, text=card.text, parse_mode=ParseMode.HTML,
                                   reply_markup=card.reply_markup, link_preview_options=no_preview)
            delivered += 1
        except TelegramError:
            failed += 1

    started_cpu, started_wall = time.process_time(), time.monotonic()
    # Every send at once, chat by chat as the planner queues them: the rate limiter, not
    # the caller, decides when each goes out, which is how AIORateLimiter is meant to be used.
    await asyncio.gather(*(send(FIRST_CHAT_ID + number, index)
                           for number in range(args.chats) for index in range(len(cards))))
    usage = _usage(started_cpu, started_wall)
    await bot.shutdown()
    return {"delivered": delivered, "failed": failed, **usage}


async def _run_httpx(args: argparse.Namespace) -> dict[str, Any]:
    import httpx

    from bot.i18n import get_translator
    from bot.platform.telegram.render import render_card

    t = get_translator("zh")
    bodies = []
    for paper in _papers(args.papers):
        card = render_card(paper, t=t)
        markup = card.reply_markup.to_dict() if card.reply_markup is not None else None
        bodies.append({"text": card.text, "parse_mode": "HTML", "reply_markup": markup,
                       "link_preview_options": {"is_disabled": True}})
    url = f"{args.base_url}{args.token}/sendMessage"
    delivered = failed = 0
    limits = httpx.Limits(max_connections=HTTP_CONNECTIONS,
                          max_keepalive_connections=HTTP_CONNECTIONS)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def post(chat_id: int, body: dict[str, Any]) -> None:
            nonlocal delivered, failed
            response = await client.post(url, json={**body, "chat_id": chat_id})
            if response.json().get("ok"):
                delivered += 1
            else:
                failed += 1

        started_cpu, started_wall = time.process_time(), time.monotonic()
        tasks: set[asyncio.Task[None]] = set()
        interval = 1 / args.rate
        # Rounds over the chats, one paper per round: with at least ``rate`` chats, a
        # round takes a second or more, so no chat gets two messages within a second.
        order = [(FIRST_CHAT_ID + number, body) for body in bodies
                 for number in range(args.chats)]
        for index, (chat_id, body) in enumerate(order):
            delay = started_wall + index * interval - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(post(chat_id, body))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks)
        usage = _usage(started_cpu, started_wall)
    return {"delivered": delivered, "failed": failed, **usage}


def _client(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.WARNING)
    runner = {"bot": _run_bot, "ptb": _run_ptb, "httpx": _run_httpx}[args.phase]
    result = asyncio.run(runner(args))
    print(json.dumps(result), flush=True)


# -- orchestration ----------------------------------------------------------------------

@contextlib.asynccontextmanager
async def _fake_server(rate: float, max_seconds: float) -> AsyncIterator[
        tuple[asyncio.subprocess.Process, dict[str, str]]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "benchmarks" / "fake_server.py"), "--global-rate", str(rate),
        "--max-seconds", str(max_seconds), stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE)
    assert process.stdout is not None
    try:
        async with asyncio.timeout(30):
            info = json.loads(await process.stdout.readline())
        yield process, info
    finally:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()


async def _ask(process: asyncio.subprocess.Process, command: str) -> dict[str, Any]:
    assert process.stdin is not None
    assert process.stdout is not None
    process.stdin.write(f"{command}\n".encode())
    await process.stdin.drain()
    async with asyncio.timeout(60):
        result: dict[str, Any] = json.loads(await process.stdout.readline())
    return result


async def _phase(args: argparse.Namespace, phase: str) -> dict[str, Any]:
    # Three times the ideal duration, plus start-up: a bound, not an expectation.
    max_seconds = 3 * args.chats * args.papers / args.rate + 300
    async with _fake_server(args.rate, max_seconds + 60) as (server, info):
        client = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--phase", phase, "--base-url", info["base_url"],
            "--token", info["token"], "--chats", str(args.chats), "--papers", str(args.papers),
            "--rate", str(args.rate), stdout=asyncio.subprocess.PIPE)
        try:
            async with asyncio.timeout(max_seconds):
                output, _ = await client.communicate()
        finally:
            if client.returncode is None:
                client.kill()
                await client.wait()
        result: dict[str, Any] = json.loads(output.decode().strip().splitlines()[-1])
        fake = await _ask(server, "stats")
    span = (fake["last"] - fake["first"]) if fake["accepted"] > 1 else 0.0
    achieved = (fake["accepted"] - 1) / span if span > 0 else 0.0
    return {"phase": phase, "accepted": fake["accepted"], "rate_limited": fake["rate_limited"],
            "other_errors": fake["other_errors"], "achieved_per_second": achieved,
            "fraction_of_limit": achieved / args.rate,
            "cpu_ms_per_message": 1000 * result["cpu_seconds"] / max(1, fake["accepted"]),
            "per_second": fake["per_second"], "client": result}


def _machine() -> dict[str, str]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = subprocess.run(["free", "-h"], capture_output=True, text=True,  # noqa: S607
                            check=False).stdout.splitlines()
    return {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "nproc": str(os.cpu_count()), "cpu": model,
            "memory": memory[1] if len(memory) > 1 else "unknown",
            "python": platform.python_version()}


def _table(args: argparse.Namespace, rows: list[dict[str, Any]]) -> str:
    lines = [f"N = {args.chats} chats × {args.papers} papers = {args.chats * args.papers} "
             f"messages, enforced {args.rate:g}/s overall and 1/s per chat (no burst)", "",
             "| client | accepted | achieved/s | ÷ limit | 429s | other errors "
             "| CPU ms/msg | peak RSS MB | wall s |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in rows:
        client = row["client"]
        lines.append(
            f"| {row['phase']} | {row['accepted']} | {row['achieved_per_second']:.1f} "
            f"| {row['fraction_of_limit']:.3f} | {row['rate_limited']} | {row['other_errors']} "
            f"| {row['cpu_ms_per_message']:.2f} | {client['peak_rss_mb']:.0f} "
            f"| {client['wall_seconds']:.1f} |")
    return "\n".join(lines)


async def _orchestrate(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    for phase in args.phases.split(","):
        row = await _phase(args, phase)
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def main() -> None:
    """Run the phases named by ``--phases`` and print their table; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chats", type=int, default=1000, help="subscribed chats (default 1000)")
    parser.add_argument("--papers", type=int, default=6,
                        help="papers of the sample digest sent to each chat (default 6)")
    parser.add_argument("--rate", type=float, default=100.0,
                        help="overall messages a second, enforced and configured (default 100)")
    parser.add_argument("--phases", default=",".join(PHASES),
                        help="comma-separated phases to run (default bot,ptb,httpx)")
    parser.add_argument("--json-out", help="also write the results to this JSON file")
    parser.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        _client(args)
        return
    machine = _machine()
    print(json.dumps(machine), flush=True)
    rows = asyncio.run(_orchestrate(args))
    print(_table(args, rows), flush=True)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"machine": machine, "chats": args.chats,
                                                   "papers": args.papers, "rate": args.rate,
                                                   "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
