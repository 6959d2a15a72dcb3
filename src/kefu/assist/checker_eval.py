"""Scoring the reply checker against labelled replies (span match: category + overlap)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NotRequired, TypedDict

from kefu.assist.dataset import LabelledReply
from kefu.assist.labels import FINDING_CATEGORIES


class CategoryScore(TypedDict):
    precision: float
    recall: float
    f1: float
    support: int  # labelled spans
    predicted: int  # findings the checker gave


class CheckerReport(TypedDict):
    """What evaluate_checker returns (plain JSON-ready dict)."""

    split: NotRequired[str]
    replies: int
    clean_replies: int
    false_alarm_rate: float  # share of clean replies with any finding
    categories: dict[str, CategoryScore]
    min_f1: float


@dataclass(frozen=True)
class GoldSpan:
    category: str
    start: int
    end: int


@dataclass(frozen=True)
class ReplyMistake:
    """A reply where the checker and the labels disagree (for reading, not for scoring)."""

    text: str
    missed: tuple[GoldSpan, ...]
    extra: tuple[tuple[str, str], ...]  # (category, span text) found but not labelled


def gold_spans(reply: LabelledReply) -> list[GoldSpan]:
    """The labelled findings as offsets: each span text at its next unused occurrence."""
    spans: list[GoldSpan] = []
    for category, span_text in reply.findings:
        taken = [s for s in spans if reply.text[s.start : s.end] == span_text]
        start = reply.text.find(span_text)
        while start >= 0 and any(s.start == start and s.category == category for s in taken):
            start = reply.text.find(span_text, start + 1)
        if start < 0:
            raise ValueError(f"{reply.source}: span {span_text!r} is not in {reply.text!r}")
        spans.append(GoldSpan(category, start, start + len(span_text)))
    return spans


def _overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


def evaluate_replies(
    replies: Iterable[LabelledReply],
) -> tuple[CheckerReport, list[ReplyMistake]]:
    """Precision/recall/F1 per category, the share of clean replies with any finding, and
    the replies where checker and labels disagree."""
    from kefu.assist.checker import check_reply

    predicted_total = dict.fromkeys(FINDING_CATEGORIES, 0)
    predicted_right = dict.fromkeys(FINDING_CATEGORIES, 0)
    gold_total = dict.fromkeys(FINDING_CATEGORIES, 0)
    gold_found = dict.fromkeys(FINDING_CATEGORIES, 0)
    clean = flagged_clean = count = 0
    mistakes: list[ReplyMistake] = []
    for reply in replies:
        count += 1
        gold = gold_spans(reply)
        found = check_reply(reply.text)
        if not gold:
            clean += 1
            flagged_clean += bool(found)
        for span in gold:
            gold_total[span.category] += 1
        for finding in found:
            predicted_total[finding.category] += 1
            if any(
                g.category == finding.category
                and _overlaps(g.start, g.end, finding.start, finding.end)
                for g in gold
            ):
                predicted_right[finding.category] += 1
        missed = tuple(
            g
            for g in gold
            if not any(
                f.category == g.category and _overlaps(g.start, g.end, f.start, f.end)
                for f in found
            )
        )
        for span in gold:
            if span not in missed:
                gold_found[span.category] += 1
        extra = tuple(
            (f.category, f.text)
            for f in found
            if not any(
                g.category == f.category and _overlaps(g.start, g.end, f.start, f.end) for g in gold
            )
        )
        if missed or extra:
            mistakes.append(ReplyMistake(reply.text, missed, extra))
    categories: dict[str, CategoryScore] = {}
    for category in FINDING_CATEGORIES:
        precision = _ratio(predicted_right[category], predicted_total[category])
        recall = _ratio(gold_found[category], gold_total[category])
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        categories[category] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": gold_total[category],
            "predicted": predicted_total[category],
        }
    report: CheckerReport = {
        "replies": count,
        "clean_replies": clean,
        "false_alarm_rate": round(_ratio(flagged_clean, clean), 4),
        "categories": categories,
        "min_f1": min(c["f1"] for c in categories.values()),
    }
    return report, mistakes


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0
