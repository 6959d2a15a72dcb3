"""The general-intent customer messages (data/messages/general_*.jsonl) keep the data contract.

Every intent except objection has its own file; the classifier trains on them, so a
broken line, a label outside the taxonomy or a text labelled twice must fail here
before it silently skews a model.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from kefu.assist.labels import EMOTIONS, INTENTS
from kefu.assist.text import to_simplified

MESSAGES_DIR = Path(__file__).parents[2] / "src" / "kefu" / "assist" / "data" / "messages"

MINIMUM_PER_INTENT: dict[str, int] = {
    "greeting": 150,
    "inquiry": 330,
    "order": 280,
    "after_sales": 250,
    "complaint": 260,
    "closing": 200,
    "other": 150,
}
MINIMUM_PER_EMOTION = 250
# The one mixed file: hand-written lines for the boundaries real chats blur (calm
# after-sales vs complaint, topic words in plain questions, bare data, short replies).
BOUNDARIES = "general_boundaries.jsonl"
ALLOWED_KEYS = {"text", "intent", "objection_type", "emotion", "context"}
REQUIRED_KEYS = ALLOWED_KEYS - {"context"}

Record = tuple[str, int, dict[str, object]]
"""(file name, line number, parsed line)."""


def read_records(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def single_intent_files() -> list[Path]:
    return [
        path for path in sorted(MESSAGES_DIR.glob("general_*.jsonl")) if path.name != BOUNDARIES
    ]


def general_records() -> list[Record]:
    """(file name, line number, record) for every line of every general file."""
    rows: list[Record] = []
    for path in single_intent_files():
        for number, record in enumerate(read_records(path), start=1):
            rows.append((path.name, number, record))
    return rows


@pytest.fixture(scope="module")
def records() -> list[Record]:
    return general_records()


def test_there_is_one_file_per_general_intent() -> None:
    # given the taxonomy's intents, objection excluded (another engineer's files)
    expected = {f"general_{intent}.jsonl" for intent in INTENTS if intent != "objection"}
    # when the messages folder is listed
    present = {path.name for path in single_intent_files()}
    # then each general intent has exactly its own file
    assert present == expected


def test_every_line_is_a_json_object() -> None:
    # given every non-empty line of the general files
    for path in sorted(MESSAGES_DIR.glob("general_*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            # when it is parsed
            record = json.loads(line)
            # then it is one JSON object per line
            assert isinstance(record, dict), f"{path.name}:{number}"


def test_records_have_exactly_the_contract_keys(records: list[Record]) -> None:
    for name, number, record in records:
        keys = set(record)
        assert REQUIRED_KEYS <= keys <= ALLOWED_KEYS, f"{name}:{number}: {sorted(keys)}"


def test_intent_matches_the_file_it_lives_in(records: list[Record]) -> None:
    for name, number, record in records:
        assert record["intent"] in INTENTS, f"{name}:{number}: {record['intent']}"
        assert name == f"general_{record['intent']}.jsonl", f"{name}:{number}"


def test_objection_type_is_always_null(records: list[Record]) -> None:
    for name, number, record in records:
        assert record["objection_type"] is None, f"{name}:{number}"
        assert record["intent"] != "objection", f"{name}:{number}"


def test_emotion_is_a_taxonomy_id(records: list[Record]) -> None:
    for name, number, record in records:
        assert record["emotion"] in EMOTIONS, f"{name}:{number}: {record['emotion']}"


def test_text_is_a_non_empty_trimmed_string(records: list[Record]) -> None:
    for name, number, record in records:
        text = record["text"]
        assert isinstance(text, str) and text == text.strip() and text, f"{name}:{number}"


def test_context_when_present_is_a_list_of_turns(records: list[Record]) -> None:
    for name, number, record in records:
        if "context" in record:
            context = record["context"]
            assert isinstance(context, list) and context, f"{name}:{number}"
            assert all(isinstance(turn, str) and turn.strip() for turn in context), name


def test_no_text_appears_twice_across_all_message_files() -> None:
    # given the texts of every message file, general and objection alike
    texts = [
        str(record["text"])
        for path in sorted(MESSAGES_DIR.glob("*.jsonl"))
        for record in read_records(path)
    ]
    # when they are counted
    repeated = [text for text, count in Counter(texts).items() if count > 1]
    # then no text carries two labels (or skews the dev split by appearing twice)
    assert repeated == []


@pytest.mark.parametrize(("intent", "minimum"), sorted(MINIMUM_PER_INTENT.items()))
def test_each_intent_has_its_minimum_number_of_messages(
    records: list[Record], intent: str, minimum: int
) -> None:
    count = sum(1 for _, _, record in records if record["intent"] == intent)
    assert count >= minimum


@pytest.mark.parametrize("emotion", ["positive", "hesitant", "dissatisfied", "angry"])
def test_each_marked_emotion_is_well_represented(records: list[Record], emotion: str) -> None:
    count = sum(1 for _, _, record in records if record["emotion"] == emotion)
    assert count >= MINIMUM_PER_EMOTION


def test_about_a_tenth_of_the_messages_are_traditional_chinese(records: list[Record]) -> None:
    # given the texts, when those that change under Traditional-to-Simplified are counted
    traditional = sum(1 for _, _, r in records if to_simplified(str(r["text"])) != r["text"])
    share = traditional / len(records)
    # then real customers from Taiwan and Hong Kong are represented, without dominating
    assert 0.08 <= share <= 0.2


def test_the_boundary_lines_keep_the_label_contract() -> None:
    # given the mixed boundaries file
    for number, record in enumerate(read_records(MESSAGES_DIR / BOUNDARIES), start=1):
        where = f"{BOUNDARIES}:{number}"
        # then each line has the contract keys and labels, with a type exactly on objections
        assert REQUIRED_KEYS <= set(record) <= ALLOWED_KEYS, where
        assert record["intent"] in INTENTS and record["emotion"] in EMOTIONS, where
        assert (record["objection_type"] is not None) == (record["intent"] == "objection"), where


def test_the_boundary_lines_cover_the_blurred_intents() -> None:
    # given the boundaries file, when its intents are counted
    intents = Counter(str(record["intent"]) for record in read_records(MESSAGES_DIR / BOUNDARIES))
    # then the boundaries real chats blur are all there, after-sales most of all
    assert intents["after_sales"] >= 100
    assert min(intents[name] for name in ("inquiry", "order", "complaint", "other")) >= 25
