"""The shop's own scripts: wording for a situation that adds to or replaces a built-in method.

A script with the `method_id` of a built-in method of its situation replaces that
method's wording in the suggestions; one without adds a method of the shop's own.
Scripts that the reply checker would flag are saved (the owner may mean it) but
come back with warnings, so the page can say what an agent would be told.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.assist.checker import check_reply
from kefu.assist.labels import EMOTIONS, FINDING_CATEGORIES, OBJECTION_TYPES
from kefu.assist.script_library import TEMPLATE_VARIABLES, VARIABLE_PATTERN
from kefu.assist.scripts import guide_for_complaint, methods_for
from kefu.errors import NotFound, ServiceError
from kefu.playbook.checker_terms import shop_terms
from kefu.playbook.models import ShopScript
from kefu.shops.models import Membership, Role
from kefu.shops.services import require_role

MAX_METHOD_CHARS = 20
MAX_WHY_CHARS = 120
MAX_TEXT_CHARS = 1000
MAX_SCRIPTS = 500
EDITORS = (Role.OWNER, Role.SUPERVISOR)
# The variables the quick replies know, in English, are fine in scripts too.
_ALSO_KNOWN = frozenset({"顾客", "customer", "agent", "shop"})


def _situations() -> dict[str, str]:
    # Plain strings: this runs at import, before Django's translations may be loaded.
    found = {f"objection:{key}": name for key, name in OBJECTION_TYPES.items()}
    for emotion in ("angry", "dissatisfied", "hesitant"):
        found[f"emotion:{emotion}"] = f"顾客{EMOTIONS[emotion]}"
    found["closing"] = "促成交易"
    found["complaint"] = "投诉处理"
    return found


SITUATIONS: dict[str, str] = _situations()
"""situation id -> its Chinese name, in the order the page lists them."""


@dataclass(frozen=True)
class BuiltinMethod:
    """A method the coach ships for a situation, which a shop script may replace."""

    method_id: str
    method: str
    why: str


@dataclass(frozen=True)
class SavedScript:
    script: ShopScript
    warnings: tuple[str, ...]


def builtin_methods(situation: str) -> tuple[BuiltinMethod, ...]:
    """The built-in methods of a situation, best first ([] for an unknown situation)."""
    if situation == "complaint":
        return tuple(BuiltinMethod(s.method_id, s.name, s.why) for s in guide_for_complaint())
    if situation not in SITUATIONS:
        return ()
    return tuple(BuiltinMethod(m.method_id, m.method, m.why) for m in methods_for(situation))


def script_warnings(text: str, *, shop_id: int) -> tuple[str, ...]:
    """What an agent would be warned about if they sent this script, and unknown variables."""
    warnings = [
        _("“%(text)s”：%(category)s。%(suggestion)s")
        % {
            "text": finding.text,
            "category": FINDING_CATEGORIES.get(finding.category, finding.category),
            "suggestion": finding.suggestion,
        }
        for finding in check_reply(text, extra_terms=shop_terms(shop_id))
    ]
    unknown = sorted(
        {
            name
            for name in VARIABLE_PATTERN.findall(text)
            if name not in TEMPLATE_VARIABLES and name not in _ALSO_KNOWN
        }
    )
    if unknown:
        names = "、".join(f"{{{name}}}" for name in unknown)
        warnings.append(
            _("%(names)s 不是可用的变量，插入时会原样留给客服修改。") % {"names": names}
        )
    return tuple(warnings)


def list_scripts(*, actor: Membership, situation: str = "") -> list[ShopScript]:
    """The actor's shop's scripts, grouped by situation in the page's order."""
    qs = ShopScript.objects.filter(shop_id=actor.shop_id)
    if situation:
        qs = qs.filter(situation=situation)
    order = {key: i for i, key in enumerate(SITUATIONS)}
    return sorted(qs, key=lambda s: (order.get(s.situation, len(order)), s.pk))


def get_script(*, actor: Membership, script_id: int) -> ShopScript:
    try:
        return ShopScript.objects.get(id=script_id, shop_id=actor.shop_id)
    except ShopScript.DoesNotExist:
        raise NotFound("no_script", _("找不到这条话术。")) from None


def _clean(
    situation: str, method: str, method_id: str, why: str, text: str
) -> tuple[str, str, str, str, str]:
    method, method_id, why, text = method.strip(), method_id.strip(), why.strip(), text.strip()
    if situation not in SITUATIONS:
        raise ServiceError("bad_situation", _("请选择一个场景。"))
    builtin = {m.method_id: m for m in builtin_methods(situation)}
    if method_id and method_id not in builtin:
        raise ServiceError("bad_method_id", _("这个场景没有要替换的这种内置方法，请重新选择。"))
    if method_id:
        # Replacing a built-in method: its name and reason carry over unless the shop words them.
        method = method or builtin[method_id].method
        why = why or builtin[method_id].why
    if not method or len(method) > MAX_METHOD_CHARS:
        raise ServiceError("bad_method", _("方法名称需为1到%(n)d个字。") % {"n": MAX_METHOD_CHARS})
    if len(why) > MAX_WHY_CHARS:
        raise ServiceError("bad_why", _("“为什么这样说”不超过%(n)d个字。") % {"n": MAX_WHY_CHARS})
    if not text or len(text) > MAX_TEXT_CHARS:
        raise ServiceError("bad_text", _("话术需为1到%(n)d个字。") % {"n": MAX_TEXT_CHARS})
    return situation, method, method_id, why, text


def create_script(
    *,
    actor: Membership,
    situation: str,
    method: str,
    text: str,
    method_id: str = "",
    why: str = "",
) -> SavedScript:
    """Add a script to the actor's shop (owners and supervisors)."""
    require_role(actor, *EDITORS)
    situation, method, method_id, why, text = _clean(situation, method, method_id, why, text)
    with transaction.atomic():
        if ShopScript.objects.filter(shop_id=actor.shop_id).count() >= MAX_SCRIPTS:
            raise ServiceError("too_many", _("每家店最多 %(n)d 条话术。") % {"n": MAX_SCRIPTS})
        script = ShopScript.objects.create(
            shop_id=actor.shop_id,
            situation=situation,
            method=method,
            method_id=method_id,
            why=why,
            text=text,
        )
    return SavedScript(script, script_warnings(text, shop_id=actor.shop_id))


def update_script(
    *,
    actor: Membership,
    script_id: int,
    situation: str,
    method: str,
    text: str,
    method_id: str = "",
    why: str = "",
) -> SavedScript:
    """Change a script (owners and supervisors)."""
    require_role(actor, *EDITORS)
    situation, method, method_id, why, text = _clean(situation, method, method_id, why, text)
    with transaction.atomic():
        script = get_script(actor=actor, script_id=script_id)
        script.situation, script.method, script.method_id = situation, method, method_id
        script.why, script.text = why, text
        script.save(update_fields=["situation", "method", "method_id", "why", "text", "updated_at"])
    return SavedScript(script, script_warnings(text, shop_id=actor.shop_id))


def delete_script(*, actor: Membership, script_id: int) -> None:
    """Remove a script; the built-in wording it replaced comes back (owners and supervisors)."""
    require_role(actor, *EDITORS)
    with transaction.atomic():
        get_script(actor=actor, script_id=script_id).delete()
