"""The shop site's keys: the API key (orders pushed from the shop's own server) and the
identity secret (signing the customer ids passed through the widget).

Only the API key's SHA-256 is stored: the owner sees the key once, when it is issued,
and issuing a new one ends the old. A request with the key acts as the shop's owner.
"""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.errors import Forbidden
from kefu.shops.models import Membership, Role, Shop
from kefu.shops.services import require_role

KEY_PREFIX = "kefu_"
MAX_KEY_CHARS = 100


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def issue_api_key(*, actor: Membership) -> str:
    """A new key for the shop (the old one stops working); shown to the owner this once."""
    require_role(actor, Role.OWNER)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    Shop.objects.filter(id=actor.shop_id).update(api_key_hash=_digest(key), api_key_hint=key[-4:])
    return key


@transaction.atomic
def revoke_api_key(*, actor: Membership) -> None:
    require_role(actor, Role.OWNER)
    Shop.objects.filter(id=actor.shop_id).update(api_key_hash="", api_key_hint="")


def owner_for_api_key(key: str) -> Membership:
    """The owner the key speaks for; Forbidden for a missing, unknown or revoked key."""
    if not key or len(key) > MAX_KEY_CHARS or not key.startswith(KEY_PREFIX):
        raise Forbidden("bad_api_key", _("API 密钥不对或已作废。"))
    owner = (
        Membership.objects.select_related("shop", "user")
        .filter(
            shop__api_key_hash=_digest(key),
            role=Role.OWNER,
            is_active=True,
            user__is_active=True,
        )
        .order_by("id")
        .first()
    )
    if owner is None:
        raise Forbidden("bad_api_key", _("API 密钥不对或已作废。"))
    return owner


@transaction.atomic
def rotate_identity_secret(*, actor: Membership) -> None:
    """A new identity secret: ids signed with the old one are no longer trusted."""
    require_role(actor, Role.OWNER)
    Shop.objects.filter(id=actor.shop_id).update(identity_secret=secrets.token_hex(32))
