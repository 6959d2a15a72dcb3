"""Customer archive writes: every rule about creating and linking customers lives here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kefu.customers.models import Customer


@dataclass(frozen=True)
class BuyerDetails:
    """What an order tells about its buyer; used only when the customer is new."""

    name: str = ""
    phone: str = ""
    address: str = ""


def link_customers(
    *, shop_id: int, platform: str, buyers: Mapping[str, BuyerDetails]
) -> dict[str, int]:
    """Customer ids by nickname, creating the missing ones (two queries and one insert).

    An existing customer's name, phone and address are left alone: the archive may hold
    what an agent corrected, and an old order must not overwrite it. Callers batch the
    nicknames (one chunk of orders at a time) and hold the transaction.
    """
    if not buyers:
        return {}
    wanted = list(buyers)
    found = dict(
        Customer.objects.filter(
            shop_id=shop_id, platform=platform, nickname__in=wanted
        ).values_list("nickname", "id")
    )
    missing = [nick for nick in wanted if nick not in found]
    if missing:
        # ignore_conflicts: a parallel import may create the same customer first.
        Customer.objects.bulk_create(
            [
                Customer(
                    shop_id=shop_id,
                    platform=platform,
                    nickname=nick,
                    name=buyers[nick].name,
                    phone=buyers[nick].phone,
                    address=buyers[nick].address,
                )
                for nick in missing
            ],
            ignore_conflicts=True,
        )
        found.update(
            Customer.objects.filter(
                shop_id=shop_id, platform=platform, nickname__in=missing
            ).values_list("nickname", "id")
        )
    return found
