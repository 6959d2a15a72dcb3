"""Customer archive: loyalty signals and confirming what the data suggests.

(Buyers become customers set-based in the order merge, kefu.orders.storing: a new
customer takes their first order's details; an existing one is never overwritten.)
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from django.utils.translation import gettext as _

from kefu.customers import archive
from kefu.customers.models import Customer
from kefu.errors import ServiceError
from kefu.shops.models import Membership


@dataclass(frozen=True)
class LoyaltySignal:
    """One sign the customer is loyal (or could be marked so): a repeat purchase or a tag."""

    label: str
    tag: str = ""  # the loyalty tag this signal is, "" for repeat purchases
    present: bool = True  # False: a loyalty tag the customer does not have yet


def loyalty_signals(customer: Customer, tag_names: Collection[str]) -> list[LoyaltySignal]:
    """Repeat purchases from the orders, then every loyalty tag, held or not yet."""
    signals = []
    if customer.total_orders >= 2:
        signals.append(
            LoyaltySignal(
                label=_("回头购买 %(repeat)d 次（共 %(n)d 单）")
                % {"repeat": customer.total_orders - 1, "n": customer.total_orders}
            )
        )
    held = set(tag_names)
    signals += [
        LoyaltySignal(label=tag, tag=tag, present=tag in held) for tag in archive.LOYALTY_TAGS
    ]
    return signals


def confirm_buying_suggestion(*, actor: Membership, customer_id: int) -> Customer:
    """Take the buying behaviour the data suggests as the customer's own."""
    customer = archive.get_customer_for(actor=actor, customer_id=customer_id)
    if not customer.suggested_buying:
        raise ServiceError("no_suggestion", _("数据还没有给出购买行为的建议。"))
    return archive.update_customer(
        actor=actor,
        customer_id=customer.id,
        changes={"buying_behaviour": customer.suggested_buying},
    )
