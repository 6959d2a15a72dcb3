"""JSON API of the customer archive for the workbench (docs/protocol.md)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["customers"])
