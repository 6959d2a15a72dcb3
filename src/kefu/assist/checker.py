"""The reply checker: findings on an agent's draft before it is sent.

``check_reply`` flags the six categories of the contract (taxonomy §4): negative
language, absolute promises, blaming the customer, rudeness, curt replies and a 但是
that cancels praise. It is a phrase lexicon (Aho-Corasick, ``data/checker/*.tsv``) plus
small context rules (``checker_rules``) — fast enough for every keystroke pause and
explainable: each finding names its span and says how to put it better.

Spans are offsets into the text as given: the reply is normalised with
``normalize_aligned`` (Traditional → Simplified, full-width → half-width, one character
for one), so a span found in the normalised text is the same span in the original.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kefu.assist import checker_rules
from kefu.assist.checker_eval import CheckerReport, evaluate_replies
from kefu.assist.checker_lexicon import Lexicon, LexiconEntry, build_automaton, load_lexicon
from kefu.assist.dataset import load_replies
from kefu.assist.labels import FINDING_CATEGORIES, SEVERITIES
from kefu.assist.text import MAX_TEXT_CHARS, normalize_aligned, to_simplified

SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2}
# The same full-width → half-width map as text.normalize_aligned, as one str.translate
# table: the per-character generator there costs a third of the check on real lines.
FULL_TO_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
CURT_TRIM = frozenset("。，,.!！?？、… \t\r\n\u3000")
OH_TOKENS = frozenset("哦噢喔")
# Findings that sit inside a blame or rude span are part of that worse finding:
# 您肯定弄混了 is blame, not also a promise.
SUBSUMED_BY_WORSE = {"negative", "absolute"}

NEGATIVE_TOPICS: dict[str, tuple[str, ...]] = {
    "price": ("价", "便宜", "优惠", "折", "砍", "抹零", "少点", "包邮", "运费", "券"),
    "invoice": ("发票", "开票"),
    "return": ("退", "换", "售后", "拆封", "保修"),
    "shipping": ("发货", "快递", "地址", "物流", "寄", "送", "到货", "配送", "拦截", "取消"),
}
NEGATIVE_SUGGESTIONS: dict[str, str] = {
    "price": "价格已经是活动价了呢，我帮您看看能不能申请一份小赠品～",
    "invoice": "发票这边我先帮您登记好，确认收货后就给您开出来发到邮箱，您看可以吗？",
    "return": "这个情况我先帮您申请换货或者售后检测，尽快给您一个满意的处理，您看可以吗？",
    "shipping": "我马上帮您联系仓库看看还能怎么调整，有结果第一时间告诉您～",
    "default": "说说我们能做的：先讲清原因，再给一个办法，比如「这个我帮您申请一下……，您看可以吗？」",
}
CURT_SUGGESTIONS = {
    "ack": "加上称呼和语气词，把话说完整，比如「好的呢，我这就帮您安排～」",
    "refusal": "先致歉，再说原因和能做的，比如「不好意思呢，因为……，我帮您申请……，您看可以吗？」",
}
BUT_SUGGESTION = (
    "把「但是」换成「如果……就更好了」，或者分成两句说，比如「可以开发票的，确认收货后就给您开好哦」"
)


@dataclass(frozen=True)
class Finding:
    """One problem in a reply: what, where (offsets into the reply as given), how bad, how to fix."""

    category: str
    start: int
    end: int
    text: str
    severity: str
    suggestion: str


@dataclass(frozen=True)
class ShopTerm:
    """A shop's own banned or discouraged phrase, checked like the shipped lexicon."""

    term: str
    category: str
    severity: str
    suggestion: str

    def __post_init__(self) -> None:
        if not self.term.strip():
            raise ValueError("a shop term needs some text")
        if self.category not in FINDING_CATEGORIES:
            raise ValueError(f"unknown finding category {self.category!r}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")


def check_reply(text: str, *, extra_terms: Sequence[ShopTerm] = ()) -> list[Finding]:
    """Findings for an agent's draft reply, in reading order ([] for a good reply).

    Only the first ``MAX_TEXT_CHARS`` characters are checked; offsets always refer to
    ``text`` exactly as given, also for Traditional or full-width input.
    """
    text = text[:MAX_TEXT_CHARS]
    if not text.strip():
        return []
    lexicon = load_lexicon()
    normalized = _aligned(text)
    candidates = _lexicon_findings(text, normalized, lexicon)
    if extra_terms:
        candidates += _shop_term_findings(text, normalized, tuple(extra_terms))
    curt = _curt_finding(text, normalized, lexicon)
    if curt is not None:
        candidates = [_harden_bare_refusal(finding) for finding in candidates]
        candidates.append(curt)
    return _resolve(candidates)


def _aligned(text: str) -> str:
    """What normalize_aligned gives, faster, and never of a different length.

    str.lower can grow a few letters (İ) and OpenCC can rarely change a length; then we
    fall back to normalize_aligned, character by character, so offsets stay true.
    """
    narrowed = text.translate(FULL_TO_HALF_WIDTH).lower()
    if len(narrowed) == len(text):
        simplified = to_simplified(narrowed)
        if len(simplified) == len(text):
            return simplified
    return "".join(n if len(n := normalize_aligned(char)) == 1 else char for char in text)


def _lexicon_findings(text: str, normalized: str, lexicon: Lexicon) -> list[Finding]:
    findings: list[Finding] = []
    for last, entries in lexicon.automaton.iter(normalized):
        for entry in entries:
            start = last - len(entry.phrase) + 1
            end = last + 1
            if _confirmed(entry, normalized, start, end, lexicon):
                suggestion = entry.suggestion or _default_suggestion(entry, normalized, start, end)
                findings.append(
                    Finding(entry.category, start, end, text[start:end], entry.severity, suggestion)
                )
    return findings


