"""The pre-send check on an agent's reply (docs/coach-desk.md, "Agent replies").

Called from the store path of agent messages (`kefu.chat.services`), inside the
writer's transaction: it must stay cheap (one small query for the shop's terms,
then `kefu.assist.check_reply`, tens of microseconds).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from django.utils.translation import gettext as _

from kefu.assist import Finding, check_reply
from kefu.coach.models import ReviewFlag
from kefu.errors import ServiceError
from kefu.playbook import services as playbook_services

HIGH = "high"


class NeedsConfirmation(ServiceError):
    """A high-severity finding and no `confirm`: nothing was stored; the agent decides."""

    def __init__(self, findings: list[dict[str, Any]]) -> None:
        super().__init__("needs_confirmation", _("这条回复有不妥的用语，确认仍要发送吗？"))
        self.findings = findings


def findings_for(shop_id: int, text: str) -> list[Finding]:
    # The shop's banned words are the playbook's: one loader for every checker caller.
    return check_reply(text, extra_terms=playbook_services.shop_terms(shop_id))


def finding_dicts(findings: Sequence[Finding]) -> list[dict[str, Any]]:
    return [asdict(f) for f in findings]


def review_reply(*, shop_id: int, text: str, confirm: bool) -> list[dict[str, Any]]:
    """The findings to keep for quality review ([] when there is nothing to flag).

    Raises NeedsConfirmation when a finding is high-severity and the agent has not
    confirmed; with `confirm` the reply goes out and its findings are returned.
    """
    findings = findings_for(shop_id, text)
    if not any(f.severity == HIGH for f in findings):
        return []
    if not confirm:
        raise NeedsConfirmation(finding_dicts(findings))
    return finding_dicts(findings)


def record_flags(flags: Sequence[tuple[int, int, int | None, list[dict[str, Any]]]]) -> None:
    """Store ReviewFlags: (shop_id, message_id, member_id, findings) each; one insert."""
    if flags:
        ReviewFlag.objects.bulk_create(
            [
                ReviewFlag(
                    shop_id=shop_id, message_id=message_id, member_id=member_id, findings=findings
                )
                for shop_id, message_id, member_id, findings in flags
            ]
        )
