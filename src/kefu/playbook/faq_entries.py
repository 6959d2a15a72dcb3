"""FAQ entries: one answer the shop always gives, with the several ways customers ask for it.

The rules for an entry live here and nowhere else; the editor page and the CSV/XLSX
import both go through `entry_problem`, so an imported entry is exactly as valid as
a typed one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from kefu.assist.text import normalize
from kefu.errors import NotFound, ServiceError
from kefu.playbook.models import FaqEntry
from kefu.shops.models import Membership, Role
from kefu.shops.services import require_role

MAX_QUESTION_CHARS = 200
MAX_PHRASINGS = 30
MAX_QUESTIONS_CHARS = 2000  # all phrasings of one entry together, one per line (the model's limit)
MAX_ANSWER_CHARS = 2000
MAX_ENTRIES = 2000  # per shop: the matcher stays fast and the list stays readable
EDITORS = (Role.OWNER, Role.SUPERVISOR)
# Trailing marks that do not make a question different: "多久发货" and "多久发货？" are one.
_TRAILING_MARKS = " ?？!！。.~～、，,"


def split_questions(text: str | Iterable[str]) -> tuple[str, ...]:
    """Phrasings from text (one a line) or lines; blanks dropped, repeats kept once, in order."""
    chunks = [text] if isinstance(text, str) else list(text)
    lines = [line for chunk in chunks for line in chunk.splitlines()]
    seen: set[str] = set()
    questions: list[str] = []
    for line in lines:
        question = line.strip()
        key = question_key(question)
        if key and key not in seen:
            seen.add(key)
            questions.append(question)
    return tuple(questions)


def question_key(question: str) -> str:
    """What makes two phrasings the same question (Traditional/Simplified, width, case, ending)."""
    return normalize(question).rstrip(_TRAILING_MARKS)


@dataclass(frozen=True)
class EntryProblem:
    """Why an entry cannot be saved: the part to fix and what is wrong, for the owner."""

    field: str  # "questions" or "answer"
    reason: str


def entry_problem(questions: Sequence[str], answer: str) -> EntryProblem | None:
    """Why this entry cannot be saved, or None when it can."""
    if not questions:
        return EntryProblem("questions", _("请至少填写一种问法。"))
    if len(questions) > MAX_PHRASINGS:
        return EntryProblem(
            "questions", _("一条常见问题最多 %(n)d 种问法。") % {"n": MAX_PHRASINGS}
        )
    for question in questions:
        if len(question) > MAX_QUESTION_CHARS:
            reason = _("问法“%(q)s…”太长了，每种问法不超过 %(n)d 个字。") % {
                "q": question[:12],
                "n": MAX_QUESTION_CHARS,
            }
            return EntryProblem("questions", reason)
    if len("\n".join(questions)) > MAX_QUESTIONS_CHARS:
        return EntryProblem(
            "questions", _("问法加起来不超过 %(n)d 个字。") % {"n": MAX_QUESTIONS_CHARS}
        )
    if not answer.strip():
        return EntryProblem("answer", _("请填写回答。"))
    if len(answer.strip()) > MAX_ANSWER_CHARS:
        return EntryProblem("answer", _("回答不超过 %(n)d 个字。") % {"n": MAX_ANSWER_CHARS})
    return None


def list_faq_entries(*, actor: Membership, query: str = "") -> list[FaqEntry]:
    """The actor's shop's FAQ entries, those mentioning `query` in a phrasing or the answer."""
    qs = FaqEntry.objects.filter(shop_id=actor.shop_id)
    query = query.strip()[:MAX_QUESTION_CHARS]
    if query:
        qs = qs.filter(Q(questions__icontains=query) | Q(answer__icontains=query))
    return list(qs.order_by("id"))


def get_faq_entry(*, actor: Membership, entry_id: int) -> FaqEntry:
    """One FAQ entry of the actor's shop."""
    try:
        return FaqEntry.objects.get(id=entry_id, shop_id=actor.shop_id)
    except FaqEntry.DoesNotExist:
        raise NotFound("no_faq", _("找不到这条常见问题。")) from None


def _clean(questions: str | Sequence[str], answer: str) -> tuple[tuple[str, ...], str]:
    phrasings = split_questions(questions)
    problem = entry_problem(phrasings, answer)
    if problem is None:
        return phrasings, answer.strip()
    raise ServiceError(f"bad_{problem.field}", problem.reason)


def _refuse_taken_questions(
    shop_id: int, questions: Sequence[str], *, except_id: int | None
) -> None:
    """The same question in two entries would make the matcher pick one of them at random."""
    wanted = {question_key(q): q for q in questions}
    others = FaqEntry.objects.filter(shop_id=shop_id).exclude(id=except_id)
    for other in others.only("id", "questions"):
        for existing in other.question_list:
            taken = wanted.get(question_key(existing))
            if taken is not None:
                raise ServiceError(
                    "question_taken",
                    _("问法“%(q)s”已经在另一条常见问题里了，请合并到那一条。") % {"q": taken},
                )


def create_faq_entry(*, actor: Membership, questions: str | Sequence[str], answer: str) -> FaqEntry:
    """Add an FAQ entry to the actor's shop (owners and supervisors)."""
    require_role(actor, *EDITORS)
    phrasings, answer = _clean(questions, answer)
    with transaction.atomic():
        if FaqEntry.objects.filter(shop_id=actor.shop_id).count() >= MAX_ENTRIES:
            raise ServiceError("too_many", _("每家店最多 %(n)d 条常见问题。") % {"n": MAX_ENTRIES})
        _refuse_taken_questions(actor.shop_id, phrasings, except_id=None)
        return FaqEntry.objects.create(
            shop_id=actor.shop_id, questions="\n".join(phrasings), answer=answer
        )


def update_faq_entry(
    *, actor: Membership, entry_id: int, questions: str | Sequence[str], answer: str
) -> FaqEntry:
    """Change an entry's phrasings or answer (owners and supervisors)."""
    require_role(actor, *EDITORS)
    phrasings, answer = _clean(questions, answer)
    with transaction.atomic():
        entry = get_faq_entry(actor=actor, entry_id=entry_id)
        _refuse_taken_questions(actor.shop_id, phrasings, except_id=entry.pk)
        entry.questions, entry.answer = "\n".join(phrasings), answer
        entry.save(update_fields=["questions", "answer", "updated_at"])
    return entry


def delete_faq_entry(*, actor: Membership, entry_id: int) -> None:
    """Remove an FAQ entry (owners and supervisors)."""
    require_role(actor, *EDITORS)
    with transaction.atomic():
        get_faq_entry(actor=actor, entry_id=entry_id).delete()
