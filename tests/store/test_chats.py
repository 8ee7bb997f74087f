"""Chats and subscriptions."""

from __future__ import annotations

import datetime as dt

from bot.store import ChatRef, Store

NOW = dt.datetime(2026, 2, 20, 8, 0, tzinfo=dt.UTC)


async def test_ensure_creates_chat_once(store: Store) -> None:
    first = await store.chats.ensure(ChatRef("telegram", "-100"), kind="supergroup", now=NOW)
    second = await store.chats.ensure(ChatRef("telegram", "-100"), kind="supergroup", now=NOW)
    assert first.pk == second.pk
    assert second.kind == "supergroup"
    assert second.active is True


async def test_same_chat_id_on_two_platforms_is_two_chats(store: Store) -> None:
    telegram = await store.chats.ensure(ChatRef("telegram", "C1"), kind="private", now=NOW)
    slack = await store.chats.ensure(ChatRef("slack", "C1"), kind="channel", now=NOW)
    assert telegram.pk != slack.pk


async def test_subscriptions_listed_in_creation_order(store: Store) -> None:
    chat = await store.chats.ensure(ChatRef("telegram", "1"), kind="private", now=NOW)
    for rule in ("org:Google", "tag:Viral", "score>=35"):
        await store.chats.add_subscription(chat.pk, rule, thread_id=None, now=NOW)
    rules = [sub.rule for sub in await store.chats.subscriptions(chat.pk)]
    assert rules == ["org:Google", "tag:Viral", "score>=35"]


async def test_remove_all_subscriptions_returns_count(store: Store) -> None:
    chat = await store.chats.ensure(ChatRef("telegram", "1"), kind="private", now=NOW)
    await store.chats.add_subscription(chat.pk, "all", thread_id=None, now=NOW)
    await store.chats.add_subscription(chat.pk, "org:Meta", thread_id="5", now=NOW)
    removed = await store.chats.remove_all_subscriptions(chat.pk)
    assert removed == 2
    assert await store.chats.subscriptions(chat.pk) == []


async def test_active_subscriptions_exclude_paused_chats(store: Store) -> None:
    active = await store.chats.ensure(ChatRef("telegram", "1"), kind="private", now=NOW)
    paused = await store.chats.ensure(ChatRef("telegram", "2"), kind="private", now=NOW)
    await store.chats.add_subscription(active.pk, "all", thread_id=None, now=NOW)
    await store.chats.add_subscription(paused.pk, "all", thread_id=None, now=NOW)
    await store.chats.set_active(paused.pk, active=False, reason="bot was blocked by the user")
    pairs = await store.chats.active_subscriptions()
    assert [chat.ref.chat_id for chat, _ in pairs] == ["1"]


async def test_move_keeps_subscriptions(store: Store) -> None:
    chat = await store.chats.ensure(ChatRef("telegram", "-1"), kind="group", now=NOW)
    await store.chats.add_subscription(chat.pk, "all", thread_id=None, now=NOW)
    await store.chats.move(chat.pk, "-1001")
    moved = await store.chats.find(ChatRef("telegram", "-1001"))
    assert moved is not None
    assert moved.pk == chat.pk
    assert await store.chats.find(ChatRef("telegram", "-1")) is None
    assert len(await store.chats.subscriptions(moved.pk)) == 1
