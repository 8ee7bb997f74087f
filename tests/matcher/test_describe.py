"""Tests for restating a rule in words, in English and Simplified Chinese."""

from __future__ import annotations

import gettext

import pytest

from bot.i18n import Translator, get_translator
from bot.matcher import filters
from bot.matcher.describe import describe_rule
from bot.matcher.filters import parse_rule

# The Chinese translations proposed for the catalog. The describe tests use them through
# an in-memory catalog, so they do not depend on when the .po file gains them.
ZH = {
    "all papers": "全部论文",
    "papers {conditions}": "{conditions}的论文",
    "from {names}": "来自 {names}",
    "not from {names}": "不来自 {names}",
    "tagged {values}": "标签为{values}",
    "not tagged {values}": "标签不是{values}",
    "mentioning {values}": "提及{values}",
    "not mentioning {values}": "未提及{values}",
    "with score {operator} {value}": "得分 {operator} {value}",
    "with upvotes {operator} {value}": "点赞数 {operator} {value}",
    "with stars {operator} {value}": "星标数 {operator} {value}",
    '"{value}"': "「{value}」",
    "{names} or {name}": "{names} 或 {name}",
    "{names}, {name}": "{names}、{name}",
    "{names}, or {name}": "{names} 或 {name}",
    "{values} or {value}": "{values}或{value}",
    "{values}, {value}": "{values}、{value}",
    "{values}, or {value}": "{values}或{value}",
    "{conditions} and {condition}": "{conditions}、且{condition}",
    "{conditions}, {condition}": "{conditions}、{condition}",
    "{conditions}, and {condition}": "{conditions}、且{condition}",
    filters.EMPTY_RULE: "筛选条件为空。",
    filters.UNKNOWN_KEY: "未知的键“{key}”。可用的键：{keys}。",
    filters.MISSING_KEY: "冒号前缺少键。可用的键：{keys}。",
    filters.EMPTY_VALUE: "“{key}:”的冒号后需要填写值。",
    filters.EMPTY_QUOTES: "引号中没有内容。",
    filters.UNCLOSED_QUOTE: "引号没有闭合。",
    filters.TEXT_AFTER_QUOTE: "右引号后必须有空格。",
    filters.LONE_MINUS: "减号后必须紧跟一个条件。",
    filters.NO_ORG_WORDS: "机构名称至少需要包含一个字母或数字。",
    filters.UNKNOWN_FIELD: "未知的字段“{field}”。可比较的字段：{fields}。",
    filters.MISSING_FIELD: "“{operator}”前缺少字段。可比较的字段：{fields}。",
    filters.BAD_OPERATOR: "无效的运算符“{operator}”。请使用：{operators}。",
    filters.MISSING_NUMBER: "“{operator}”后缺少数字。",
    filters.BAD_NUMBER: "“{value}”不是数字。",
    filters.ALL_COMBINED: "“all”表示全部论文，不能与其他条件组合。",
    filters.ALL_NEGATED: "“all”不能取反。",
}


class DictTranslations(gettext.NullTranslations):
    """Catalog kept in a dict. An unknown id is returned unchanged, as gettext does."""

    def __init__(self, messages: dict[str, str]) -> None:
        super().__init__()
        self.messages = messages

    def gettext(self, message: str) -> str:
        return self.messages.get(message, message)


EN = Translator("en", gettext.NullTranslations())
ZH_TRANSLATOR = Translator("zh", DictTranslations(ZH))


@pytest.mark.parametrize(
    ("rule_text", "english", "chinese"),
    [
        pytest.param("all", "all papers", "全部论文", id="all"),
        pytest.param("Google", "papers from Google", "来自 Google的论文", id="one-org"),
        pytest.param(
            'org:Google org:Meta tag:"Frontier Lab" score>=35 -tag:Viral',
            'papers from Google or Meta, tagged "Frontier Lab", with score ≥ 35, '
            'and not tagged "Viral"',
            "来自 Google 或 Meta、标签为「Frontier Lab」、得分 ≥ 35、且标签不是「Viral」的论文",
            id="combined",
        ),
        pytest.param(
            "Amazon Google Meta",
            "papers from Amazon, Google, or Meta",
            "来自 Amazon、Google 或 Meta的论文",
            id="three-orgs",
        ),
        pytest.param(
            "Google score>=35",
            "papers from Google and with score ≥ 35",
            "来自 Google、且得分 ≥ 35的论文",
            id="two-conditions",
        ),
        pytest.param(
            'tag:Viral tag:"Super Lab" tag:"Must Read"',
            'papers tagged "Must Read", "Super Lab", or "Viral"',
            "标签为「Must Read」、「Super Lab」或「Viral」的论文",
            id="three-tags",
        ),
        pytest.param(
            "kw:diffusion -kw:survey",
            'papers mentioning "diffusion" and not mentioning "survey"',
            "提及「diffusion」、且未提及「survey」的论文",
            id="keywords",
        ),
        pytest.param(
            "-Meta -Google",
            "papers not from Google or Meta",
            "不来自 Google 或 Meta的论文",
            id="negated-orgs",
        ),
        pytest.param(
            "upvotes>10 stars<=5 score=38.5",
            "papers with score = 38.5, with upvotes > 10, and with stars ≤ 5",
            "得分 = 38.5、点赞数 > 10、且星标数 ≤ 5的论文",
            id="comparisons",
        ),
        pytest.param(
            "-score<30 -upvotes>=10 -stars=0",
            "papers with score ≥ 30, with upvotes < 10, and with stars ≠ 0",
            "得分 ≥ 30、点赞数 < 10、且星标数 ≠ 0的论文",
            id="negated-comparisons-inverted",
        ),
    ],
)
def test_describe_rule(rule_text: str, english: str, chinese: str) -> None:
    rule = parse_rule(rule_text)
    assert describe_rule(rule, EN) == english
    assert describe_rule(rule, ZH_TRANSLATOR) == chinese


def test_describe_rule_keeps_value_braces_literal() -> None:
    assert describe_rule(parse_rule("kw:{value}"), EN) == 'papers mentioning "{value}"'


def test_zh_catalog_translates_matcher_messages() -> None:
    catalog = get_translator("zh")
    missing = [message for message in ZH if catalog.gettext(message) == message]
    if len(missing) == len(ZH):
        pytest.skip("the zh catalog does not contain the matcher messages yet")
    assert missing == []
