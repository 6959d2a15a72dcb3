"""Import a shop's FAQ from a CSV or XLSX table: all rows or none.

The table's first row names its columns: ``id``, ``question``, ``answer`` (or 编号, 问题,
答案). Rows that share an id are phrasings of one entry (the answer need only be on
one of them); without an id, rows with the same answer are. A question cell may hold
several phrasings, one a line. Any bad row is reported with its row number and
reason, and then nothing of the file is imported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.playbook.faq_entries import (
    EDITORS,
    MAX_ENTRIES,
    MAX_QUESTION_CHARS,
    entry_problem,
    question_key,
    split_questions,
)
from kefu.playbook.faq_files import MAX_ROWS, FileProblem, Row, read_rows
from kefu.playbook.models import FaqEntry
from kefu.shops.models import Membership
from kefu.shops.services import require_role

__all__ = ["MAX_ROWS", "ImportResult", "ImportedEntry", "RowError", "import_faq_file"]

_ID_NAMES = frozenset({"id", "编号", "序号", "问题编号", "faq_id"})
_QUESTION_NAMES = frozenset({"question", "questions", "问题", "问法", "常见问题"})
_ANSWER_NAMES = frozenset({"answer", "答案", "回答", "答复"})


@dataclass(frozen=True)
class RowError:
    """A row that stops the import (row 0: the file as a whole)."""

    row: int
    reason: str


@dataclass(frozen=True)
class ImportedEntry:
    """One entry as read from the file, with the row it starts on."""

    row: int
    questions: tuple[str, ...]
    answer: str


@dataclass(frozen=True)
class ImportResult:
    """What the file holds and whether it went in. With any error, nothing went in."""

    rows: int
    entries: int
    errors: tuple[RowError, ...]
    preview: tuple[ImportedEntry, ...] = ()
    imported: bool = False
    replaced: int = 0
    """How many existing entries the import replaced (0 unless asked to replace)."""

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Draft:
    row: int
    questions: list[str] = field(default_factory=list)
    answer: str = ""
    answer_row: int = 0


@dataclass(frozen=True)
class _Columns:
    id: int | None
    question: int
    answer: int

    def cell(self, row: Row, index: int | None) -> str:
        if index is None or index >= len(row.cells):
            return ""
        return row.cells[index]


def import_faq_file(
    *, actor: Membership, filename: str, data: bytes, dry_run: bool, replace: bool = False
) -> ImportResult:
    """Read the file and, unless `dry_run` or any row is bad, add its entries to the shop.

    With `replace` the shop's current entries are deleted first, in the same transaction;
    otherwise a question the shop already answers is an error (import it once, edit it after).
    """
    require_role(actor, *EDITORS)
    if dry_run:
        return _read(actor.shop_id, filename, data, replace=replace)
    with transaction.atomic():
        result = _read(actor.shop_id, filename, data, replace=replace)
        if not result.ok:
            return result
        replaced = 0
        if replace:
            replaced, _by_model = FaqEntry.objects.filter(shop_id=actor.shop_id).delete()
        FaqEntry.objects.bulk_create(
            FaqEntry(shop_id=actor.shop_id, questions="\n".join(e.questions), answer=e.answer)
            for e in result.preview
        )
    return ImportResult(
        rows=result.rows,
        entries=result.entries,
        errors=(),
        preview=result.preview,
        imported=True,
        replaced=replaced,
    )


def _read(shop_id: int, filename: str, data: bytes, *, replace: bool) -> ImportResult:
    try:
        rows = read_rows(filename, data)
        if not rows:
            raise FileProblem(_("文件是空的。"))
        columns = _columns(rows[0])
    except FileProblem as problem:
        return ImportResult(rows=0, entries=0, errors=(RowError(problem.row, problem.reason),))
    data_rows = rows[1:]
    if not data_rows:
        error = RowError(0, _("文件里只有表头，没有要导入的问题。"))
        return ImportResult(rows=0, entries=0, errors=(error,))
    drafts, errors = _group(data_rows, columns)
    entries, entry_errors = _finish(drafts)
    errors += entry_errors
    existing = 0 if replace else FaqEntry.objects.filter(shop_id=shop_id).count()
    if not replace:
        errors += _already_in_shop(shop_id, entries)
    if existing + len(entries) > MAX_ENTRIES:
        reason = _("导入后会超过每家店 %(n)d 条常见问题的上限。") % {"n": MAX_ENTRIES}
        errors.append(RowError(0, reason))
    errors.sort(key=lambda e: e.row)
    return ImportResult(
        rows=len(data_rows), entries=len(entries), errors=tuple(errors), preview=tuple(entries)
    )


def _columns(header: Row) -> _Columns:
    names = [cell.strip().lstrip("\ufeff").lower() for cell in header.cells]

    def find(accepted: frozenset[str]) -> int | None:
        return next((i for i, name in enumerate(names) if name in accepted), None)

    question, answer = find(_QUESTION_NAMES), find(_ANSWER_NAMES)
    if question is None or answer is None:
        raise FileProblem(
            _("第一行应是表头：id、question、answer（或 编号、问题、答案），请对照示例修改。"),
            row=header.number,
        )
    return _Columns(id=find(_ID_NAMES), question=question, answer=answer)


def _group(rows: list[Row], columns: _Columns) -> tuple[list[_Draft], list[RowError]]:
    """Rows to entries: by id when the row has one, else by its answer."""
    drafts: dict[tuple[str, str], _Draft] = {}
    errors: list[RowError] = []
    owner_of_question: dict[str, int] = {}  # question key -> row of the entry holding it
    for row in rows:
        entry_id = columns.cell(row, columns.id)
        answer = columns.cell(row, columns.answer)
        questions = split_questions(columns.cell(row, columns.question))
        if not questions:
            errors.append(RowError(row.number, _("这一行没有填问题。")))
            continue
        if not entry_id and not answer:
            errors.append(RowError(row.number, _("这一行没有填答案。")))
            continue
        key = ("id", entry_id) if entry_id else ("answer", answer)
        draft = drafts.setdefault(key, _Draft(row=row.number))
        if answer and draft.answer and answer != draft.answer:
            reason = _("编号 %(id)s 在第 %(first)d 行的答案不一样，同一编号只能有一个答案。") % {
                "id": entry_id,
                "first": draft.answer_row,
            }
            errors.append(RowError(row.number, reason))
            continue
        if answer and not draft.answer:
            draft.answer, draft.answer_row = answer, row.number
        for question in questions:
            errors.extend(_add_question(draft, question, row.number, owner_of_question))
    return list(drafts.values()), errors


def _add_question(
    draft: _Draft, question: str, row: int, owner_of_question: dict[str, int]
) -> list[RowError]:
    if len(question) > MAX_QUESTION_CHARS:
        reason = _("问题“%(q)s…”太长了，每种问法不超过 %(n)d 个字。") % {
            "q": question[:12],
            "n": MAX_QUESTION_CHARS,
        }
        return [RowError(row, reason)]
    key = question_key(question)
    holder = owner_of_question.setdefault(key, draft.row)
    if holder != draft.row:
        reason = _("问题“%(q)s”和第 %(first)d 行重复，却对应不同的答案。") % {
            "q": question,
            "first": holder,
        }
        return [RowError(row, reason)]
    if all(question_key(q) != key for q in draft.questions):
        draft.questions.append(question)
    return []


def _finish(drafts: list[_Draft]) -> tuple[list[ImportedEntry], list[RowError]]:
    entries: list[ImportedEntry] = []
    errors: list[RowError] = []
    for draft in drafts:
        if not draft.questions:
            continue  # every question of it was refused, and said so on its row
        problem = entry_problem(draft.questions, draft.answer)
        if problem is not None:
            errors.append(RowError(draft.row, problem.reason))
            continue
        entries.append(ImportedEntry(draft.row, tuple(draft.questions), draft.answer.strip()))
    return entries, errors


def _already_in_shop(shop_id: int, entries: list[ImportedEntry]) -> list[RowError]:
    """Without `replace`, a question the shop already answers would give it two answers."""
    existing = {
        question_key(q)
        for entry in FaqEntry.objects.filter(shop_id=shop_id).only("questions")
        for q in entry.question_list
    }
    errors: list[RowError] = []
    for entry in entries:
        taken = [q for q in entry.questions if question_key(q) in existing]
        if taken:
            reason = _("问题“%(q)s”店里已经有了；要整体更新请勾选“替换现有的常见问题”。") % {
                "q": taken[0],
            }
            errors.append(RowError(entry.row, reason))
    return errors
