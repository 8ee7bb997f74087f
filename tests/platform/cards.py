"""Papers and translators for the card renderer tests."""

from __future__ import annotations

import gettext
import operator
from typing import Any

from hypothesis import strategies as st

from bot.i18n import Translator
from bot.parser.models import Paper

# Every hazard a digest value is known to carry: markup characters, entities, CJK,
# astral emoji (surrogate pairs in UTF-16), a ZWJ sequence and a combining accent.
HAZARDS = "p<0.0001 & R&D <b>bold?</b> &amp; &foo; 统一潜变量 😀 👨‍👩‍👧 é \"q\" 'a' > _x_ "


def make_paper(**overrides: Any) -> Paper:
    """Return a complete paper with arXiv id, overridden by ``overrides``."""
    values: dict[str, Any] = {
        "rank": 3,
        "featured": False,
        "title_zh": "统一潜变量 (UL)：潜变量训练指南",
        "title_en": "Unified Latents (UL): How to train your latents",
        "url": "https://arxiv.org/abs/2602.17270",
        "arxiv_id": "2602.17270",
        "org": "Google",
        "score": 36.84,
        "tags": ["Frontier Lab"],
        "upvotes": 21,
        "stars": 4,
        "summary": "该研究提出统一潜变量(UL)框架。",
        "highlights": ["提出扩散先验", "刷新FVD SOTA记录"],
    }
    values.update(overrides)
    return Paper(**values)


class CatalogTranslations(gettext.NullTranslations):
    """In-memory translations, so label tests do not depend on the shipped catalogs."""

    def __init__(self, messages: dict[str, str]) -> None:
        super().__init__()
        self._messages = messages

    def gettext(self, message: str) -> str:
        return self._messages.get(message, message)


def chinese_translator() -> Translator:
    """Return a translator with the Chinese card labels."""
    return Translator("zh", CatalogTranslations({
        "Organization": "组织", "Score": "得分", "Tags": "标签", "Upvotes": "点赞",
        "Stars": "星标", "Summary": "摘要", "Highlights": "亮点", "Paper link": "论文链接",
    }))


_short_texts = st.text()
# Long values are built by repetition, which Hypothesis draws much faster than long text.
_long_texts = st.builds(operator.mul, st.text(min_size=1, max_size=12), st.integers(200, 1500))
any_text = st.one_of(_short_texts, _long_texts)

papers = st.builds(
    Paper,
    rank=st.integers(1, 10_000),
    featured=st.booleans(),
    title_zh=st.none() | any_text,
    title_en=any_text,
    url=st.none() | st.just("https://example.org/paper") | _short_texts,
    arxiv_id=st.none() | st.from_regex(r"\d{4}\.\d{4,5}", fullmatch=True) | _short_texts,
    org=any_text,
    score=st.floats(),
    tags=st.lists(any_text, max_size=4),
    upvotes=st.integers(0, 10**9),
    stars=st.integers(0, 10**9),
    summary=st.none() | any_text,
    highlights=st.lists(any_text, max_size=6),
)
