"""Shop rules the pre-send check warns about (docs/coach-desk.md, POST /api/coach/check).

Deliberately simple word rules, documented here so an owner can predict them:

- no_bargain (shop.no_bargain): the reply offers a lower price — 便宜/优惠/少点/
  打折/折扣/减价/降价/让价/抹零/打个折… — unless a negation stands just before it
  (不/没/无法/没法 at most three characters before it in the same clause: 不能给您便宜
  refuses, it does not offer).
- free_shipping (shop.free_shipping_threshold set): the reply promises 包邮/免运费/免邮/
  运费我们出/不收运费, unless negated the same way (不包邮). The warning names the
  threshold so the agent can check the order total first.

These are warnings, not findings: the reply may be right (the order may be above
the threshold), so they never block sending.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

_DISCOUNT = re.compile(
    r"便宜|优惠|少点|少一点|少算|打折|打个折|折扣|减价|降价|让价|抹零|抹个零|再低"
)
_FREE_SHIPPING = re.compile(r"包邮|免运费|免邮|运费我们出|运费我们来出|不收运费|运费全免")
_NEGATION = re.compile(r"(?:不|没|无法|没法)[^，。！？,.!?]{0,3}$")
NEGATION_WINDOW = 6


@dataclass(frozen=True)
class RuleWarning:
    rule: str
    start: int
    end: int
    text: str
    message: str


def _offers(pattern: re.Pattern[str], text: str) -> list[re.Match[str]]:
    """Matches of `pattern` that are not negated just before (不能便宜, 不包邮)."""
    found = []
    for match in pattern.finditer(text):
        if match.group(0) == "不收运费":
            found.append(match)  # a promise, though it starts with 不
            continue
        if not _NEGATION.search(text[max(0, match.start() - NEGATION_WINDOW) : match.start()]):
            found.append(match)
    return found


def _money(amount: Decimal) -> str:
    return f"{amount.normalize():f}"


def rule_warnings(
    text: str, *, no_bargain: bool, free_shipping_threshold: Decimal | None
) -> list[RuleWarning]:
    """Where a reply breaks the shop's own rules, in reading order."""
    warnings = []
    if no_bargain:
        warnings += [
            RuleWarning(
                "no_bargain",
                m.start(),
                m.end(),
                m.group(0),
                _("本店不议价：回复里不要答应便宜或优惠，可以介绍赠品或活动。"),
            )
            for m in _offers(_DISCOUNT, text)
        ]
    if free_shipping_threshold is not None:
        threshold = _money(free_shipping_threshold)
        warnings += [
            RuleWarning(
                "free_shipping",
                m.start(),
                m.end(),
                m.group(0),
                _("本店满%(n)s元才包邮，请先确认订单金额已满%(n)s元再答应包邮。")
                % {"n": threshold},
            )
            for m in _offers(_FREE_SHIPPING, text)
        ]
    return sorted(warnings, key=lambda w: (w.start, w.end))
