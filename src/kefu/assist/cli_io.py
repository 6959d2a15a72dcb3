"""JSON-lines in, JSON-lines out: the CLI's robust line reader and writer.

Input lines are JSON objects ``{"id", "text"}`` or plain text (id = line number,
1-based). Every input line gets exactly one output line, in order, flushed at
once; a bad line (invalid JSON, empty text, text too long, undecodable bytes)
gets ``{"id", "error"}`` and the next line is read as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

import orjson

MAX_TEXT_CHARS = 10_000
"""A customer message or reply longer than this is refused (the desk caps them at 2,000)."""
_MAX_LINE_BYTES = 4 * MAX_TEXT_CHARS + 4096  # UTF-8 is at most 4 bytes a character, plus JSON


@dataclass(frozen=True)
class InputLine:
    """One input line: its id and either its text or why it cannot be read."""

    id: Any
    text: str | None
    error: str | None = None


def _read_raw_lines(stream: IO[bytes]) -> Iterator[tuple[bytes, bool]]:
    """(line, too_long) pairs; an overlong line is drained without holding it in memory."""
    while True:
        line = stream.readline(_MAX_LINE_BYTES + 1)
        if not line:
            return
        if len(line) > _MAX_LINE_BYTES and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):
                line = stream.readline(1 << 20)
            yield b"", True
            continue
        yield line.rstrip(b"\r\n"), False


def _parse(raw: bytes, number: int) -> InputLine:
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        return InputLine(number, None, "line is not valid UTF-8 text (binary input?)")
    if "\x00" in decoded:
        return InputLine(number, None, "line contains NUL bytes (binary input?)")
    identifier: Any = number
    text: object = decoded
    if decoded.lstrip().startswith("{"):
        try:
            record = orjson.loads(decoded)
        except orjson.JSONDecodeError as error:
            return InputLine(number, None, f"invalid JSON: {error}")
        if not isinstance(record, dict):
            return InputLine(number, None, "a JSON line must be an object with a text field")
        identifier = record.get("id", number)
        text = record.get("text")
        if not isinstance(text, str):
            return InputLine(identifier, None, 'the JSON object needs a string "text" field')
    assert isinstance(text, str)
    if not text.strip():
        return InputLine(identifier, None, "empty text")
    if len(text) > MAX_TEXT_CHARS:
        return InputLine(
            identifier,
            None,
            f"text too long ({len(text)} characters; the limit is {MAX_TEXT_CHARS})",
        )
    return InputLine(identifier, text)


def read_lines(stream: IO[bytes]) -> Iterator[InputLine]:
    """Every input line, parsed; never raises on bad content."""
    for number, (raw, too_long) in enumerate(_read_raw_lines(stream), start=1):
        if too_long:
            yield InputLine(
                number,
                None,
                f"line too long (over {_MAX_LINE_BYTES} bytes; text limit is "
                f"{MAX_TEXT_CHARS} characters)",
            )
        else:
            yield _parse(raw, number)


def process_lines(
    source: IO[bytes],
    sink: IO[bytes],
    handle: Callable[[InputLine], dict[str, Any]],
) -> int:
    """Run `handle` on each good line and write one JSON object per input line.

    Returns the number of lines that got an error object.
    """
    errors = 0
    for line in read_lines(source):
        if line.error is not None:
            record: dict[str, Any] = {"id": line.id, "error": line.error}
        else:
            try:
                record = handle(line)
            except (ValueError, TypeError, UnicodeError, RecursionError) as error:
                # One odd message must not cost the user the rest of the stream;
                # the error names the exception so a bug stays visible.
                record = {"id": line.id, "error": f"{type(error).__name__}: {error}"}
        if "error" in record:
            errors += 1
        sink.write(orjson.dumps(record) + b"\n")
        sink.flush()
    return errors
