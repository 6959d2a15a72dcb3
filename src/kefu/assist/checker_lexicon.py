"""The reply checker's word lists (``data/checker/*.tsv``), loaded once into an automaton.

Each category file lists phrases with a severity, the context rule that confirms a hit
and a suggested rewrite; ``context.tsv`` holds the small word sets those rules read and
``curt.tsv`` the tokens a curt reply is made of. Shop owners and linguists edit the TSV
files, not the code.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHECKER_DATA_DIR = Path(__file__).parent / "data" / "checker"
LEXICON_CATEGORIES: tuple[str, ...] = ("negative", "absolute", "blame", "rude", "but")
CONTEXT_KINDS: tuple[str, ...] = (
    "service",
    "first_person",
    "offer",
    "offer_verb",
    "effort",
    "adjective",
    "conditional",
    "probable",
    "instruction",
    "kind_positive",
    "negative_fact",
    "concession",
)


@dataclass(frozen=True)
class LexiconEntry:
    """One phrase of a category file: what it flags and how to say it better."""

    phrase: str
    category: str
    severity: str
    rule: str
    suggestion: str


@dataclass(frozen=True)
class Lexicon:
    """Everything the checker reads: the phrase automaton, context words and curt tokens."""

    automaton: Any  # ahocorasick.Automaton: value = tuple of LexiconEntry for that phrase
    context: Mapping[str, tuple[str, ...]]
    curt_tokens: Mapping[str, str]  # token -> "ack" | "refusal"
    longest_curt_token: int
    offer_pattern: re.Pattern[str]  # groups: can (可以), word (建议…), action (帮您申请…)


def _rows(path: Path, columns: int) -> Iterator[list[str]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            cells = line.split("\t")
            if len(cells) < columns:
                raise ValueError(f"{path.name}:{number}: expected {columns} tab-separated columns")
            yield [cell.strip() for cell in cells]


def read_entries(directory: Path = CHECKER_DATA_DIR) -> list[LexiconEntry]:
    """All phrase entries of the category files, in file order."""
    entries: list[LexiconEntry] = []
    for category in LEXICON_CATEGORIES:
        for phrase, severity, rule, *rest in _rows(directory / f"{category}.tsv", 3):
            if severity not in ("high", "medium", "low"):
                raise ValueError(f"{category}.tsv: bad severity {severity!r} for {phrase!r}")
            suggestion = rest[0] if rest else ""
            entries.append(LexiconEntry(phrase, category, severity, rule, suggestion))
    return entries


def build_automaton(entries: list[LexiconEntry]) -> Any:
    """An Aho-Corasick automaton from phrase to every entry of that phrase."""
    import ahocorasick  # C extension; loaded with the lexicon, not at import

    by_phrase: dict[str, list[LexiconEntry]] = defaultdict(list)
    for entry in entries:
        by_phrase[entry.phrase].append(entry)
    automaton = ahocorasick.Automaton()
    for phrase, phrase_entries in by_phrase.items():
        automaton.add_word(phrase, tuple(phrase_entries))
    automaton.make_automaton()
    return automaton


@functools.cache
def load_lexicon() -> Lexicon:
    """The shipped lexicon, built on first use and kept for the process."""
    context: dict[str, list[str]] = {kind: [] for kind in CONTEXT_KINDS}
    for kind, word in _rows(CHECKER_DATA_DIR / "context.tsv", 2):
        if kind not in context:
            raise ValueError(f"context.tsv: unknown kind {kind!r}")
        context[kind].append(word)
    curt_tokens = {token: kind for token, kind in _rows(CHECKER_DATA_DIR / "curt.tsv", 2)}
    # longest first, so a prefix test or an alternation finds 第一时间 before 第
    by_length = {
        kind: tuple(sorted(words, key=len, reverse=True)) for kind, words in context.items()
    }
    return Lexicon(
        automaton=build_automaton(read_entries()),
        context=by_length,
        curt_tokens=curt_tokens,
        longest_curt_token=max(len(token) for token in curt_tokens),
        offer_pattern=_offer_pattern(by_length["offer"], by_length["offer_verb"]),
    )


def _offer_pattern(offer_words: tuple[str, ...], offer_verbs: tuple[str, ...]) -> re.Pattern[str]:
    def alternation(words: tuple[str, ...]) -> str:
        return "|".join(re.escape(word) for word in words)

    return re.compile(
        f"(?P<can>可以)|(?P<word>{alternation(offer_words)})"
        f"|(?P<action>(?:帮您|为您|给您|替您|帮你|给你).{{0,2}}?(?:{alternation(offer_verbs)}))"
    )
