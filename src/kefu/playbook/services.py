"""The shop's playbook: quick replies here; FAQ, scripts, words and products re-exported.

Quick replies live in this module; the other parts of the playbook have their own
modules and are re-exported so callers need one import:
FAQ entries (faq_entries.py), FAQ import from CSV/XLSX (faq_import.py), the shop's
scripts (shop_scripts.py), banned words (checker_terms.py), products (products.py).
"""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from kefu.errors import NotFound, ServiceError
from kefu.playbook.checker_terms import (
    create_checker_term,
    delete_checker_term,
    get_checker_term,
    list_checker_terms,
    shop_terms,
    update_checker_term,
)
from kefu.playbook.faq_entries import (
    create_faq_entry,
    delete_faq_entry,
    get_faq_entry,
    list_faq_entries,
    update_faq_entry,
)
from kefu.playbook.faq_import import ImportResult, RowError, import_faq_file
from kefu.playbook.models import QuickReply
from kefu.playbook.products import (
    create_product,
    delete_product,
    get_product,
    list_products,
    update_product,
)
from kefu.playbook.shop_scripts import (
    SITUATIONS,
    SavedScript,
    builtin_methods,
    create_script,
    delete_script,
    get_script,
    list_scripts,
    script_warnings,
    update_script,
)
from kefu.shops.models import Membership, Role
from kefu.shops.services import require_role

__all__ = [
    "SITUATIONS",
    "ImportResult",
    "RowError",
    "SavedScript",
    "builtin_methods",
    "create_checker_term",
    "create_faq_entry",
    "create_product",
    "create_quick_reply",
    "create_script",
    "delete_checker_term",
    "delete_faq_entry",
    "delete_product",
    "delete_quick_reply",
    "delete_script",
    "fill_variables",
    "get_checker_term",
    "get_faq_entry",
    "get_product",
    "get_quick_reply",
    "get_script",
    "import_faq_file",
    "list_checker_terms",
    "list_faq_entries",
    "list_products",
    "list_quick_replies",
    "list_scripts",
    "script_warnings",
    "shop_terms",
    "update_checker_term",
    "update_faq_entry",
    "update_product",
    "update_quick_reply",
    "update_script",
]

MAX_KEYWORD = 20
MAX_TEXT = 1000
MAX_QUICK_REPLIES = 500
# Variables an owner may write in a quick reply, with their English aliases.
VARIABLES = {
    "客户": "customer", "顾客": "customer", "customer": "customer",
    "客服": "agent", "agent": "agent",
    "店铺": "shop", "shop": "shop",
}
_VARIABLE = re.compile(r"\{(\w+)\}")


def fill_variables(text: str, *, customer: str, agent: str, shop: str) -> str:
    """Replace {客户} {客服} {店铺} (or {customer} {agent} {shop}); unknown names stay as written."""
    values = {"customer": customer, "agent": agent, "shop": shop}

    def replace(match: re.Match[str]) -> str:
        key = VARIABLES.get(match.group(1))
        return values[key] if key else match.group(0)

    return _VARIABLE.sub(replace, text)


def list_quick_replies(*, actor: Membership, query: str = "", limit: int = 50) -> list[QuickReply]:
    """The actor's shop's quick replies whose keyword or text contains `query`."""
    qs = QuickReply.objects.filter(shop_id=actor.shop_id)
    query = query.strip()[:MAX_KEYWORD]
    if query:
        qs = qs.filter(Q(keyword__icontains=query) | Q(text__icontains=query))
    replies = list(qs.order_by("keyword")[:limit])
    # Keyword hits first: typing "/发" should offer 发货 before a reply that merely mentions it.
    replies.sort(key=lambda r: (not r.keyword.startswith(query), query not in r.keyword))
    return replies


def _clean(keyword: str, text: str) -> tuple[str, str]:
    keyword, text = keyword.strip().lstrip("/"), text.strip()
    if not keyword or len(keyword) > MAX_KEYWORD:
        raise ServiceError("bad_keyword", _("快捷词需为1到20个字。"))
    if not text or len(text) > MAX_TEXT:
        raise ServiceError("bad_text", _("回复内容需为1到1000个字。"))
    return keyword, text


def get_quick_reply(*, actor: Membership, quick_reply_id: int) -> QuickReply:
    """One of the actor's shop's quick replies."""
    return _get(actor, quick_reply_id)


def _get(actor: Membership, quick_reply_id: int) -> QuickReply:
    try:
        return QuickReply.objects.get(id=quick_reply_id, shop_id=actor.shop_id)
    except QuickReply.DoesNotExist:
        raise NotFound("no_quick_reply", _("找不到这条快捷回复。")) from None


def create_quick_reply(*, actor: Membership, keyword: str, text: str) -> QuickReply:
    """Save a new quick reply for the actor's shop (owners and supervisors)."""
    require_role(actor, Role.OWNER, Role.SUPERVISOR)
    keyword, text = _clean(keyword, text)
    if QuickReply.objects.filter(shop_id=actor.shop_id).count() >= MAX_QUICK_REPLIES:
        raise ServiceError(
            "too_many", _("快捷回复最多%(n)d条，请先删掉不用的。") % {"n": MAX_QUICK_REPLIES}
        )
    try:
        with transaction.atomic():
            return QuickReply.objects.create(shop_id=actor.shop_id, keyword=keyword, text=text)
    except IntegrityError:
        raise ServiceError("keyword_taken", _("快捷词“%(k)s”已存在。") % {"k": keyword}) from None


def update_quick_reply(
    *, actor: Membership, quick_reply_id: int, keyword: str, text: str
) -> QuickReply:
    """Change a quick reply's keyword or text (owners and supervisors)."""
    require_role(actor, Role.OWNER, Role.SUPERVISOR)
    keyword, text = _clean(keyword, text)
    reply = _get(actor, quick_reply_id)
    reply.keyword, reply.text = keyword, text
    try:
        with transaction.atomic():
            reply.save(update_fields=["keyword", "text", "updated_at"])
    except IntegrityError:
        raise ServiceError("keyword_taken", _("快捷词“%(k)s”已存在。") % {"k": keyword}) from None
    return reply


def delete_quick_reply(*, actor: Membership, quick_reply_id: int) -> None:
    """Remove a quick reply (owners and supervisors)."""
    require_role(actor, Role.OWNER, Role.SUPERVISOR)
    _get(actor, quick_reply_id).delete()
