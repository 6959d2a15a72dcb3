"""Uploaded order files waiting between the preview and the import, on disk.

A file can be 200 MB, so it waits in KEFU_DATA_DIR/order-uploads under a random token
(the session holds only the token), not in the session. The import deletes it; files
left behind by a preview nobody confirmed are removed an hour later.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings

MAX_AGE_SECONDS = 60 * 60
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def staging_dir() -> Path:
    folder = Path(settings.DATA_DIR) / "order-uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def stage_upload(chunks: Iterable[bytes]) -> str:
    """Write the upload to a new staged file; its token. Stale staged files go first."""
    remove_stale_uploads()
    token = secrets.token_hex(16)
    with (staging_dir() / f"{token}.upload").open("xb") as out:
        for chunk in chunks:
            out.write(chunk)
    return token


def staged_path(token: str) -> Path | None:
    """The staged file of a token from the session, if it is still there."""
    if not _TOKEN.match(token or ""):
        return None
    path = staging_dir() / f"{token}.upload"
    return path if path.is_file() else None


def discard_upload(token: str) -> None:
    path = staged_path(token)
    if path is not None:
        path.unlink(missing_ok=True)


def remove_stale_uploads(*, now: float | None = None) -> int:
    """Delete staged files older than an hour; how many went."""
    cutoff = (time.time() if now is None else now) - MAX_AGE_SECONDS
    removed = 0
    for path in staging_dir().glob("*.upload"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # another request cleaned it a moment ago
            continue
    return removed
