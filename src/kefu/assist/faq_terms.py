"""Key terms: does an FAQ entry talk about what the customer actually asks?

Sentence similarity says "this is about invoices"; it does not notice that the
customer wants a 增值税专用发票 when the entry only offers 电子普通发票, or asks about
paying by 微信 when the entry is about paying online. Those near-topic questions
share the entry's main word and differ in one specific word the entry never
mentions. This module weighs each content word of a message by how specific it
is — its part of speech, whether it is a generic shop-chat word (a background
list every shop shares), and how rare it is across this shop's FAQ (IDF) — and
then measures, per entry, which of the message's key terms the entry's questions
and answer leave unmentioned, and how much of the entry's own question the
message covers.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

_PUNCTUATION = re.compile(r"[\s，。？！?!,.、~～…;；:：()（）\[\]【】\"'“”]+")
# How much a word of each part of speech (rjieba/jieba tags, by first letter) says
# about the topic: things and attributes most, verbs less, particles nothing.
_POS_WEIGHT = {"n": 1.0, "v": 0.7, "a": 0.6, "e": 0.8, "m": 0.5, "t": 0.5, "l": 0.6, "i": 0.6}
_OTHER_POS_WEIGHT = 0.3
_GENERIC_WEIGHT = 0.15
_NUMBER = re.compile(r"^[0-9.]+$")
_IDF_CACHE_SIZE = 20_000


@dataclass(frozen=True)
class KeyTerm:
    word: str
    weight: float
    """How specific the word is, in (0, 1]."""


@functools.cache
def generic_words() -> frozenset[str]:
    """Words every shop's customers use that point at no FAQ entry in particular."""
    return frozenset(_read_words("generic_words.txt"))


@functools.cache
def synonym_groups() -> dict[str, frozenset[str]]:
    """word -> the other words customers use for the same thing (two characters or more)."""
    groups: dict[str, set[str]] = {}
    path = resources.files("kefu.assist") / "data" / "faq" / "synonyms.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        words = line.split("#", 1)[0].split()
        for word in words:
            # A one-character alternative (发, 装) would be "mentioned" by almost any text.
            groups.setdefault(word, set()).update(w for w in words if w != word and len(w) > 1)
    return {word: frozenset(others) for word, others in groups.items()}


def _read_words(name: str) -> list[str]:
    path = resources.files("kefu.assist") / "data" / "faq" / name
    lines = path.read_text(encoding="utf-8").splitlines()
    return [w for line in lines for w in line.split("#", 1)[0].split()]


def tagged_words(text: str) -> list[tuple[str, str]]:
    """(word, part-of-speech tag) for the words of a normalised text, punctuation dropped."""
    import rjieba

    return [(w, tag) for w, tag in rjieba.tag(_PUNCTUATION.sub(" ", text)) if w.strip()]


def mentions(word: str, text: str) -> bool:
    """Whether `text` talks about `word`: the word itself, a synonym, or most of a compound.

    A long word also counts when most of its two-character parts are there
    (充电仓 / 充电, 含棉量 / 棉), so compounds and their parts meet.
    """
    if word in text:
        return True
    if any(other in text for other in synonym_groups().get(word, ())):
        return True
    if len(word) < 3:
        return False
    pairs = [word[i : i + 2] for i in range(len(word) - 1)]
    return sum(p in text for p in pairs) * 2 >= len(pairs)


class ShopTerms:
    """Term specificity for one shop, and per-entry key-term coverage of a message."""

    def __init__(self, entry_texts: Sequence[str], entry_questions: Sequence[Sequence[str]]):
        self._entry_texts = list(entry_texts)
        self._shop_text = " ".join(entry_texts)
        count = len(entry_texts)
        self._log_count = math.log(count + 1)
        self._idf_cache: dict[str, float] = {}
        # Each entry question's own key terms, for "how much of the entry does the message say".
        self._question_terms = [
            [self.key_terms(q) for q in questions] for questions in entry_questions
        ]

    def idf(self, word: str) -> float:
        """1.0 for a word no entry mentions, near 0 for one every entry mentions."""
        cached = self._idf_cache.get(word)
        if cached is None:
            if not mentions(word, self._shop_text):
                cached = 1.0  # the usual case for a customer's unusual word: no scan needed
            else:
                df = sum(mentions(word, t) for t in self._entry_texts)
                cached = math.log((len(self._entry_texts) + 1) / (df + 1)) / self._log_count
            if len(self._idf_cache) >= _IDF_CACHE_SIZE:  # customers' words never run out
                self._idf_cache.clear()
            self._idf_cache[word] = cached
        return cached

    def key_terms(self, text: str) -> list[KeyTerm]:
        terms = []
        generic = generic_words()
        for word, tag in tagged_words(text):
            if word in generic:
                # One-character generic words (吗, 的, 买) say nothing at all.
                weight = _GENERIC_WEIGHT if len(word) > 1 else 0.0
            elif _NUMBER.match(word):
                weight = _GENERIC_WEIGHT
            else:
                weight = _POS_WEIGHT.get(tag[:1], _OTHER_POS_WEIGHT)
            if weight > 0.0:
                terms.append(KeyTerm(word, weight * (0.4 + 0.6 * self.idf(word))))
        return terms

    def features(
        self, text: str, candidates: Sequence[int]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """Per entry: share of the message's key terms it mentions, weight of the most
        specific term it leaves out, best share of one of its questions the message
        covers; and the share of the message no entry of the shop mentions.

        Only `candidates` (the entries the similarities put first) are looked at, so
        the cost does not grow with the FAQ; the others get the values of an entry
        that mentions nothing (they are not going to win anyway).
        """
        import numpy as np

        count = len(self._entry_texts)
        covered = np.zeros(count)
        missing = np.ones(count)
        entry_side = np.zeros(count)
        terms = self.key_terms(text)
        if not terms:
            covered[list(candidates)] = 1.0
            missing[list(candidates)] = 0.0
            return covered, missing, entry_side, 0.0
        total = sum(t.weight for t in terms)
        for entry in candidates:
            entry_text = self._entry_texts[entry]
            hits = [mentions(t.word, entry_text) for t in terms]
            covered[entry] = (
                sum(t.weight for t, hit in zip(terms, hits, strict=True) if hit) / total
            )
            missing[entry] = max(
                (t.weight for t, hit in zip(terms, hits, strict=True) if not hit), default=0.0
            )
            entry_side[entry] = max(_share_said(q, text) for q in self._question_terms[entry])
        unknown = sum(t.weight for t in terms if not mentions(t.word, self._shop_text)) / total
        return covered, missing, entry_side, unknown


def _share_said(question_terms: Sequence[KeyTerm], text: str) -> float:
    total = sum(t.weight for t in question_terms)
    if total == 0.0:
        return 0.0
    return sum(t.weight for t in question_terms if mentions(t.word, text)) / total
