"""Pages of the order area (filled in by issue 5's work)."""

from __future__ import annotations

app_name = "orders"

urlpatterns: list = []
