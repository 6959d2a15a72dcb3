"""Each shop's FaqIndex, built from its playbook FaqEntry rows and kept until they change.

Building an index costs up to a second (TF-IDF fit and sentence-encoder vectors),
matching a few milliseconds, so the index is cached per shop. Whether the rows
changed is told by a cheap stamp, (count, latest updated_at), read at most every
STAMP_CHECK_S seconds per shop: an owner's edit reaches the auto-answer within
that time.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max

from kefu.assist import FaqEntry as AssistFaqEntry
from kefu.assist import FaqIndex, FaqMatch
from kefu.playbook.models import FaqEntry

STAMP_CHECK_S = 3.0


@dataclass
class _Cached:
    stamp: tuple[Any, ...]
    checked_at: float
    index: FaqIndex | None
    questions: dict[str, str]  # entry id -> its first phrasing, for the panel


_cache: dict[int, _Cached] = {}
_lock = threading.Lock()


def _stamp(shop_id: int) -> tuple[Any, ...]:
    row = FaqEntry.objects.filter(shop_id=shop_id).aggregate(n=Count("id"), last=Max("updated_at"))
    return (row["n"], row["last"])


def _build(shop_id: int, stamp: tuple[Any, ...], now: float) -> _Cached:
    entries, questions = [], {}
    for row in FaqEntry.objects.filter(shop_id=shop_id).order_by("id"):
        phrasings = tuple(row.question_list)
        if phrasings and row.answer.strip():
            entries.append(AssistFaqEntry(str(row.id), phrasings, row.answer.strip()))
            questions[str(row.id)] = phrasings[0]
    index = FaqIndex.from_entries(entries) if entries else None
    return _Cached(stamp, now, index, questions)


def _cached(shop_id: int) -> _Cached:
    now = time.monotonic()
    with _lock:  # one build per shop at a time; matching itself runs unlocked
        cached = _cache.get(shop_id)
        if cached is not None and now - cached.checked_at < STAMP_CHECK_S:
            return cached
        stamp = _stamp(shop_id)
        if cached is not None and cached.stamp == stamp:
            cached.checked_at = now
            return cached
        cached = _cache[shop_id] = _build(shop_id, stamp, now)
        return cached


def best_match(shop_id: int, text: str) -> tuple[FaqMatch, str] | None:
    """The shop's FAQ entry answering `text` (with its first phrasing), or None."""
    cached = _cached(shop_id)
    if cached.index is None:
        return None
    match = cached.index.match(text)
    if match is None:
        return None
    return match, cached.questions.get(match.entry_id, match.matched_question)


def forget(shop_id: int | None = None) -> None:
    """Drop a shop's index (or all) so the next match rebuilds it: after an import, in tests."""
    with _lock:
        if shop_id is None:
            _cache.clear()
        else:
            _cache.pop(shop_id, None)
