"""`kefu assist …` on the command line: one JSON line out per line in, bad lines never stop it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kefu.assist import model_store
from kefu.assist.cli import app, load_faq_entries
from kefu.assist.cli_io import MAX_TEXT_CHARS

runner = CliRunner()


@pytest.fixture(scope="module", autouse=True)
def trained_model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    # One cache per test session, shared by the modules: the model trains at most once.
    cache = tmp_path_factory.getbasetemp() / "kefu-model-cache"
    cache.mkdir(exist_ok=True)
    patch = pytest.MonkeyPatch()
    patch.setenv("KEFU_DATA_DIR", str(cache))
    model_store.use_classifier(None)
    yield
    model_store.use_classifier(None)
    patch.undo()


def run(arguments: list[str], stdin: bytes) -> list[dict[str, object]]:
    result = runner.invoke(app, arguments, input=stdin)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_analyze_reads_json_lines_and_keeps_their_ids() -> None:
    lines = run(["analyze"], '{"id": "m1", "text": "这个也太贵了吧"}\n'.encode())

    assert lines[0]["id"] == "m1"
    assert (lines[0]["intent"], lines[0]["objection_type"]) == ("objection", "price")
    assert set(lines[0]) == {
        "id",
        "text",
        "intent",
        "objection_type",
        "emotion",
        "confidence",
        "suggestions",
    }


def test_analyze_numbers_plain_text_lines_from_one() -> None:
    lines = run(["analyze"], "你好\n在吗\n".encode())

    assert [line["id"] for line in lines] == [1, 2]


def test_bad_lines_get_an_error_each_and_the_good_ones_still_come_out_in_order() -> None:
    stdin = b"\n".join(
        [
            "你好".encode(),
            b'{"id": 7, "text": ',
            b"",
            b"\xff\xfe\x00\x81binary",
            ("太贵了" * (MAX_TEXT_CHARS // 3 + 10)).encode(),
            '{"id": "last", "text": "好的谢谢"}'.encode(),
        ]
    )

    lines = run(["analyze"], stdin + b"\n")

    assert [line["id"] for line in lines] == [1, 2, 3, 4, 5, "last"]
    assert "intent" in lines[0] and "intent" in lines[5]
    assert lines[1]["error"].startswith("invalid JSON")
    assert lines[2]["error"] == "empty text"
    assert "UTF-8" in lines[3]["error"]
    assert "too long" in lines[4]["error"]


def test_a_json_line_without_text_is_an_error_for_that_line_only() -> None:
    lines = run(["analyze"], b'{"id": 1}\n{"id": 2, "text": "\xe5\x9c\xa8\xe5\x90\x97"}\n')

    assert "text" in lines[0]["error"]
    assert lines[1]["intent"] == "greeting"


def test_analyze_suggests_replies_labelled_with_their_method() -> None:
    lines = run(["analyze"], "太贵了，能便宜点吗\n".encode())

    suggestions = lines[0]["suggestions"]
    assert suggestions and all(item["method"] and item["text"] for item in suggestions)


def test_analyze_shows_evidence_when_asked() -> None:
    lines = run(["analyze", "--evidence"], "太贵了\n".encode())

    assert {item["label_kind"] for item in lines[0]["evidence"]} >= {"intent", "objection_type"}


def test_check_reports_findings_with_spans() -> None:
    lines = run(["check"], '{"id": "r1", "text": "爱买不买"}\n'.encode())

    finding = lines[0]["findings"][0]
    assert set(finding) == {"category", "start", "end", "text", "severity", "suggestion"}
    assert lines[0]["text"][finding["start"] : finding["end"]] == finding["text"]


def test_faq_rows_sharing_an_id_become_one_entry_with_several_phrasings(tmp_path: Path) -> None:
    faq_file = tmp_path / "faq.csv"
    faq_file.write_text(
        "id,question,answer\n"
        "ship,什么时候发货,下单后48小时内发货\n"
        "ship,多久能发出,下单后48小时内发货\n"
        "invoice,能开发票吗,可以开电子发票\n",
        encoding="utf-8",
    )

    entries = load_faq_entries(faq_file)

    assert [(entry.id, entry.questions) for entry in entries] == [
        ("ship", ("什么时候发货", "多久能发出")),
        ("invoice", ("能开发票吗",)),
    ]


def test_faq_reads_the_json_format_too(tmp_path: Path) -> None:
    faq_file = tmp_path / "faq.json"
    faq_file.write_text(
        json.dumps(
            {"faqs": [{"id": "invoice", "question": "能开发票吗", "answer": "可以开电子发票"}]},
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )

    entries = load_faq_entries(faq_file)

    assert [(entry.id, entry.answer) for entry in entries] == [("invoice", "可以开电子发票")]


def test_faq_writes_an_entry_id_or_null_and_a_score_per_line(tmp_path: Path) -> None:
    faq_file = tmp_path / "faq.csv"
    faq_file.write_text("id,question,answer\ninvoice,能开发票吗,可以开电子发票\n", encoding="utf-8")

    lines = run(["faq", "--faq", str(faq_file)], "能开发票吗\n\n今天天气真好\n".encode())

    assert [line["id"] for line in lines] == [1, 2, 3]
    assert lines[0]["faq"] in ("invoice", None) and 0.0 <= lines[0]["score"] <= 1.0
    assert lines[1]["error"] == "empty text"
    assert set(lines[2]) == {"id", "text", "faq", "score"}


def test_a_faq_file_without_the_needed_columns_is_refused_clearly(tmp_path: Path) -> None:
    faq_file = tmp_path / "faq.csv"
    faq_file.write_text("q,a\n你好,您好\n", encoding="utf-8")

    result = runner.invoke(app, ["faq", "--faq", str(faq_file)], input=b"hi\n")

    assert result.exit_code == 2
    assert "id,question,answer" in result.output
