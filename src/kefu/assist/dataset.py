"""The coach's labelled data: customer messages and agent replies, and the dev split.

Messages live in ``data/messages/*.jsonl`` and replies in ``data/replies/*.jsonl``
(formats fixed in the assist brief). The dev split is not a file: a text is in dev
when the SHA-1 of its UTF-8 bytes is divisible by 5, so the split never changes
when new files are added and every tool agrees on it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from kefu.assist.labels import EMOTIONS, INTENTS, OBJECTION_TYPES

DATA_DIR = Path(__file__).parent / "data"
MESSAGES_DIR = DATA_DIR / "messages"
REPLIES_DIR = DATA_DIR / "replies"

Split = Literal["train", "dev", "all"]


def is_dev(text: str) -> bool:
    """The one dev-split rule: 20% of texts, chosen by a hash of the text itself."""
    return int(hashlib.sha1(text.encode()).hexdigest(), 16) % 5 == 0


def in_split(text: str, split: Split) -> bool:
    if split == "all":
        return True
    return is_dev(text) == (split == "dev")


@dataclass(frozen=True)
class LabelledMessage:
    """One customer message with its gold labels (objection_type only for objections)."""

    text: str
    intent: str
    objection_type: str | None
    emotion: str
    context: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class LabelledReply:
    """One agent reply with the checker findings it should get (category, span text)."""

    text: str
    findings: tuple[tuple[str, str], ...]
    source: str = ""


class DataError(ValueError):
    """A labelled line that breaks the data contract; the message names file and line."""


def message_files(directory: Path = MESSAGES_DIR) -> list[Path]:
    return sorted(directory.glob("*.jsonl"))


def reply_files(directory: Path = REPLIES_DIR) -> list[Path]:
    return sorted(directory.glob("*.jsonl"))


def _json_lines(path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise DataError(f"{path.name}:{number}: invalid JSON ({error.msg})") from None
            if not isinstance(record, dict):
                raise DataError(f"{path.name}:{number}: expected a JSON object")
            yield number, record


def parse_message(record: dict[str, object], where: str = "") -> LabelledMessage:
    """Validate one message record against the label contract."""
    text = record.get("text")
    intent = record.get("intent")
    objection_type = record.get("objection_type")
    emotion = record.get("emotion")
    context = record.get("context") or []
    if not isinstance(text, str) or not text.strip():
        raise DataError(f"{where}: empty or missing text")
    if intent not in INTENTS:
        raise DataError(f"{where}: unknown intent {intent!r}")
    if emotion not in EMOTIONS:
        raise DataError(f"{where}: unknown emotion {emotion!r}")
    if intent == "objection":
        if objection_type not in OBJECTION_TYPES:
            raise DataError(
                f"{where}: objection needs a known objection_type, got {objection_type!r}"
            )
    elif objection_type is not None:
        raise DataError(f"{where}: objection_type must be null unless intent is objection")
    if not isinstance(context, list) or not all(isinstance(turn, str) for turn in context):
        raise DataError(f"{where}: context must be a list of strings")
    return LabelledMessage(
        text=text,
        intent=str(intent),
        objection_type=objection_type if isinstance(objection_type, str) else None,
        emotion=str(emotion),
        context=tuple(context),
        source=where,
    )


def load_messages(
    split: Split = "all", files: Iterable[Path] | None = None
) -> list[LabelledMessage]:
    """All labelled customer messages of a split, in file order, duplicates dropped."""
    seen: set[tuple[str, tuple[str, ...]]] = set()
    messages: list[LabelledMessage] = []
    for path in files if files is not None else message_files():
        for number, record in _json_lines(path):
            message = parse_message(record, f"{path.name}:{number}")
            key = (message.text, message.context)
            if key in seen or not in_split(message.text, split):
                continue
            seen.add(key)
            messages.append(message)
    return messages


def load_replies(split: Split = "all", files: Iterable[Path] | None = None) -> list[LabelledReply]:
    """All labelled agent replies of a split (for the checker's evaluation)."""
    replies: list[LabelledReply] = []
    for path in files if files is not None else reply_files():
        for number, record in _json_lines(path):
            text = record.get("text")
            raw_findings = record.get("findings") or []
            if not isinstance(text, str) or not isinstance(raw_findings, list):
                raise DataError(f"{path.name}:{number}: reply needs text and a findings list")
            if not in_split(text, split):
                continue
            findings = tuple(
                (str(finding["category"]), str(finding["text"]))
                for finding in raw_findings
                if isinstance(finding, dict)
            )
            replies.append(LabelledReply(text, findings, f"{path.name}:{number}"))
    return replies


def files_digest(paths: Sequence[Path]) -> str:
    """A short hash of the files' names and bytes: the key of a model trained on them."""
    digest = hashlib.sha1()
    for path in sorted(paths):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
