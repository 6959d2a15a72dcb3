"""Reading cues in a customer message: placeholders, negations and a small lexicon.

The classifier learns most of what it knows from character n-grams of our own
data. This module adds what a lexicon does better than a few thousand examples:

- one placeholder per kind of thing that carries no words of its own (masked
  data like ``[订单x]``, Taobao emoticons like ``[微笑]``, emoji, digit runs),
  so ``别家才卖80`` and ``别家才25`` share their n-grams;
- negated cue words are masked (``不贵``, ``没觉得贵``, ``不用担心``) so the bare
  character ``贵`` cannot pull a reassurance towards a price objection;
- lexicon categories (``data/cues/*.txt``) fire grouped features, so a cue word
  that is rare in our data (``拼多多``) still borrows the weight its category
  learned from the common ones.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kefu.assist.text import normalize

CUES_DIR = Path(__file__).parent / "data" / "cues"

# Stand-in characters (Private Use Area): each reads as one token to n-grams and jieba.
MASKED = "\ue000"
DIGITS = "\ue001"
LINK = "\ue002"
MOODS = ("pos", "laugh", "sad", "angry", "doubt", "other")
MOOD_CHARS = {mood: chr(0xE010 + index) for index, mood in enumerate(MOODS)}
NEGATABLE: dict[str, tuple[str, ...]] = {
    # cue kind -> words whose meaning flips behind a negator (longest first)
    "price_high": ("价格偏高", "价格高", "贵"),
    "worry": ("担心", "担忧", "害怕", "怕"),
    "anger": ("生气", "发火", "火大"),
    "hurry": ("着急", "急"),
    "indecision": ("纠结", "犹豫"),
    "pleasure": ("满意", "喜欢", "好看", "好用", "舒服", "开心"),
    "problem": ("问题",),
}
NEGATED_CHARS = {kind: chr(0xE020 + index) for index, kind in enumerate(NEGATABLE)}
# Price protection (价保 / 价格保护 / 保价 / 补差价): a refund request after a price drop,
# or shipping insurance, never a price objection; one stand-in keeps its 价 from
# reading as price talk (on JD chats these were read as price objections).
PRICE_GUARD = "\ue030"
_PRICE_GUARD = re.compile("价格保护|价保|保价|[补退]?差价")

READABLE = {
    MASKED: "〈掩码〉",
    DIGITS: "〈数字〉",
    LINK: "〈链接〉",
    **{char: f"〈表情:{mood}〉" for mood, char in MOOD_CHARS.items()},
    **{char: f"〈否定:{kind}〉" for kind, char in NEGATED_CHARS.items()},
    PRICE_GUARD: "〈价保〉",
    "\x02": "^",
    "\x03": "$",
}

_MASK_TOKEN = re.compile(r"\[[^\[\]\s]{1,8}x\]")
# Order cards and "sent from the web widget" banners that chat clients paste in: data,
# not words the customer wrote (a bare card is `other`, like a bare [订单x]).
_ORDER_CARD = re.compile(
    "\\[订单编号:[^\\[\\]]*\\]"
    f"|订单编号: ?{MASKED} ?订单金额: ?¥?{MASKED}(?: ?下单时间: ?{MASKED}(?: ?{MASKED})?)?"
)
_WIDGET_BANNER = re.compile(f"顾客通过点击web咚咚{MASKED}?信息发送:")
_EMOTICON = re.compile(r"\[([^\[\]\s]{1,5})\]|/:([a-z]{1,8})")
_LINK = re.compile(r"(?:https?://|www\.)\S+")
_DIGIT_RUN = re.compile(r"\d+(?:\.\d+)?")
_EXCLAIM_RUN = re.compile(r"!{2,}")
_LONE_EXCLAIM = re.compile(r"(?<!!)!(?!!)")
_QUESTION_RUN = re.compile(r"\?{2,}")
_LONG_RUN = re.compile(r"([!?.~。，,])\1{3,}")
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b50\u2764]\ufe0f?")
_NEGATOR = (
    "一点也不|一点都不|没觉得|不觉得|没感觉|并没有|没有|不用|不要|无需|不必|并不|不会|"
    "不算|毫不|从不|不|没|别"
)
_SOFTENER = "(?:太|很|算|是|那么|这么|怎么|觉得|感觉|会|有|用|再|多|咋|怎|大){0,2}"


@dataclass(frozen=True)
class PreparedText:
    """A message ready for features: the normalised character stream and the cues found."""

    chars: str
    cues: tuple[str, ...]


def _read_lines(path: Path) -> list[str]:
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


@functools.cache
def _mood_tables() -> tuple[dict[str, str], dict[str, str]]:
    def table(name: str) -> dict[str, str]:
        rows = (line.split("\t") for line in _read_lines(CUES_DIR / name))
        return {key.strip().lower(): mood.strip() for key, mood in rows}

    return table("emoticons.tsv"), table("emoji.tsv")


@functools.cache
def lexicon() -> dict[str, tuple[str, ...]]:
    """Cue category -> its phrases (normalised like the messages they are matched in)."""
    return {
        path.stem: tuple(normalize(line) for line in _read_lines(path))
        for path in sorted(CUES_DIR.glob("*.txt"))
    }


@functools.cache
def _automaton():  # type: ignore[no-untyped-def]
    import ahocorasick  # C extension: built once, on first use

    automaton = ahocorasick.Automaton()
    phrases: dict[str, list[str]] = {}
    for category, words in lexicon().items():
        for word in words:
            phrases.setdefault(word, []).append(category)
    for word, categories in phrases.items():
        automaton.add_word(word, tuple(categories))
    automaton.make_automaton()
    return automaton


@functools.cache
def _negation_pattern() -> re.Pattern[str]:
    words = sorted(
        ((word, kind) for kind, group in NEGATABLE.items() for word in group),
        key=lambda pair: -len(pair[0]),
    )
    alternatives = "|".join(re.escape(word) for word, _ in words)
    return re.compile(f"({_NEGATOR}){_SOFTENER}({alternatives})")


@functools.cache
def _kind_of_negatable() -> dict[str, str]:
    return {word: kind for kind, group in NEGATABLE.items() for word in group}


def _replace_moods(text: str, cues: list[str]) -> str:
    emoticons, emoji = _mood_tables()

    def emoticon(match: re.Match[str]) -> str:
        name = (match.group(1) or match.group(2) or "").lower()
        mood = emoticons.get(name)
        if mood is None:
            return match.group(0)
        cues.append(f"mood:{mood}")
        return MOOD_CHARS[mood]

    def emoji_char(match: re.Match[str]) -> str:
        mood = emoji.get(match.group(0).rstrip("\ufe0f"), "other")
        cues.append(f"mood:{mood}")
        return MOOD_CHARS[mood]

    return _EMOJI.sub(emoji_char, _EMOTICON.sub(emoticon, text))


def _mask_negations(text: str, cues: list[str]) -> str:
    kinds = _kind_of_negatable()

    def negated(match: re.Match[str]) -> str:
        start = match.start()
        # 贵不贵 / 会不会太贵 / 是不是很贵: an A-not-A question, not a negation
        if start > 0 and len(text) > start + 1 and text[start - 1] == text[start + 1]:
            return match.group(0)
        if start > 0 and text[start - 1] in "会是有要算" and match.group(1) in ("不", "没"):
            return match.group(0)
        kind = kinds[match.group(2)]
        cues.append(f"negated:{kind}")
        return match.group(0)[: -len(match.group(2))] + NEGATED_CHARS[kind]

    return _negation_pattern().sub(negated, text)


def _scan_lexicon(text: str, cues: list[str]) -> None:
    for _end, categories in _automaton().iter(text):
        cues.extend(f"cue:{category}" for category in categories)


def _count_runs(pattern: re.Pattern[str], name: str, text: str, cues: list[str]) -> None:
    for match in pattern.finditer(text):
        cues.append(name if len(match.group(0)) < 3 else f"{name}3")


def prepare(text: str, *, normalizer: Callable[[str], str] = normalize) -> PreparedText:
    """Normalise a message and pull out its cues (see the module docstring)."""
    cues: list[str] = []
    try:
        chars = normalizer(text)
    except UnicodeEncodeError:  # lone surrogates (broken emoji from some clients)
        chars = normalizer(text.encode("utf-8", "replace").decode("utf-8"))
    chars = _MASK_TOKEN.sub(MASKED, chars)
    chars = _ORDER_CARD.sub(MASKED, _WIDGET_BANNER.sub(" ", chars))
    chars = _LINK.sub(LINK, chars)
    chars = _replace_moods(chars, cues)
    chars = _LONG_RUN.sub(r"\1\1\1", chars)
    _count_runs(_EXCLAIM_RUN, "shape:exclaim", chars, cues)
    _count_runs(_QUESTION_RUN, "shape:questions", chars, cues)
    # One "!" is how many real customers end any sentence (你好! 好的!); only runs
    # of them carry heat, so a lone one is dropped (as a full stop it learned anger).
    chars = _LONE_EXCLAIM.sub("", chars)
    chars = _mask_negations(chars, cues)
    if _PRICE_GUARD.search(chars):
        cues.append("topic:price_guard")
        chars = _PRICE_GUARD.sub(PRICE_GUARD, chars)
    _scan_lexicon(chars, cues)
    chars = _DIGIT_RUN.sub(DIGITS, chars)
    chars = "".join(ch for ch in chars if unicodedata.category(ch) != "Cc")
    return PreparedText(chars=chars, cues=tuple(cues))


def readable(feature: str) -> str:
    """A feature name with its stand-in characters spelled out, for evidence."""
    return "".join(READABLE.get(ch, ch) for ch in feature)
