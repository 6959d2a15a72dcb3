"""From a prepared message to a sparse feature vector, fast enough for every keystroke.

Three blocks, all named so evidence can show them:

- character 1–3-grams of the prepared text (``\\x02``/``\\x03`` mark its ends,
  so a bare ``好的`` differs from ``好的`` inside a long complaint);
- rjieba words and word bigrams;
- character bigrams of the last clause of a multi-clause message (the contract:
  of several intents, the later one wins — 你好，这个太贵了吧 is an objection);
- lexicon cues (see cues.py) and a length bucket.

The first two blocks are TF-IDF weighted (sublinear tf) and l2-normalised
together; cues and length are added after normalisation with a fixed weight so
they keep their strength in long messages. The same code builds training
matrices and single prediction vectors, so the two can never disagree.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import rjieba
from scipy import sparse

from kefu.assist.cues import PreparedText, readable

START, END = "\x02", "\x03"
# Block markers: control characters never survive cues.prepare(), so no n-gram collides.
WORD, BIGRAM, SIDE, LAST = "\x01", "\x05", "\x06", "\x07"
_CLAUSE_BREAK = re.compile(r"[,.!?;。，！？；~ ]+")
# Only very short messages get a length feature (a bare 好 / 嗯嗯 / 在吗): longer
# buckets learned our data's habits (long = angry) that real chats do not share.
_LENGTH_BUCKETS = ((1, "1"), (3, "2-3"))
_PUNCTUATION = set(" ,.!?~:;，。！？、…~\"'()（）【】-_")


@dataclass(frozen=True)
class FeatureConfig:
    """The knobs chosen on the dev split (see docs/assist.md)."""

    max_char_ngram: int = 3
    words: bool = True
    word_bigrams: bool = False  # measured: no gain over unigrams
    cue_weight: float = 0.2
    min_df: int = 2
    last_clause: bool = True


def _length_bucket(length: int) -> str | None:
    for limit, name in _LENGTH_BUCKETS:
        if length <= limit:
            return name
    return None


def text_counts(prepared: PreparedText, config: FeatureConfig) -> Counter[str]:
    """Raw counts of the TF-IDF block (character n-grams and words)."""
    chars = START + prepared.chars + END
    length = len(chars)
    grams = [ch for ch in prepared.chars if ch != " "]
    for size in range(2, config.max_char_ngram + 1):
        grams += [chars[start : start + size] for start in range(length - size + 1)]
    counts = Counter(grams)
    if config.words:
        words = [word for word in rjieba.cut(prepared.chars) if word not in _PUNCTUATION]
        counts.update([WORD + word for word in words])
        if config.word_bigrams:
            counts.update([BIGRAM + a + "|" + b for a, b in zip(words, words[1:], strict=False)])
    if config.last_clause:
        clauses = [part for part in _CLAUSE_BREAK.split(prepared.chars) if part.strip()]
        if len(clauses) > 1:
            tail = START + clauses[-1].strip() + END
            counts.update([LAST + tail[i : i + 2] for i in range(len(tail) - 1)])
    return counts


def side_features(prepared: PreparedText) -> Counter[str]:
    """Counts of the fixed-weight block: lexicon cues and the length bucket."""
    side = Counter([SIDE + cue for cue in prepared.cues])
    bucket = _length_bucket(len(prepared.chars))
    if bucket is not None:
        side[SIDE + "len:" + bucket] += 1
    return side


def feature_label(name: str) -> str:
    """How a feature reads in evidence: ``太贵``, ``word:太贵``, ``cue:price``…"""
    for marker, label in ((WORD, "word:"), (BIGRAM, "words:"), (SIDE, ""), (LAST, "last:")):
        if name.startswith(marker):
            return label + readable(name[1:])
    return readable(name)


@dataclass(frozen=True)
class FeatureSpace:
    """Feature name -> column, and the idf of each TF-IDF column."""

    config: FeatureConfig
    vocabulary: dict[str, int]
    names: tuple[str, ...]
    idf: np.ndarray

    @classmethod
    def fit(cls, texts: Sequence[PreparedText], config: FeatureConfig) -> FeatureSpace:
        document_frequency: Counter[str] = Counter()
        side_names: set[str] = set()
        for prepared in texts:
            document_frequency.update(text_counts(prepared, config).keys())
            side_names.update(side_features(prepared).keys())
        kept = sorted(name for name, df in document_frequency.items() if df >= config.min_df)
        total = len(texts)
        idf = [math.log((1 + total) / (1 + document_frequency[name])) + 1 for name in kept]
        names = tuple(kept) + tuple(sorted(side_names))
        idf.extend(1.0 for _ in range(len(names) - len(kept)))
        return cls(
            config=config,
            vocabulary={name: index for index, name in enumerate(names)},
            names=names,
            idf=np.asarray(idf, dtype=np.float32),
        )

    def vector(self, prepared: PreparedText) -> tuple[np.ndarray, np.ndarray]:
        """Column indices and values of one message (unknown features are dropped)."""
        get = self.vocabulary.get
        text = text_counts(prepared, self.config)
        side = side_features(prepared)
        missing = itertools.repeat(-1)
        columns = np.array([*map(get, text, missing), *map(get, side, missing)], dtype=np.intp)
        counts = np.array([*text.values(), *side.values()], dtype=np.float32)
        known = columns >= 0
        split = int(np.count_nonzero(known[: len(text)]))
        columns, counts = columns[known], counts[known]
        # sublinear tf (1 + log count) times idf, l2-normalised over the text block
        values = (np.log(counts) + 1.0) * self.idf[columns]
        squares = float(values[:split] @ values[:split])
        if squares > 0.0:
            values[:split] *= 1.0 / math.sqrt(squares)
        values[split:] *= self.config.cue_weight
        return columns, values

    def matrix(self, texts: Sequence[PreparedText]) -> sparse.csr_matrix:
        """The training matrix: one row per message, exactly as vector() builds it."""
        data: list[np.ndarray] = []
        columns: list[np.ndarray] = []
        pointers = [0]
        for prepared in texts:
            indices, values = self.vector(prepared)
            columns.append(indices)
            data.append(values)
            pointers.append(pointers[-1] + len(indices))
        return sparse.csr_matrix(
            (
                np.concatenate(data) if data else np.zeros(0, np.float32),
                np.concatenate(columns) if columns else np.zeros(0, np.int64),
                np.asarray(pointers),
            ),
            shape=(len(texts), len(self.names)),
        )
