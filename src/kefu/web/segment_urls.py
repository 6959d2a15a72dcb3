"""Pages of the segment area (filled in by issue 5's work)."""

from __future__ import annotations

app_name = "segments"

urlpatterns: list = []
