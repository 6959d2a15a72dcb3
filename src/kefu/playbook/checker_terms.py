"""The shop's own banned or discouraged words, added to the reply checker."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kefu.assist.checker import ShopTerm
from kefu.assist.labels import FINDING_CATEGORIES, SEVERITIES
from kefu.errors import NotFound, ServiceError
from kefu.playbook.models import CheckerTerm
from kefu.shops.models import Membership, Role
from kefu.shops.services import require_role

MAX_TERM_CHARS = 40
MAX_SUGGESTION_CHARS = 200
MAX_TERMS = 500
EDITORS = (Role.OWNER, Role.SUPERVISOR)
SEVERITY_NAMES: dict[str, str] = {"high": "严重", "medium": "一般", "low": "轻微"}


def shop_terms(shop_id: int) -> list[ShopTerm]:
    """The shop's words as the checker takes them (`check_reply(text, extra_terms=...)`)."""
    terms = []
    for row in CheckerTerm.objects.filter(shop_id=shop_id).order_by("term"):
        if row.category in FINDING_CATEGORIES and row.severity in SEVERITIES and row.term.strip():
            terms.append(ShopTerm(row.term, row.category, row.severity, row.suggestion))
        # else: typed into the admin past the services' checks; not a word the checker knows
    return terms


def list_checker_terms(*, actor: Membership) -> list[CheckerTerm]:
    """The actor's shop's words, most severe first."""
    rank = {severity: i for i, severity in enumerate(SEVERITIES)}
    terms = list(CheckerTerm.objects.filter(shop_id=actor.shop_id).order_by("term"))
    terms.sort(key=lambda t: rank.get(t.severity, len(rank)))
    return terms


def get_checker_term(*, actor: Membership, term_id: int) -> CheckerTerm:
    try:
        return CheckerTerm.objects.get(id=term_id, shop_id=actor.shop_id)
    except CheckerTerm.DoesNotExist:
        raise NotFound("no_term", _("找不到这个禁用词。")) from None


def _clean(term: str, category: str, severity: str, suggestion: str) -> tuple[str, str, str, str]:
    term, suggestion = term.strip(), suggestion.strip()
    if not term or len(term) > MAX_TERM_CHARS:
        raise ServiceError("bad_term", _("词语需为1到%(n)d个字。") % {"n": MAX_TERM_CHARS})
    if category not in FINDING_CATEGORIES:
        raise ServiceError("bad_category", _("请选择一个类别。"))
    if severity not in SEVERITIES:
        raise ServiceError("bad_severity", _("请选择严重程度。"))
    if len(suggestion) > MAX_SUGGESTION_CHARS:
        raise ServiceError(
            "bad_suggestion", _("建议说法不超过%(n)d个字。") % {"n": MAX_SUGGESTION_CHARS}
        )
    return term, category, severity, suggestion


def _taken(term: str) -> ServiceError:
    return ServiceError("term_taken", _("“%(t)s”已经在禁用词里了。") % {"t": term})


def create_checker_term(
    *, actor: Membership, term: str, category: str, severity: str, suggestion: str = ""
) -> CheckerTerm:
    """Add a word for the checker to flag in this shop's replies (owners and supervisors)."""
    require_role(actor, *EDITORS)
    term, category, severity, suggestion = _clean(term, category, severity, suggestion)
    try:
        with transaction.atomic():
            if CheckerTerm.objects.filter(shop_id=actor.shop_id).count() >= MAX_TERMS:
                raise ServiceError("too_many", _("每家店最多 %(n)d 个禁用词。") % {"n": MAX_TERMS})
            return CheckerTerm.objects.create(
                shop_id=actor.shop_id,
                term=term,
                category=category,
                severity=severity,
                suggestion=suggestion,
            )
    except IntegrityError:
        raise _taken(term) from None


def update_checker_term(
    *,
    actor: Membership,
    term_id: int,
    term: str,
    category: str,
    severity: str,
    suggestion: str = "",
) -> CheckerTerm:
    """Change a word, its category, severity or suggestion (owners and supervisors)."""
    require_role(actor, *EDITORS)
    term, category, severity, suggestion = _clean(term, category, severity, suggestion)
    try:
        with transaction.atomic():
            row = get_checker_term(actor=actor, term_id=term_id)
            row.term, row.category, row.severity, row.suggestion = (
                term,
                category,
                severity,
                suggestion,
            )
            row.save(update_fields=["term", "category", "severity", "suggestion"])
    except IntegrityError:
        raise _taken(term) from None
    return row


def delete_checker_term(*, actor: Membership, term_id: int) -> None:
    """Remove a word from the shop's list (owners and supervisors)."""
    require_role(actor, *EDITORS)
    with transaction.atomic():
        get_checker_term(actor=actor, term_id=term_id).delete()
