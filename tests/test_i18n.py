"""Message catalogs: every message id extracted from the code has a Chinese translation."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import get_translator, normalize_language

PACKAGE = Path(__file__).resolve().parents[1] / "bot"
KEYWORDS = {"gettext": None, "ngettext": (1, 2), "N_": None}


def _extracted_ids() -> set[str]:
    ids = set()
    for _, _, message, _, _ in extract_from_dir(PACKAGE, method_map=[("**.py", "python")],
                                                keywords=KEYWORDS):
        ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


def test_every_message_id_has_chinese_translation() -> None:
    with (PACKAGE / "i18n/locales/zh/LC_MESSAGES/messages.po").open("rb") as handle:
        catalog = read_po(handle)
    translated = {
        message.id[0] if isinstance(message.id, tuple) else message.id
        for message in catalog
        if message.id and (message.string[0] if isinstance(message.string, tuple)
                           else message.string)
    }
    assert sorted(_extracted_ids() - translated) == []


def test_placeholders_survive_translation() -> None:
    zh = get_translator("zh")
    assert zh.gettext("Subscribed: {rule}.", rule="X") == "已订阅：X。"
    assert zh.ngettext("Removed {n} subscription.", "Removed {n} subscriptions.", 3) == (
        "已删除 3 条订阅。")


def test_english_falls_back_to_message_id() -> None:
    en = get_translator("en")
    assert en.ngettext("Removed {n} subscription.", "Removed {n} subscriptions.", 1) == (
        "Removed 1 subscription.")


def test_normalize_language_accepts_common_spellings() -> None:
    assert normalize_language("zh-CN") == "zh"
    assert normalize_language("中文") == "zh"
    assert normalize_language("EN") == "en"
    assert normalize_language("fr") is None