def _confirmed(
    entry: LexiconEntry, normalized: str, start: int, end: int, lexicon: Lexicon
) -> bool:
    if entry.category == "negative":
        return checker_rules.is_refusal(
            normalized, start, end, modal=entry.rule == "modal", lexicon=lexicon
        )
    if entry.category == "absolute" and entry.rule == "intensifier":
        return checker_rules.is_absolute_promise(normalized, start, end, lexicon)
    if entry.category == "blame":
        return checker_rules.is_blame(normalized, start, end, entry.rule, lexicon)
    if entry.category == "but":
        return checker_rules.is_cancelling_but(normalized, start, end, lexicon)
    return True


def _default_suggestion(entry: LexiconEntry, normalized: str, start: int, end: int) -> str:
    if entry.category == "but":
        return BUT_SUGGESTION
    left, right = checker_rules.clause_bounds(normalized, start, end)
    topic = checker_rules.topic_of(normalized[left:right], NEGATIVE_TOPICS)
    if topic == "default":
        topic = checker_rules.topic_of(normalized, NEGATIVE_TOPICS)
    return NEGATIVE_SUGGESTIONS[topic]


@functools.lru_cache(maxsize=64)
def _shop_automaton(terms: tuple[ShopTerm, ...]) -> Any:
    entries = [
        LexiconEntry(_aligned(term.term), term.category, term.severity, "shop", term.suggestion)
        for term in terms
    ]
    return build_automaton(entries)


def _shop_term_findings(text: str, normalized: str, terms: tuple[ShopTerm, ...]) -> list[Finding]:
    findings: list[Finding] = []
    for last, entries in _shop_automaton(terms).iter(normalized):
        for entry in entries:
            start = last - len(entry.phrase) + 1
            findings.append(
                Finding(
                    entry.category,
                    start,
                    last + 1,
                    text[start : last + 1],
                    entry.severity,
                    entry.suggestion,
                )
            )
    return findings


def _curt_finding(text: str, normalized: str, lexicon: Lexicon) -> Finding | None:
    """The whole reply is only acknowledgement or refusal tokens, with no softener."""
    start, end = 0, len(text)
    while start < end and normalized[start] in CURT_TRIM:
        start += 1
    while end > start and normalized[end - 1] in CURT_TRIM:
        end -= 1
    if end - start > 24:
        return None  # a curt reply is a few characters long
    core = "".join(char for char in normalized[start:end] if char not in CURT_TRIM)
    if not core or len(core) > 12:
        return None
    if any(char in OH_TOKENS for char in core) and not all(char in OH_TOKENS for char in core):
        return None  # 好的哦: 哦 after a word softens it; a bare 哦 is curt
    kinds = _curt_segmentation(core, lexicon)
    if kinds is None:
        return None
    kind = "refusal" if "refusal" in kinds else "ack"
    return Finding(
        "curt",
        start,
        end,
        text[start:end],
        "medium" if kind == "refusal" else "low",
        CURT_SUGGESTIONS[kind],
    )


def _curt_segmentation(core: str, lexicon: Lexicon) -> set[str] | None:
    """The token kinds if core splits wholly into curt tokens (longest first), else None."""
    kinds: set[str] = set()
    position = 0
    while position < len(core):
        for length in range(min(lexicon.longest_curt_token, len(core) - position), 0, -1):
            token = core[position : position + length]
            kind = lexicon.curt_tokens.get(token)
            if kind is not None and not (position == 0 and token in ("的", "了")):
                kinds.add(kind)
                position += length
                break
        else:
            return None
    return kinds


def _harden_bare_refusal(finding: Finding) -> Finding:
    """A bare refusal (不行。) is the worst kind of negative language."""
    if finding.category != "negative":
        return finding
    return Finding(
        finding.category, finding.start, finding.end, finding.text, "high", finding.suggestion
    )


def _resolve(candidates: list[Finding]) -> list[Finding]:
    """Merge touching hits of one category (嫌贵+就别买); drop hits inside a blame/rude span."""
    worse = [f for f in candidates if f.category in ("blame", "rude")]
    kept = [
        finding
        for finding in candidates
        if not (
            finding.category in SUBSUMED_BY_WORSE
            and any(w.start <= finding.start and finding.end <= w.end for w in worse)
        )
    ]
    merged: list[Finding] = []
    for finding in sorted(kept, key=lambda f: (f.category, f.start, -(f.end - f.start))):
        previous = merged[-1] if merged else None
        if previous and previous.category == finding.category and finding.start <= previous.end:
            merged[-1] = _union(previous, finding)
        else:
            merged.append(finding)
    return sorted(merged, key=lambda f: (f.start, SEVERITY_RANK[f.severity], f.category))


def _union(first: Finding, second: Finding) -> Finding:
    end = max(first.end, second.end)
    severity = min(first.severity, second.severity, key=SEVERITY_RANK.__getitem__)
    longer = first if first.end - first.start >= second.end - second.start else second
    text = first.text + second.text[first.end - second.start :] if end > first.end else first.text
    return Finding(first.category, first.start, end, text, severity, longer.suggestion)


def evaluate_checker(split: str = "dev") -> CheckerReport:
    """Per-category precision/recall/F1 and the false-alarm rate on a split of the labelled replies."""
    if split not in ("train", "dev", "all"):
        raise ValueError(f"unknown split {split!r}")
    report, _ = evaluate_replies(load_replies(split))  # type: ignore[arg-type]
    report["split"] = split
    return report
