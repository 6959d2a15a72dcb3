"""What `kefu assist eval` shows: classifier, checker and FAQ figures on held-out data."""

from __future__ import annotations

import importlib
from typing import Any

from rich.console import Console
from rich.table import Table

from kefu.assist.evaluation import HeadReport, evaluate_dev


def _optional_figures(module_name: str, function: str) -> Any:
    """Figures from another engineer's evaluator, or None while it is not there yet."""
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name != module_name:
            raise
        return None
    evaluator = getattr(module, function, None)
    if evaluator is None:
        return None
    try:
        return evaluator()
    except (ValueError, RuntimeError, KeyError) as error:
        # Report a broken evaluator in its own section; the other figures still print.
        return {"error": f"{module_name}.{function} failed: {type(error).__name__}: {error}"}


def collect_figures() -> dict[str, Any]:
    """Everything as one JSON-ready dict (what `eval --json` prints)."""
    heads: dict[str, HeadReport] = evaluate_dev()
    return {
        "classifier": {name: report.as_dict() for name, report in heads.items()},
        "checker": _optional_figures("kefu.assist.checker", "evaluate_checker"),
        "faq": _optional_figures("kefu.assist.faq", "evaluate_faq"),
    }


def _head_tables(head: dict[str, Any]) -> tuple[Table, Table]:
    title = (
        f"{head['head']} — dev split, {head['support']} messages: "
        f"accuracy {head['accuracy']:.3f}, macro-F1 {head['macro_f1']:.3f}"
    )
    scores = Table(title=title, title_justify="left")
    for column in ("label", "precision", "recall", "F1", "support"):
        scores.add_column(column, justify="left" if column == "label" else "right")
    for label, row in head["per_label"].items():
        scores.add_row(
            label,
            f"{row['precision']:.3f}",
            f"{row['recall']:.3f}",
            f"{row['f1']:.3f}",
            str(row["support"]),
        )
    confusion = Table(title=f"{head['head']} confusion (rows: gold, columns: predicted)")
    confusion.add_column("gold \\ predicted")
    for label in head["labels"]:
        confusion.add_column(label[:8], justify="right")
    for label, row in zip(head["labels"], head["confusion"], strict=True):
        confusion.add_row(label, *(str(count) for count in row))
    return scores, confusion


def render_figures(figures: dict[str, Any]) -> None:
    console = Console()
    for head in figures["classifier"].values():
        for table in _head_tables(head):
            console.print(table)
    checker = figures.get("checker")
    if checker and "error" in checker:
        console.print(f"reply checker: {checker['error']}")
    elif checker:
        table = Table(
            title=f"reply checker — {checker.get('split', 'dev')} split, {checker['replies']} "
            f"replies, false alarms on clean replies {checker['false_alarm_rate']:.3f}",
            title_justify="left",
        )
        for column in ("category", "precision", "recall", "F1"):
            table.add_column(column)
        for category, row in checker["categories"].items():
            table.add_row(category, *(f"{row[key]:.3f}" for key in ("precision", "recall", "f1")))
        console.print(table)
    else:
        console.print("reply checker: not available")
    faq = figures.get("faq")
    if faq and "error" in faq:
        console.print(f"FAQ matcher: {faq['error']}")
    elif faq:
        console.print(
            f"FAQ ({faq.get('split')} split): top-1 {faq.get('top1_accuracy')}, "
            f"correct no-match {faq.get('no_match_rate')} "
            f"({faq.get('answerable')} answerable, {faq.get('unanswerable')} unanswerable)"
        )
    else:
        console.print("FAQ matcher: not available")
