"""The objection training data keeps the label contract (spec/taxonomy.md).

These tests read the shipped JSON-lines files directly, so a bad line added by
hand fails here before it can silently teach the classifier a wrong label.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kefu.assist import labels
from kefu.assist.text import normalize

MESSAGES_DIR = Path(labels.__file__).parent / "data" / "messages"
HARD_NEGATIVES = MESSAGES_DIR / "objection_hard_negatives.jsonl"
REQUIRED_KEYS = {"text", "intent", "objection_type", "emotion"}
OPTIONAL_KEYS = {"context"}
MIN_PER_TYPE = 160
MIN_HARD_NEGATIVES = 200
_NOT_WORDS = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Line:
    path: Path
    number: int
    raw: str

    @property
    def where(self) -> str:
        return f"{self.path.name}:{self.number}"


def _lines(paths: list[Path]) -> Iterator[Line]:
    for path in paths:
        for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            yield Line(path, number, raw)


def _records(paths: list[Path]) -> Iterator[tuple[Line, dict[str, object]]]:
    for line in _lines(paths):
        yield line, json.loads(line.raw)


def _type_files() -> list[Path]:
    return [MESSAGES_DIR / f"objection_{type_id}.jsonl" for type_id in labels.OBJECTION_TYPES]


def _objection_files() -> list[Path]:
    return sorted(MESSAGES_DIR.glob("objection_*.jsonl"))


def _all_message_files() -> list[Path]:
    return sorted(MESSAGES_DIR.glob("*.jsonl"))


def test_every_objection_type_and_the_hard_negatives_have_a_file() -> None:
    expected = [*_type_files(), HARD_NEGATIVES]

    missing = [path.name for path in expected if not path.is_file()]

    assert missing == []


def test_every_line_is_a_json_object_with_exactly_the_known_keys() -> None:
    bad: list[str] = []
    for line in _lines(_objection_files()):
        try:
            record = json.loads(line.raw)
        except json.JSONDecodeError as error:
            bad.append(f"{line.where}: {error}")
            continue
        if not isinstance(record, dict):
            bad.append(f"{line.where}: not an object")
            continue
        keys = set(record)
        if not REQUIRED_KEYS <= keys or not keys <= REQUIRED_KEYS | OPTIONAL_KEYS:
            bad.append(f"{line.where}: keys {sorted(keys)}")

    assert bad == []


def test_texts_are_non_empty_stripped_strings() -> None:
    bad = [
        line.where
        for line, record in _records(_objection_files())
        if not isinstance(record["text"], str)
        or not record["text"]
        or record["text"] != record["text"].strip()
    ]

    assert bad == []


def test_context_when_present_is_a_non_empty_list_of_strings() -> None:
    bad = [
        line.where
        for line, record in _records(_objection_files())
        if "context" in record
        and not (
            isinstance(record["context"], list)
            and record["context"]
            and all(isinstance(turn, str) and turn for turn in record["context"])
        )
    ]

    assert bad == []


def test_labels_are_ids_of_the_contract() -> None:
    bad = [
        f"{line.where}: {record['intent']}/{record['objection_type']}/{record['emotion']}"
        for line, record in _records(_objection_files())
        if record["intent"] not in labels.INTENTS
        or record["emotion"] not in labels.EMOTIONS
        or (
            record["objection_type"] is not None
            and record["objection_type"] not in labels.OBJECTION_TYPES
        )
    ]

    assert bad == []


def test_objection_type_is_set_exactly_when_the_intent_is_objection() -> None:
    bad = [
        line.where
        for line, record in _records(_all_message_files())
        if (record["intent"] == "objection") != (record["objection_type"] is not None)
    ]

    assert bad == []


@pytest.mark.parametrize("type_id", list(labels.OBJECTION_TYPES))
def test_a_type_file_holds_only_objections_of_its_type(type_id: str) -> None:
    path = MESSAGES_DIR / f"objection_{type_id}.jsonl"

    found = Counter((record["intent"], record["objection_type"]) for _, record in _records([path]))

    assert set(found) == {("objection", type_id)}


def test_hard_negatives_hold_no_objection() -> None:
    intents = Counter(record["intent"] for _, record in _records([HARD_NEGATIVES]))

    assert "objection" not in intents
    assert intents["inquiry"] > sum(intents.values()) / 2


@pytest.mark.parametrize("type_id", list(labels.OBJECTION_TYPES))
def test_each_objection_type_has_enough_examples(type_id: str) -> None:
    path = MESSAGES_DIR / f"objection_{type_id}.jsonl"

    count = sum(1 for _ in _lines([path]))

    assert count >= MIN_PER_TYPE


def test_there_are_enough_hard_negatives() -> None:
    count = sum(1 for _ in _lines([HARD_NEGATIVES]))

    assert count >= MIN_HARD_NEGATIVES


def test_no_text_appears_twice_across_all_message_files() -> None:
    seen: dict[str, str] = {}
    repeated: list[str] = []
    for line, record in _records(_all_message_files()):
        text = str(record["text"])
        if text in seen:
            repeated.append(f"{line.where} repeats {seen[text]}: {text}")
        seen.setdefault(text, line.where)

    assert repeated == []


def test_no_two_objection_lines_are_the_same_after_normalisation() -> None:
    # A Traditional line that is only a converted copy of a Simplified one would
    # leak between the train and dev splits once the classifier normalises both.
    seen: dict[str, str] = {}
    repeated: list[str] = []
    for line, record in _records(_objection_files()):
        key = _NOT_WORDS.sub("", normalize(str(record["text"])))
        if key in seen:
            repeated.append(f"{line.where} ~ {seen[key]}")
        seen.setdefault(key, line.where)

    assert repeated == []
