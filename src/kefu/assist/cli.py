"""`kefu assist …`: the coach on the command line (JSON lines on stdin and stdout).

echo '{"id": 1, "text": "这个也太贵了吧"}' | python -m kefu.assist analyze
python -m kefu.assist check < replies.txt
python -m kefu.assist faq --faq shop_faq.csv < questions.jsonl
python -m kefu.assist eval --json
python -m kefu.assist train
"""

from __future__ import annotations

import csv
import importlib
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import typer

from kefu.assist.cli_io import InputLine, process_lines

app = typer.Typer(help="The coach: analyse customers, check replies, match FAQs.")


def _optional(module: str) -> Any | None:
    """A sibling module that another engineer may not have landed yet."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name != module:
            raise  # the module exists but one of its imports is missing: a real bug
        return None


def _run(handle: Any) -> None:
    errors = process_lines(sys.stdin.buffer, sys.stdout.buffer, handle)
    if errors:
        typer.echo(f"{errors} line(s) could not be processed (see their error field)", err=True)


@app.command()
def analyze(
    evidence: bool = typer.Option(False, help="Also print the features behind each label."),
) -> None:
    """Intent, objection type, emotion, confidences and suggested replies, one line each."""
    from kefu.assist.analysis import analyze as analyze_message

    scripts = _optional("kefu.assist.scripts")

    def handle(line: InputLine) -> dict[str, Any]:
        assert line.text is not None
        result = analyze_message(line.text)
        record: dict[str, Any] = {
            "id": line.id,
            "text": line.text,
            "intent": result.intent,
            "objection_type": result.objection_type,
            "emotion": result.emotion,
            "confidence": {key: round(value, 4) for key, value in result.confidence.items()},
            "suggestions": [
                {"method": suggestion.method, "text": suggestion.text}
                for suggestion in (scripts.suggest(result) if scripts else [])
            ],
        }
        if evidence:
            record["evidence"] = [
                {"label_kind": item.label_kind, "feature": item.feature, "weight": item.weight}
                for item in result.evidence
            ]
        return record

    _run(handle)


@app.command()
def check() -> None:
    """Findings of the reply checker for each agent reply."""
    checker = _optional("kefu.assist.checker")
    if checker is None:
        typer.echo("the reply checker (kefu.assist.checker) is not installed", err=True)
        raise typer.Exit(1)

    def handle(line: InputLine) -> dict[str, Any]:
        assert line.text is not None
        findings = checker.check_reply(line.text)
        return {
            "id": line.id,
            "text": line.text,
            "findings": [
                {
                    "category": finding.category,
                    "start": finding.start,
                    "end": finding.end,
                    "text": finding.text,
                    "severity": finding.severity,
                    "suggestion": finding.suggestion,
                }
                for finding in findings
            ],
        }

    _run(handle)


def _faq_rows(path: Path) -> list[dict[str, str]]:
    """Rows of a FAQ file: JSON {"faqs": [{"id", "question", "answer"}]} or CSV."""
    raw = path.read_bytes()
    if path.suffix.lower() == ".json" or raw.lstrip().startswith(b"{"):
        document = orjson.loads(raw)
        rows = document.get("faqs") if isinstance(document, dict) else None
        if not isinstance(rows, list):
            raise ValueError('a JSON FAQ file needs {"faqs": [{"id", "question", "answer"}, ...]}')
        return [
            {key: str(row.get(key, "")) for key in ("id", "question", "answer")} for row in rows
        ]
    reader = csv.DictReader(raw.decode("utf-8-sig").splitlines())
    if not reader.fieldnames or not {"id", "question", "answer"} <= set(reader.fieldnames):
        raise ValueError("a CSV FAQ file needs the header id,question,answer")
    return [{key: (row.get(key) or "") for key in ("id", "question", "answer")} for row in reader]


def load_faq_entries(path: Path) -> list[Any]:
    """FaqEntry objects from a file; rows sharing an id are phrasings of one question."""
    from kefu.assist.faq import FaqEntry

    questions: dict[str, list[str]] = {}
    answers: dict[str, str] = {}
    for row in _faq_rows(path):
        entry_id, question = row["id"].strip(), row["question"].strip()
        if not entry_id or not question:
            continue
        questions.setdefault(entry_id, []).append(question)
        answers.setdefault(entry_id, row["answer"].strip())
    if not questions:
        raise ValueError(f"{path}: no FAQ rows with an id and a question")
    return [FaqEntry(key, tuple(value), answers[key]) for key, value in questions.items()]


@app.command()
def faq(
    faq_file: Path = typer.Option(..., "--faq", exists=True, dir_okay=False, help="JSON or CSV"),
) -> None:
    """The FAQ entry that answers each message, or null when none does."""
    from kefu.assist.faq import FaqIndex

    try:
        index = FaqIndex.from_entries(load_faq_entries(faq_file))
    except (ValueError, orjson.JSONDecodeError, UnicodeDecodeError) as error:
        typer.echo(f"cannot read the FAQ file: {error}", err=True)
        raise typer.Exit(2) from None

    def handle(line: InputLine) -> dict[str, Any]:
        assert line.text is not None
        match = index.match(line.text)
        if match is not None:
            return {"id": line.id, "text": line.text, "faq": match.entry_id, "score": match.score}
        entry_scores, _ = index.scores(line.text)
        best = float(entry_scores.max()) if len(entry_scores) else 0.0
        return {"id": line.id, "text": line.text, "faq": None, "score": round(best, 4)}

    _run(handle)


@app.command(name="eval")
def evaluate(
    as_json: bool = typer.Option(False, "--json", help="One machine-readable JSON document."),
) -> None:
    """Dev-split figures: classifier, reply checker and FAQ matcher."""
    from kefu.assist.eval_report import collect_figures, render_figures

    figures = collect_figures()
    if as_json:
        sys.stdout.buffer.write(orjson.dumps(figures, option=orjson.OPT_INDENT_2) + b"\n")
    else:
        render_figures(figures)


@app.command()
def train(
    out: Path = typer.Option(None, help="Where to write the model (default: the shipped path)."),
) -> None:
    """Train the classifier on all labelled messages and write the artefact."""
    from kefu.assist.model_store import SHIPPED_MODEL, train_default

    started = time.perf_counter()
    classifier = train_default()
    target = out or SHIPPED_MODEL
    classifier.save(target)
    seconds = time.perf_counter() - started
    typer.echo(
        f"trained on key {classifier.key}: {len(classifier.space.names)} features, "
        f"{seconds:.1f} s -> {target} ({target.stat().st_size // 1024} KiB)"
    )
